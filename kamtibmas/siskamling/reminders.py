"""Roster upkeep, run hourly: make the coming weeks' nights from each active post's template,
and remind the coordinator of a night a few hours before it starts (once per night).

Idempotent: nights that exist are kept; a reminder is claimed by setting ``reminder_sent_at``
in the same UPDATE that checks it is empty, so two workers never send the same one twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from kamtibmas.notifications.services import queue_message
from kamtibmas.siskamling import roster
from kamtibmas.siskamling.models import Post, RosterNight

logger = logging.getLogger(__name__)

# How long before a night starts its coordinator is reminded.
REMINDER_LEAD = timedelta(hours=4)


def checkin_url(post: Post) -> str:
    """The coordinator's check-in link of ``post`` (public base URL + the post's token)."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("pos:checkin", args=[post.checkin_token])


def ensure_upcoming_weeks(now: datetime) -> int:
    """Make this week's and next week's nights of every active post with a template."""
    monday = roster.week_start(timezone.localdate(now))
    created = 0
    for post in Post.objects.filter(is_active=True, roster_slots__isnull=False).distinct():
        for week in (monday, monday + timedelta(weeks=1)):
            created += len(roster.make_week(post, week, now))
    return created


def reminder_text(night: RosterNight) -> str:
    """The message to the coordinator, in the site's language (Indonesian)."""
    post = night.post
    with translation.override(settings.LANGUAGE_CODE):
        head = _("Siskamling %(post)s, %(day)s %(start)s-%(end)s WITA.") % {
            "post": post.name,
            "day": formats.date_format(night.date, "l, j F"),
            "start": f"{timezone.localtime(night.starts_at):%H:%M}",
            "end": f"{timezone.localtime(night.ends_at):%H:%M}",
        }
        duty = _("On duty: %(names)s.") % {"names": ", ".join(night.members)}
        link = _("Record the round here: %(url)s") % {"url": checkin_url(post)}
    return f"{head}\n{duty}\n{link}"


def due_nights(now: datetime) -> list[RosterNight]:
    """Nights of active posts starting within the lead time, not yet reminded. Synthetic
    (demo) posts are left out: their coordinators' numbers are made up and must never reach
    a real gateway."""
    return list(
        RosterNight.objects.select_related("post")
        .filter(
            post__is_active=True,
            post__is_synthetic=False,
            reminder_sent_at__isnull=True,
            starts_at__gt=now,
            starts_at__lte=now + REMINDER_LEAD,
        )
        .order_by("starts_at")
    )


def _claim(night: RosterNight, now: datetime) -> bool:
    return bool(
        RosterNight.objects.filter(pk=night.pk, reminder_sent_at__isnull=True).update(
            reminder_sent_at=now
        )
    )


def remind(night: RosterNight, now: datetime) -> int:
    """Queue the reminder of one night (WhatsApp to the phone, e-mail to the address); the
    number of messages queued. Nights without members or a post without contact: none."""
    post = night.post
    if not night.members or not (post.coordinator_phone or post.coordinator_email):
        return 0
    with transaction.atomic():
        if not _claim(night, now):
            return 0
        body = reminder_text(night)
        sent = 0
        if post.coordinator_phone:
            queue_message("whatsapp", post.coordinator_phone, body)
            sent += 1
        if post.coordinator_email:
            with translation.override(settings.LANGUAGE_CODE):
                subject = _("Siskamling roster tonight: %(post)s") % {"post": post.name}
            queue_message("email", post.coordinator_email, body, subject=subject)
            sent += 1
    logger.info("roster reminder for night %s of post %s: %d message(s)", night.pk, post.pk, sent)
    return sent


@dataclass(frozen=True)
class HourlyResult:
    nights_made: int
    reminders: int


def run_hourly(now: datetime | None = None) -> HourlyResult:
    now = now or timezone.now()
    made = ensure_upcoming_weeks(now)
    reminded = sum(1 for night in due_nights(now) if remind(night, now))
    return HourlyResult(nights_made=made, reminders=reminded)
