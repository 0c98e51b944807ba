"""A coordinator's night round and the suspicious things seen on it, recorded without an
account through the post's secret link.

Both are idempotent: a phone that sends the same form twice on a bad connection gets the round
(or the report) it already made. A report enters the normal report workflow through
``intake.submit`` with channel ``siskamling`` and is linked to its post by a ``PostReport``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from kamtibmas.accounts import audit
from kamtibmas.reports import intake
from kamtibmas.reports.models import Channel, Report
from kamtibmas.siskamling.models import CheckIn, Post, PostReport, RosterNight

WITA = ZoneInfo("Asia/Makassar")
# Before this hour (WITA) it is still the previous evening's night.
NIGHT_TURNS_AT = time(12, 0)
# Until this hour (WITA) of the next day a coordinator may still record last night's round.
LATE_ENTRY_UNTIL = time(18, 0)
TONIGHT, LAST_NIGHT = "tonight", "last"
NIGHT_CHOICES = (TONIGHT, LAST_NIGHT)


def find_post(token: str) -> Post | None:
    """The post of a check-in link; None for a revoked or unknown token."""
    if not token or len(token) > 64:
        return None
    return Post.objects.select_related("kelurahan").filter(checkin_token=token).first()


def night_date(at: datetime) -> date:
    """The evening a moment belongs to: 02:00 on Tuesday is Monday's night.

    >>> night_date(datetime(2026, 3, 3, 2, 0, tzinfo=WITA)).isoformat()
    '2026-03-02'
    """
    local = at.astimezone(WITA)
    return local.date() if local.time() >= NIGHT_TURNS_AT else local.date() - timedelta(days=1)


def moment_of_night(night: date, clock: time) -> datetime:
    """A clock time on the night of ``night``: evening hours on that date, morning hours on
    the next one."""
    day = night if clock >= NIGHT_TURNS_AT else night + timedelta(days=1)
    return datetime.combine(day, clock, tzinfo=WITA)


def round_times(night: date, start: time, end: time | None) -> tuple[datetime, datetime | None]:
    """The round's start and end; an end that falls before the start is the next morning."""
    started = moment_of_night(night, start)
    if end is None:
        return started, None
    ended = moment_of_night(night, end)
    while ended < started:
        ended += timedelta(days=1)
    return started, ended


def default_choice(now: datetime) -> str:
    """Before noon the coordinator is still on (or just back from) last night's round."""
    return LAST_NIGHT if now.astimezone(WITA).time() < NIGHT_TURNS_AT else TONIGHT


def late_entry_open(now: datetime) -> bool:
    """Whether the page offers both nights: from noon, when the page turns to tonight, until
    ``LATE_ENTRY_UNTIL``, so a round written up the next afternoon is not lost."""
    return NIGHT_TURNS_AT <= now.astimezone(WITA).time() < LATE_ENTRY_UNTIL


def choice_allowed(choice: str, now: datetime) -> bool:
    """Tonight is always allowed (a start in the future is refused by the form); last night
    until ``LATE_ENTRY_UNTIL`` of the next day."""
    return choice == TONIGHT or now.astimezone(WITA).time() < LATE_ENTRY_UNTIL


def chosen_night(choice: str, now: datetime) -> date:
    """The evening a choice means; before noon both mean the night still running.

    >>> at = datetime(2026, 3, 3, 14, 0, tzinfo=WITA)
    >>> chosen_night(LAST_NIGHT, at).isoformat(), chosen_night(TONIGHT, at).isoformat()
    ('2026-03-02', '2026-03-03')
    """
    current = night_date(now)
    after_noon = now.astimezone(WITA).time() >= NIGHT_TURNS_AT
    return current - timedelta(days=1) if choice == LAST_NIGHT and after_noon else current


def roster_night(post: Post, night: date) -> RosterNight | None:
    """The roster's night of an evening (None when the roster has none)."""
    return RosterNight.objects.filter(post=post, date=night).first()


def tonight(post: Post, now: datetime | None = None) -> RosterNight | None:
    """The roster's night now running or about to (None when the roster has none)."""
    return RosterNight.objects.filter(post=post, date=night_date(now or timezone.now())).first()


@dataclass
class Round:
    started_at: datetime
    ended_at: datetime | None
    attendees: list[str] = field(default_factory=list)
    attendee_count: int = 0
    observations: str = ""
    all_quiet: bool = True


def record_round(
    post: Post, data: Round, idempotency_key: str, night: RosterNight | None
) -> CheckIn:
    """Store the round once per ``idempotency_key`` (a resend returns the first one)."""
    existing = CheckIn.objects.filter(idempotency_key=idempotency_key, post=post).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            checkin = CheckIn.objects.create(
                post=post, night=night, started_at=data.started_at, ended_at=data.ended_at,
                attendees=data.attendees, attendee_count=data.attendee_count,
                observations=data.observations, all_quiet=data.all_quiet,
                via=CheckIn.Via.LINK, idempotency_key=idempotency_key,
            )  # fmt: skip
            audit.record(None, "siskamling_checkin_recorded", checkin, purpose="night round",
                         post=post.pk, via="link")  # fmt: skip
    except IntegrityError:
        existing = CheckIn.objects.filter(idempotency_key=idempotency_key, post=post).first()
        if existing is None:
            raise
        return existing
    return checkin


def report_draft(post: Post, **values: Any) -> intake.Draft:
    """A report draft placed at the post unless another address is given.

    The post itself is linked through ``PostReport`` (the report's source line), not through
    ``extra``: staff read ``extra`` as the reporter's answers to extra questions."""
    values.setdefault("lat", post.lat)
    values.setdefault("lon", post.lon)
    values.setdefault("rw", post.rw)
    values.setdefault("rt", post.rt)
    if not values.get("address_text"):
        values["address_text"] = post.address_text or post.name
    return intake.Draft(**values)


def file_report(
    post: Post,
    draft: intake.Draft,
    idempotency_key: str,
    checkin: CheckIn | None = None,
    *,
    is_synthetic: bool = False,
    created_at: datetime | None = None,
) -> Report:
    """File the report into the workflow (channel siskamling) and link it to the post.

    Raises ``intake.IntakeError`` with translated messages when the draft is not acceptable."""
    report = intake.submit(
        draft,
        channel=Channel.SISKAMLING,
        idempotency_key=f"siskamling:{idempotency_key}",
        is_synthetic=is_synthetic,
        created_at=created_at,
    )
    link, created = PostReport.objects.get_or_create(
        report=report, defaults={"post": post, "checkin": checkin}
    )
    if created:
        audit.record(None, "siskamling_post_report_filed", link, purpose="report from post",
                     post=post.pk, report=report.tracking_code)  # fmt: skip
    return report
