"""Rosters of a Siskamling post: the weekly template, the nights made from it, and what happened
on each night (was a round recorded, who came of those on duty).

A night belongs to the evening it starts on (``RosterNight.date``, WITA) and crosses midnight
when its end time is not after its start time (22:00 -> 04:00 ends the next morning). Nights are
made per week from the template; a night already made (and maybe edited: a swap of members) is
never overwritten, so changing the template only affects weeks not made yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from kamtibmas.accounts import audit
from kamtibmas.siskamling.models import CheckIn, Post, RosterNight, RosterSlot

PARTICIPATION_WEEKS = 4
MAX_MEMBERS = 20
MAX_NAME_LENGTH = 80


class NightLocked(ValueError):
    """The night has started or passed: its members are history, not a plan."""


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def night_bounds(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """Aware WITA start and end of the night that starts on the evening of ``day``."""
    tz = timezone.get_default_timezone()
    starts_at = datetime.combine(day, start, tzinfo=tz)
    end_day = day + timedelta(days=1) if end <= start else day
    return starts_at, datetime.combine(end_day, end, tzinfo=tz)


def parse_members(text: str) -> list[str]:
    """Names, one per line (commas also separate): trimmed, empty lines dropped, no repeats."""
    names: list[str] = []
    for raw in text.replace(",", "\n").splitlines():
        name = " ".join(raw.split())[:MAX_NAME_LENGTH]
        if name and name.casefold() not in {n.casefold() for n in names}:
            names.append(name)
    return names


@dataclass(frozen=True)
class SlotInput:
    """One weekday of the template as entered: ``members`` empty means no watch that day."""

    weekday: int
    start_time: time
    end_time: time
    members: list[str]
    note: str = ""


def save_template(post: Post, slots: Iterable[SlotInput], user: Any) -> list[RosterSlot]:
    """Replace the post's weekly template: weekdays with members keep or get a slot, the
    others lose theirs. Audited (weekdays only; the names are personal data)."""
    kept: list[RosterSlot] = []
    with transaction.atomic():
        for slot in slots:
            if not slot.members:
                RosterSlot.objects.filter(post=post, weekday=slot.weekday).delete()
                continue
            row, _created = RosterSlot.objects.update_or_create(
                post=post,
                weekday=slot.weekday,
                defaults={
                    "start_time": slot.start_time,
                    "end_time": slot.end_time,
                    "members": slot.members,
                    "note": slot.note,
                },
            )
            kept.append(row)
        audit.record(
            user,
            "roster_template",
            post,
            purpose="siskamling roster",
            weekdays=[s.weekday for s in kept],
        )
    return kept


def make_week(post: Post, monday: date, now: datetime | None = None) -> list[RosterNight]:
    """Create the nights of the week starting ``monday`` from the template; nights that exist
    already are kept as they are. Returns the nights created (idempotent: none the second
    time). With ``now``, nights already over are not made: a night put on the schedule after
    the fact would only show as missed (the demo passes no ``now`` to fill past weeks)."""
    monday = week_start(monday)
    existing = set(
        post.nights.filter(date__gte=monday, date__lt=monday + timedelta(days=7)).values_list(
            "date", flat=True
        )
    )
    created = []
    for slot in post.roster_slots.all():
        day = monday + timedelta(days=slot.weekday)
        if day in existing:
            continue
        starts_at, ends_at = night_bounds(day, slot.start_time, slot.end_time)
        if now is not None and ends_at <= now:
            continue
        try:
            with transaction.atomic():
                night = RosterNight.objects.create(
                    post=post,
                    date=day,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    members=list(slot.members),
                )
        except IntegrityError:  # another worker made it meanwhile
            continue
        created.append(night)
    return created


def week_nights(post: Post, monday: date) -> list[RosterNight]:
    """The nights of a week as made, or, for a week not made yet, as the template would make
    them (unsaved), so a printed week is never empty by oversight and printing changes
    nothing."""
    monday = week_start(monday)
    saved = list(post.nights.filter(date__gte=monday, date__lt=monday + timedelta(days=7)))
    if saved:
        return sorted(saved, key=lambda n: n.date)
    preview = []
    for slot in post.roster_slots.order_by("weekday"):
        day = monday + timedelta(days=slot.weekday)
        starts_at, ends_at = night_bounds(day, slot.start_time, slot.end_time)
        preview.append(
            RosterNight(
                post=post,
                date=day,
                starts_at=starts_at,
                ends_at=ends_at,
                members=list(slot.members),
            )
        )
    return preview


def update_night(night: RosterNight, members: list[str], user: Any, now: datetime) -> None:
    """Change who is on duty for a night that has not started yet (a swap). Audited."""
    if night.starts_at <= now:
        raise NightLocked(night.pk)
    night.members = members
    night.save(update_fields=["members"])
    audit.record(
        user,
        "roster_night_edit",
        night,
        purpose="siskamling roster",
        post=night.post_id,
        members=len(members),
    )


def tonight(post: Post, now: datetime) -> RosterNight | None:
    """The night under way, else the one of this evening (WITA), else None."""
    nights = post.nights.all()
    current = nights.filter(starts_at__lte=now, ends_at__gt=now).first()
    return current or nights.filter(date=timezone.localdate(now)).first()


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


@dataclass
class NightStatus:
    """A night with its rounds: was one recorded, who came of those on duty."""

    night: RosterNight
    rounds: list[CheckIn] = field(default_factory=list)
    now: datetime | None = None

    @property
    def recorded(self) -> bool:
        return bool(self.rounds)

    @property
    def is_past(self) -> bool:
        return self.now is not None and self.night.ends_at <= self.now

    @property
    def is_future(self) -> bool:
        return self.now is not None and self.night.starts_at > self.now

    @property
    def missed(self) -> bool:
        return self.is_past and not self.recorded

    @property
    def attendee_names(self) -> list[str]:
        names: list[str] = []
        for r in self.rounds:
            names += [n for n in r.attendees if _norm(n) not in {_norm(x) for x in names}]
        return names

    @property
    def attendance(self) -> int:
        """People who came: the larger of the names given and the count entered."""
        return max([len(self.attendee_names), *(r.attendee_count for r in self.rounds)], default=0)

    @property
    def came(self) -> list[str]:
        present = {_norm(n) for n in self.attendee_names}
        return [m for m in self.night.members if _norm(m) in present]

    @property
    def absent(self) -> list[str]:
        present = {_norm(n) for n in self.attendee_names}
        return [m for m in self.night.members if _norm(m) not in present]

    @property
    def others(self) -> list[str]:
        """Who came without being on the roster (neighbours helping out)."""
        members = {_norm(m) for m in self.night.members}
        return [n for n in self.attendee_names if _norm(n) not in members]


def night_statuses(post: Post, start: date, end: date, now: datetime) -> list[NightStatus]:
    """The post's nights dated ``start`` up to ``end`` (exclusive), each with its rounds: the
    check-ins linked to the night, or any check-in of the post starting within the night."""
    nights = list(post.nights.filter(date__gte=start, date__lt=end).order_by("date"))
    if not nights:
        return []
    checkins = list(
        post.checkins.filter(started_at__lt=nights[-1].ends_at).filter(
            started_at__gte=min(n.starts_at for n in nights) - timedelta(days=1)
        )
    )
    statuses = []
    for night in nights:
        rounds = [
            c
            for c in checkins
            if c.night_id == night.pk
            or (c.night_id is None and night.starts_at <= c.started_at < night.ends_at)
        ]
        statuses.append(NightStatus(night=night, rounds=rounds, now=now))
    return statuses


@dataclass(frozen=True)
class Participation:
    """How well a post kept watch over past nights (scheduled nights that have ended)."""

    nights: int
    nights_with_round: int
    attendees: int
    member_places: int
    missed: list[NightStatus]

    @property
    def night_rate(self) -> float | None:
        return self.nights_with_round / self.nights if self.nights else None

    @property
    def attendance_rate(self) -> float | None:
        return self.attendees / self.member_places if self.member_places else None

    @property
    def night_percent(self) -> int | None:
        rate = self.night_rate
        return None if rate is None else round(100 * rate)

    @property
    def attendance_percent(self) -> int | None:
        rate = self.attendance_rate
        return None if rate is None else round(100 * rate)


def participation(post: Post, now: datetime, weeks: int = PARTICIPATION_WEEKS) -> Participation:
    """Nights with a round / nights scheduled, and people who came / places on the roster,
    over the past ``weeks`` weeks (nights that have ended only)."""
    today = timezone.localdate(now)
    statuses = [
        s
        for s in night_statuses(
            post, today - timedelta(weeks=weeks), today + timedelta(days=1), now
        )
        if s.is_past
    ]
    return Participation(
        nights=len(statuses),
        nights_with_round=sum(1 for s in statuses if s.recorded),
        attendees=sum(s.attendance for s in statuses if s.recorded),
        member_places=sum(len(s.night.members) for s in statuses),
        missed=[s for s in statuses if s.missed],
    )


def last_round(post: Post) -> CheckIn | None:
    return post.checkins.order_by("-started_at").first()
