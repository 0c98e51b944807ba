"""Demo topics heard at the synthetic events already held (kamtibmas/community/demo.py runs
first): 1-4 per event, filed through intake like real ones (``is_synthetic=True``) and moved
along the workflow with public notes at times after the event, so the public event page and the
outcome report show follow-ups done, in progress and overdue.

Idempotent (a report's idempotency key names the seed, the event and the topic) and
deterministic for a seed. Synthetic data never sends a follow-up (see followup.py).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import User
from kamtibmas.community.models import Aspiration, Event
from kamtibmas.geo.models import Kelurahan
from kamtibmas.reports import intake, workflow
from kamtibmas.reports.models import Channel, Report, Status

# (kind, category code, what was said)
TOPICS: list[tuple[str, str, str]] = [
    (
        "aspiration",
        "lighting",
        "Lampu jalan di gang dekat musala mati, warga minta dibantu ke PLN.",
    ),
    ("aspiration", "patrol", "Warga minta patroli malam lebih sering di sekitar pasar."),
    ("aspiration", "siskamling", "Pos ronda RT 12 perlu dihidupkan lagi, warga siap bergiliran."),
    ("aspiration", "youth", "Anak muda sering nongkrong sampai subuh, minta pembinaan."),
    ("complaint", "noise", "Balapan liar tiap malam minggu di jalan utama, sangat bising."),
    ("complaint", "traffic", "Parkir liar di depan sekolah membuat macet saat jam pulang."),
    ("complaint", "service", "Warga ingin tahu cara membuat SKCK tanpa calo."),
    ("tip", "gambling", "Ada sabung ayam di lahan kosong belakang perumahan tiap Minggu."),
]
NOTES = [
    "Sudah dikoordinasikan dengan kelurahan dan dinas terkait.",
    "Patroli dialogis ditambah dua kali seminggu di lokasi tersebut.",
    "Bhabinkamtibmas sudah bertemu ketua RT untuk menindaklanjuti.",
]
FINAL_NOTES = [
    "Sudah ditangani; warga diminta melapor lagi bila terulang.",
    "Selesai: lokasi sudah diperbaiki dan dipantau.",
]
# How far a topic goes: nothing yet (overdue once the deadline passes), in progress, resolved.
FATES = ("received", "in_progress", "resolved", "resolved")
Step = Callable[[], Any]


def _actor(event: Event) -> User | None:
    """A demo officer of the organising unit who may move reports, else a Polres commander."""
    unit = event.programme.organising_unit
    triage = User.objects.filter(is_active=True, groups__name__in=roles.TRIAGE_ROLES)
    return (
        triage.filter(unit=unit).order_by("-is_demo", "pk").first()
        or triage.filter(Q(unit__kind="polres") | Q(is_superuser=True))
        .order_by("-is_demo", "pk")
        .first()
    )


def _kelurahan(event: Event, rng: random.Random) -> Kelurahan | None:
    if event.kelurahan is not None and rng.random() < 0.75:
        return event.kelurahan
    targets = list(event.programme.target_kelurahan.order_by("code"))
    return rng.choice(targets) if targets else event.kelurahan


def _draft(event: Event, topic: tuple[str, str, str], kelurahan: Kelurahan) -> intake.Draft:
    kind, code, text = topic
    return intake.Draft(
        kind=kind,
        category_code=code,
        description=f"[DEMO] {text}",
        kelurahan_code=kelurahan.code,
    )


def _steps(fate: str, report: Report, by: User, rng: random.Random) -> list[Step]:
    def move(to: str, **extra: Any) -> Step:
        return lambda: workflow.transition(report, to, by, **extra)

    def note(text: str) -> Step:
        return lambda: workflow.add_note(report, by, text, public=True)

    opening = [move(Status.VERIFIED), move(Status.ASSIGNED, unit=report.assigned_unit)]
    if fate == "in_progress":
        return [*opening, move(Status.IN_PROGRESS), note(rng.choice(NOTES))]
    if fate == "resolved":
        return [
            *opening,
            note(rng.choice(NOTES)),
            note(rng.choice(FINAL_NOTES)),
            move(Status.RESOLVED),
        ]
    return []


def _work(report: Report, fate: str, by: User, rng: random.Random, now: datetime) -> None:
    """Run the fate's steps at increasing times between filing and now."""
    from kamtibmas.demo import at_time

    steps = _steps(fate, report, by, rng)
    span = now - report.created_at - timedelta(hours=1)
    if not steps or span <= timedelta(0):
        return
    pace = rng.uniform(0.15, 1.0)  # some topics are handled within days, some take weeks
    for index, step in enumerate(steps, start=1):
        at_time(report, report.created_at + span * pace * index / (len(steps) + 1), step)


def _topics_for(event: Event, seed: int, by: User | None, now: datetime) -> int:
    rng = random.Random(f"{seed}:{event.uid}")
    created = 0
    for index, topic in enumerate(rng.sample(TOPICS, rng.randint(1, 4))):
        kelurahan = _kelurahan(event, rng)
        fate = rng.choice(FATES)
        filed_at = min(event.ends_at + timedelta(hours=rng.uniform(1, 20)), now)
        key = f"demo-aspiration:{seed}:{event.uid}:{index}"
        if kelurahan is None or Report.objects.filter(idempotency_key=key).exists():
            continue
        report = intake.submit(
            _draft(event, topic, kelurahan), channel=Channel.EVENT, user=by,
            idempotency_key=key, is_synthetic=True, created_at=filed_at,
        )  # fmt: skip
        Aspiration.objects.create(event=event, report=report, created_by=by, created_at=filed_at)
        if by is not None:
            _work(report, fate, by, rng, now)
        created += 1
    return created


@transaction.atomic
def load_demo_aspirations(seed: int = 7, now: datetime | None = None) -> int:
    """Topics for every held synthetic event; returns how many were created this time."""
    now = now or timezone.now()
    events = Event.objects.filter(
        is_synthetic=True, status=Event.Status.HELD, starts_at__lt=now
    ).select_related("programme__organising_unit", "kelurahan")
    return sum(_topics_for(event, seed, _actor(event), now) for event in events.order_by("uid"))
