"""Residents' area subscriptions: double opt-in, one-click unsubscribe, and what they receive.

Decisions (UU PDP: collect for a stated purpose, keep no longer than needed):
- A subscription gets nothing until its address confirms it (double opt-in). The confirmation
  link is signed and valid for ``UNCONFIRMED_DAYS``; unconfirmed rows are deleted after that,
  and unsubscribed ones ``UNSUBSCRIBED_DAYS`` after leaving.
- Subscribing again re-sends the confirmation; the page never says whether an address is
  already subscribed, and confirmation messages to one address are rate-limited.
- An alert reaches each address once, even when it covers several of its kelurahan.
- Unsubscribing stops every subscription of that address at once (one click, nothing left).
- Synthetic (demo) alerts are never sent to anybody.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kamtibmas import throttle
from kamtibmas.accounts import audit
from kamtibmas.geo.models import Kelurahan
from kamtibmas.notifications.services import queue_message
from kamtibmas.portal.models import AlertDelivery, PublicAlert, Subscription

logger = logging.getLogger(__name__)

UNCONFIRMED_DAYS = 7
UNSUBSCRIBED_DAYS = 30
CONFIRM_SALT = "kamtibmas.portal.subscription-confirm"
CONFIRMATIONS_PER_ADDRESS = "3/h"
SMS_LIMIT = 320  # two SMS segments
PHONE_RE = re.compile(r"^\+62\d{8,13}$")


# --- addresses -------------------------------------------------------------------------------


def normalise_recipient(channel: str, raw: str) -> str:
    """A canonical address, so that one person is one address; ValidationError when bad."""
    value = raw.strip()
    if channel == Subscription.Channel.EMAIL:
        validate_email(value)
        return value.lower()
    digits = re.sub(r"[\s\-().]", "", value)
    if digits.startswith("08"):
        digits = "+62" + digits[1:]
    elif digits.startswith("62"):
        digits = "+" + digits
    if not PHONE_RE.match(digits):
        raise ValidationError(_("Enter an Indonesian mobile number, e.g. 0812 3456 7890."))
    return digits


def _address_key(channel: str, recipient: str) -> str:
    """A hash for rate limits, so the cache never holds the address itself."""
    return hashlib.sha256(f"{channel}:{recipient}".encode()).hexdigest()[:32]


def absolute(path: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def unsubscribe_url(subscription: Subscription) -> str:
    return absolute(reverse("portal:unsubscribe", args=[subscription.token]))


def _active() -> Any:
    return Subscription.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)


# --- subscribing -----------------------------------------------------------------------------


def subscribe(
    kelurahan: Iterable[Kelurahan],
    channel: str,
    recipient: str,
    *,
    wants_alerts: bool,
    wants_monthly: bool,
    now: datetime | None = None,
) -> list[Subscription]:
    """Record the wish and send one confirmation message (unless this address has had too
    many lately). The caller shows the same answer whatever happened."""
    moment = now or timezone.now()
    rows = [_pending_row(k, channel, recipient, wants_alerts, wants_monthly, moment)
            for k in kelurahan]  # fmt: skip
    verdict = throttle.hit(
        "subscribe_address", _address_key(channel, recipient), CONFIRMATIONS_PER_ADDRESS
    )
    if verdict.allowed and rows:
        token = confirmation_token(rows, wants_alerts, wants_monthly)
        subject, body = confirmation_message(rows, channel, token)
        queue_message(channel, recipient, body, subject=subject)
    else:
        logger.info("subscription confirmation not sent: address rate limit")
    return rows


def _pending_row(
    kelurahan: Kelurahan, channel: str, recipient: str, alerts: bool, monthly: bool, now: datetime
) -> Subscription:
    row, created = Subscription.objects.get_or_create(
        kelurahan=kelurahan,
        channel=channel,
        recipient=recipient,
        defaults={"wants_alerts": alerts, "wants_monthly": monthly, "created_at": now},
    )
    if not created and (row.confirmed_at is None or row.unsubscribed_at is not None):
        # Not (or no longer) receiving: start afresh; a confirmed one changes only on confirm.
        row.wants_alerts, row.wants_monthly = alerts, monthly
        row.confirmed_at = row.unsubscribed_at = None
        row.created_at = now
        row.save()
    audit.record(None, "subscription.request", row, purpose="area subscription",
                 new=created, channel=channel)  # fmt: skip
    return row


def confirmation_token(rows: list[Subscription], alerts: bool, monthly: bool) -> str:
    payload = {"ids": [r.pk for r in rows], "a": alerts, "m": monthly}
    return signing.dumps(payload, salt=CONFIRM_SALT, compress=True)


def read_confirmation(token: str) -> dict[str, Any] | None:
    try:
        payload = signing.loads(token, salt=CONFIRM_SALT, max_age=timedelta(days=UNCONFIRMED_DAYS))
    except signing.BadSignature:  # also SignatureExpired
        return None
    return payload if isinstance(payload, dict) and payload.get("ids") else None


def pending_for(token: str) -> list[Subscription]:
    """The subscriptions a confirmation link is about (empty when bad or expired)."""
    payload = read_confirmation(token)
    if payload is None:
        return []
    return list(Subscription.objects.filter(pk__in=payload["ids"]).select_related("kelurahan"))


def confirm(token: str, now: datetime | None = None) -> list[Subscription]:
    """Confirm the subscriptions of a link; from now on they receive what they asked for."""
    payload = read_confirmation(token)
    if payload is None:
        return []
    moment = now or timezone.now()
    rows = pending_for(token)
    for row in rows:
        row.confirmed_at = row.confirmed_at or moment
        row.unsubscribed_at = None
        row.wants_alerts, row.wants_monthly = bool(payload["a"]), bool(payload["m"])
        row.save()
        audit.record(None, "subscription.confirm", row, purpose="area subscription")
    return rows


def by_token(token: str) -> Subscription | None:
    return Subscription.objects.select_related("kelurahan").filter(token=token).first()


def same_address(subscription: Subscription) -> Any:
    return Subscription.objects.filter(
        channel=subscription.channel, recipient=subscription.recipient
    ).select_related("kelurahan")


def unsubscribe(subscription: Subscription, now: datetime | None = None) -> int:
    """Stop everything to this address (one click): every kelurahan, alerts and statistics."""
    moment = now or timezone.now()
    rows = list(same_address(subscription).filter(unsubscribed_at__isnull=True))
    for row in rows:
        row.unsubscribed_at = moment
        row.save(update_fields=["unsubscribed_at"])
        audit.record(None, "subscription.unsubscribe", row, purpose="area subscription")
    return len(rows)


def purge(now: datetime | None = None) -> int:
    """Forget unconfirmed subscriptions after UNCONFIRMED_DAYS and unsubscribed ones after
    UNSUBSCRIBED_DAYS: no address is kept longer than its purpose needs."""
    moment = now or timezone.now()
    stale = Subscription.objects.filter(
        confirmed_at__isnull=True, created_at__lt=moment - timedelta(days=UNCONFIRMED_DAYS)
    )
    gone = Subscription.objects.filter(
        unsubscribed_at__lt=moment - timedelta(days=UNSUBSCRIBED_DAYS)
    )
    count = stale.delete()[1].get("portal.Subscription", 0)
    count += gone.delete()[1].get("portal.Subscription", 0)
    return count


# --- messages --------------------------------------------------------------------------------


def _names(rows: Iterable[Subscription]) -> str:
    return ", ".join(sorted({r.kelurahan.name for r in rows}))


def confirmation_message(rows: list[Subscription], channel: str, token: str) -> tuple[str, str]:
    link = absolute(reverse("portal:subscription_confirm", args=[token]))
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Confirm your Kamtibmas subscription")
        head = _("Confirm Kamtibmas alerts for %(areas)s: %(link)s") % {
            "areas": _names(rows),
            "link": link,
        }
        if channel != Subscription.Channel.EMAIL:
            return subject, head
        tail = _(
            "If you did not ask for this, ignore this message: without confirmation we send "
            "nothing and forget the address after %(days)d days."
        ) % {"days": UNCONFIRMED_DAYS}
        return subject, f"{head}\n\n{tail}\n"


def _alert_word(alert: PublicAlert) -> str:
    if alert.msg_type == PublicAlert.MsgType.UPDATE:
        return _("UPDATE")
    if alert.msg_type == PublicAlert.MsgType.CANCEL:
        return _("CANCELLED")
    return _("ALERT")


def _title(alert: PublicAlert) -> str:
    """'PERINGATAN: headline', without repeating a word the headline starts with."""
    word = _alert_word(alert)
    if alert.headline_id.upper().startswith(word):
        return alert.headline_id
    return f"{word}: {alert.headline_id}"


def alert_message(alert: PublicAlert, channel: str, unsubscribe: str) -> tuple[str, str]:
    """Indonesian text of an alert; SMS and WhatsApp get the short form."""
    page = absolute(reverse("portal:alert_detail", args=[alert.uid]))
    with translation.override(settings.LANGUAGE_CODE):
        title = _title(alert)
        subject = f"Kamtibmas {title}"[:200]
        stop = _("Stop: %s") % unsubscribe
        if channel != Subscription.Channel.EMAIL:
            short = f"[Kamtibmas] {title}. {page}"
            return subject, f"{short[: SMS_LIMIT - len(stop) - 1]}\n{stop}"
        areas = ", ".join(k.name for k in alert.kelurahan.all())
        parts = [
            title,
            _("Area: %s") % areas,
            alert.description_id,
            alert.instruction_id,
            _("More: %s") % page,
            _("Emergency? Call 110."),
            _("To stop these messages: %s") % unsubscribe,
        ]
        return subject, "\n\n".join(p for p in parts if p) + "\n"


def monthly_message(summary: dict[str, Any], channel: str, unsubscribe: str) -> tuple[str, str]:
    url = str(summary.get("url", ""))
    url = absolute(url) if url.startswith("/") else url
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Kamtibmas statistics %(area)s %(month)s") % {
            "area": summary["kelurahan"],
            "month": summary["month"],
        }
        top = [c for c in summary.get("by_category", []) if c.get("count_label") not in ("", "0")]
        lines = [f"{c['name']}: {c['count_label']}" for c in top[:3]]
        head = _("%(subject)s: %(total)s incidents.") % {
            "subject": subject,
            "total": summary["total_label"],
        }
        more = _("More: %s") % url
        stop = _("Stop: %s") % unsubscribe
        body = "\n".join([head, *lines, more, stop])
        if channel == Subscription.Channel.EMAIL:
            body += "\n"
        return subject, body


# --- sending ---------------------------------------------------------------------------------


def list_headers(channel: str, unsubscribe: str) -> dict[str, str]:
    """One-click unsubscribe headers for e-mail (RFC 2369 and RFC 8058); none for SMS."""
    if channel != Subscription.Channel.EMAIL:
        return {}
    return {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def send_alert(alert: PublicAlert) -> int:
    """Queue ``alert`` once per subscribed address in its area; returns messages queued.
    AlertDelivery rows make a second run (or a second worker) send nothing more."""
    if alert.status != PublicAlert.Status.PUBLISHED or alert.is_synthetic:
        return 0
    rows = (
        _active()
        .filter(wants_alerts=True, kelurahan__in=alert.kelurahan.all())
        .exclude(deliveries__alert=alert)
        .order_by("pk")
    )
    groups: dict[tuple[str, str], list[Subscription]] = defaultdict(list)
    for row in rows:
        groups[(row.channel, row.recipient)].append(row)
    queued = 0
    for (channel, recipient), members in groups.items():
        queued += _deliver_once(alert, channel, recipient, members)
    logger.info("alert %s queued for %d addresses", alert.pk, queued)
    return queued


def _deliver_once(
    alert: PublicAlert, channel: str, recipient: str, members: list[Subscription]
) -> int:
    try:
        with transaction.atomic():
            for member in members:
                AlertDelivery.objects.create(alert=alert, subscription=member)
            unsubscribe = unsubscribe_url(members[0])
            subject, body = alert_message(alert, channel, unsubscribe)
            queue_message(
                channel,
                recipient,
                body,
                subject=subject,
                headers=list_headers(channel, unsubscribe),
            )
    except IntegrityError:  # another worker got there first
        return 0
    return 1


def previous_month(now: datetime) -> tuple[int, int]:
    local = timezone.localtime(now)
    first = local.replace(day=1)
    last = first - timedelta(days=1)
    return last.year, last.month


def send_monthly(now: datetime | None = None) -> int:
    """Last month's statistics to each subscriber who wants them, once per month, from the
    day the public delay has passed over the whole month (the 8th with the 7-day minimum)."""
    from kamtibmas.portal.public_stats import StatsError, delay_days, kelurahan_month_summary

    moment = now or timezone.now()
    if timezone.localtime(moment).day <= delay_days():
        return 0
    year, month = previous_month(moment)
    label = f"{year:04d}-{month:02d}"
    due = _active().filter(wants_monthly=True).exclude(last_monthly_sent=label)
    summaries: dict[str, dict[str, Any]] = {}
    sent = 0
    for row in due.select_related("kelurahan").order_by("pk"):
        code = row.kelurahan.code
        if code not in summaries:
            try:
                with translation.override(settings.LANGUAGE_CODE):
                    summaries[code] = kelurahan_month_summary(code, year, month)
            except StatsError:  # not public yet: the next hourly run tries again
                logger.info("monthly statistics %s not public yet", label)
                return sent
        sent += _send_monthly_once(row, label, summaries[code])
    logger.info("monthly statistics %s queued: %d", label, sent)
    return sent


def _send_monthly_once(row: Subscription, label: str, summary: dict[str, Any]) -> int:
    with transaction.atomic():
        claimed = (
            Subscription.objects.filter(pk=row.pk)
            .exclude(last_monthly_sent=label)
            .update(last_monthly_sent=label)
        )
        if not claimed:
            return 0
        unsubscribe = unsubscribe_url(row)
        subject, body = monthly_message(summary, row.channel, unsubscribe)
        queue_message(
            row.channel,
            row.recipient,
            body,
            subject=subject,
            headers=list_headers(row.channel, unsubscribe),
        )
    return 1
