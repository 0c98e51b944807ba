"""Synthetic demo data: staff accounts for every role and unit, and about 300 reports over the
last 90 days in every status, with timelines. Deterministic from a seed; safe to run again
(existing demo accounts and reports are kept, nothing is duplicated).

Everything made here is labelled: users get ``is_demo=True``; reports get
``channel="demo"`` and ``is_synthetic=True``; names, phones and e-mails are obviously fake
(``Pelapor Contoh``, ``+62 800 …``, ``@contoh.invalid``).

Reports are filed through ``intake.submit`` and moved through ``workflow`` like real ones.
The workflow stamps events and report times with ``timezone.now()``; to give a demo report a
realistic history, each step is run and then shifted back to its planned time with
``QuerySet.update()`` (``ReportEvent.save()`` refuses changes; ``update()`` bypasses it).
That backdating is for synthetic data only and lives only in this module.

>>> from kamtibmas.demo import load_demo
>>> result = load_demo(seed=42, reports=300)  # doctest: +SKIP
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import User
from kamtibmas.demo_incidents import load_demo_incidents
from kamtibmas.demo_texts import (
    AGENCIES,
    CRIME_WEIGHTS,
    FINAL_NOTES,
    KIND_WEIGHTS,
    LANDMARKS,
    NOTES,
    REJECT_REASONS,
    STATUS_WEIGHTS,
    STORIES,
)
from kamtibmas.geo import lookup
from kamtibmas.geo.models import Kelurahan, Unit
from kamtibmas.geo.reference import load_reference
from kamtibmas.notifications.models import OutboundMessage
from kamtibmas.reports import intake, sla, workflow
from kamtibmas.reports.models import Category, Channel, Kind, Report, ReportEvent, Status

DEMO_PASSWORD = "demo-kamtibmas-2025"  # noqa: S105 - printed on purpose, demo accounts only
DEFAULT_SEED = 42
DEFAULT_REPORTS = 300
WINDOW_DAYS = 90
EMAIL_DOMAIN = "demo.kamtibmas.invalid"
TIME_FIELDS = ("updated_at", "acknowledged_at", "progress_due_at", "closed_at", "escalated_at")


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    unit_code: str | None
    rank: str = ""
    kelurahan_codes: tuple[str, ...] = ()


@dataclass
class DemoResult:
    accounts: list[DemoAccount]
    users_created: int = 0
    reports_created: int = 0
    reports_existing: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    incidents_created: int = 0
    incidents_existing: int = 0


# ---------------------------------------------------------------- accounts


def _polsek_units() -> list[Unit]:
    return list(
        Unit.objects.filter(
            kind__in=[Unit.Kind.POLSEK, Unit.Kind.KSKP], parent__code="polres-balikpapan"
        ).order_by("code")
    )


def _bhabin_accounts() -> list[DemoAccount]:
    """One Bhabinkamtibmas per Polsek with a kecamatan, looking after its first two kelurahan."""
    accounts = []
    for unit in _polsek_units():
        kecamatan = unit.kecamatan.order_by("code").first()
        if kecamatan is None:
            continue
        kelurahan = list(kecamatan.kelurahan.order_by("code")[:2])
        accounts.append(
            DemoAccount(
                f"bhabin.{slugify(kelurahan[0].name)}",
                roles.COMMUNITY_OFFICER,
                unit.code,
                "Aipda",
                tuple(k.code for k in kelurahan),
            )
        )
    return accounts


def demo_accounts() -> list[DemoAccount]:
    """Every demo account; needs the reference data (units, kelurahan)."""
    accounts = [
        DemoAccount("admin", roles.ADMIN, "polres-balikpapan"),
        DemoAccount("kapolres", roles.COMMANDER, "polres-balikpapan", "AKBP"),
    ]
    for unit in _polsek_units():
        short = unit.code.rsplit("-", 1)[-1]
        accounts.append(DemoAccount(f"kapolsek.{short}", roles.COMMANDER, unit.code, "Kompol"))
        accounts.append(DemoAccount(f"spkt.{short}", roles.DESK_OFFICER, unit.code, "Bripka"))
        accounts.append(DemoAccount(f"patroli.{short}", roles.PATROL_OFFICER, unit.code, "Brigpol"))
    accounts += _bhabin_accounts()
    accounts += [
        DemoAccount("samapta", roles.PATROL_OFFICER, "sat-samapta", "Brigpol"),
        DemoAccount("reskrim", roles.INVESTIGATOR, "sat-reskrim", "Ipda"),
        DemoAccount("resnarkoba", roles.INVESTIGATOR, "sat-resnarkoba", "Ipda"),
        DemoAccount("analis", roles.ANALYST, "polres-balikpapan", "Penata"),
        DemoAccount("humas", roles.PUBLIC_RELATIONS, "polres-balikpapan", "Iptu"),
        DemoAccount("warga", roles.CITIZEN, None),
    ]
    return accounts


def _create_account(account: DemoAccount, password_hash: str) -> bool:
    """Create one demo user unless the username exists; True if created."""
    if User.objects.filter(username=account.username).exists():
        return False
    is_admin = account.role == roles.ADMIN
    user = User(
        username=account.username,
        email=f"{account.username}@{EMAIL_DOMAIN}",
        first_name="Demo",
        last_name=account.username.replace(".", " ").title(),
        rank=account.rank,
        is_demo=True,
        is_staff=is_admin,
        is_superuser=is_admin,
        unit=Unit.objects.get(code=account.unit_code) if account.unit_code else None,
    )
    user.password = password_hash
    user.save()
    user.groups.add(Group.objects.get_or_create(name=account.role)[0])
    if account.kelurahan_codes:
        user.kelurahan.set(Kelurahan.objects.filter(code__in=account.kelurahan_codes))
    return True


@transaction.atomic
def ensure_accounts(accounts: list[DemoAccount]) -> int:
    """Create the missing demo users. The published password is hashed once for all of them
    (a strong hash takes most of a second; the password is public anyway)."""
    password_hash = make_password(DEMO_PASSWORD)
    return sum(_create_account(a, password_hash) for a in accounts)


# ---------------------------------------------------------------- what reports look like


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass
class Spec:
    """The plan for one synthetic report, drawn from the seed before anything is stored."""

    index: int
    status: str
    kind: str
    category_code: str
    created_at: datetime
    kelurahan_code: str
    lat: float
    lon: float
    with_contact: bool
    anonymous: bool
    by_resident: bool
    story: str
    landmark: str


def _status_plan(rng: random.Random, count: int) -> list[str]:
    """Every status at least once (when count allows), the rest by weight."""
    plan = list(STATUS_WEIGHTS)[:count]
    plan += [_weighted(rng, STATUS_WEIGHTS) for _ in range(count - len(plan))]
    rng.shuffle(plan)
    return plan


def _point(rng: random.Random, kelurahan: list[Kelurahan]) -> tuple[str, float, float]:
    """A point near a kelurahan's interior point that the lookup places inside the area."""
    kel = rng.choice(kelurahan)
    for _attempt in range(20):
        lat, lon = kel.lat + rng.gauss(0, 0.006), kel.lon + rng.gauss(0, 0.006)
        area = lookup.find_area(lat, lon)
        if area is not None:
            return area.kelurahan_code, round(lat, 6), round(lon, 6)
    return kel.code, kel.lat, kel.lon


def _created_at(rng: random.Random, status: str, now: datetime) -> datetime:
    if status == Status.RECEIVED and rng.random() < 0.7:
        age = timedelta(hours=rng.uniform(0.5, 20))  # fresh, not yet overdue
    else:
        age = timedelta(days=rng.uniform(0.2, WINDOW_DAYS - 0.5))
    return now - age


def _category(rng: random.Random, kind: str, codes: dict[str, list[str]]) -> str:
    if kind == Kind.CRIME:
        return _weighted(rng, CRIME_WEIGHTS)
    return rng.choice(codes[kind])


def draw_specs(seed: int, count: int, now: datetime) -> list[Spec]:
    rng = random.Random(seed)
    kelurahan = list(Kelurahan.objects.exclude(geometry=None).order_by("code"))
    codes: dict[str, list[str]] = {}
    for category in Category.objects.filter(is_active=True).order_by("kind", "order", "code"):
        codes.setdefault(category.kind, []).append(category.code)
    specs = []
    for index, status in enumerate(_status_plan(rng, count)):
        kind = _weighted(rng, KIND_WEIGHTS)
        code = _category(rng, kind, codes)
        kel_code, lat, lon = _point(rng, kelurahan)
        anonymous = rng.random() < (0.5 if kind == Kind.TIP else 0.15)
        specs.append(
            Spec(
                index=index,
                status=status,
                kind=kind,
                category_code=code,
                created_at=_created_at(rng, status, now),
                kelurahan_code=kel_code,
                lat=lat,
                lon=lon,
                with_contact=not (kind == Kind.TIP and anonymous) and rng.random() < 0.8,
                anonymous=anonymous,
                by_resident=rng.random() < 0.04,
                story=rng.choice(STORIES.get(code) or STORIES[kind]),
                landmark=rng.choice(LANDMARKS),
            )
        )
    return sorted(specs, key=lambda s: s.created_at)


# ---------------------------------------------------------------- filing and working reports


def _draft(spec: Spec, rng: random.Random) -> intake.Draft:
    occurred = spec.created_at - timedelta(hours=rng.uniform(0.3, 36))
    name = phone = email = ""
    if spec.with_contact:
        name = f"Pelapor Contoh {spec.index + 1:03d}"
        phone = f"+62 800 0000 {spec.index + 1:04d}" if rng.random() < 0.7 else ""
        email = f"pelapor{spec.index + 1:03d}@contoh.invalid" if not phone else ""
    kel_name = Kelurahan.objects.filter(code=spec.kelurahan_code).values_list("name", flat=True)
    extra = (
        {"vehicle_type": rng.choice(["motorcycle", "car"])}
        if spec.category_code == "curanmor" and spec.kind == Kind.CRIME
        else {}
    )
    return intake.Draft(
        kind=spec.kind,
        category_code=spec.category_code,
        description=f"[DEMO] {spec.story}",
        occurred_from=occurred,
        lat=spec.lat,
        lon=spec.lon,
        location_accuracy_m=round(rng.uniform(5, 60), 1),
        address_text=f"{spec.landmark}, {kel_name.first() or ''}".strip(", "),
        rw=str(rng.randint(1, 20)) if rng.random() < 0.5 else "",
        rt=str(rng.randint(1, 40)) if rng.random() < 0.5 else "",
        reporter_name=name,
        reporter_phone=phone,
        reporter_email=email,
        keep_anonymous=spec.anonymous,
        extra=extra,
    )


def at_time(report: Report, when: datetime, step: Callable[[], Any]) -> None:
    """Run one workflow ``step`` now, then move what it stamped back to ``when``."""
    started = timezone.now()
    before = {name: getattr(report, name) for name in TIME_FIELDS}
    step()
    report.refresh_from_db()
    shift = when - started
    changed = {
        name: getattr(report, name) + shift
        for name in TIME_FIELDS
        if getattr(report, name) is not None and getattr(report, name) != before[name]
    }
    Report.objects.filter(pk=report.pk).update(**changed)
    # Events of this step are the only ones stamped at or after ``started``: the earlier ones
    # were already moved into the past.
    ReportEvent.objects.filter(report=report, at__gte=started).update(at=F("at") + shift)
    for name, value in changed.items():
        setattr(report, name, value)


def _step_times(rng: random.Random, spec: Spec, steps: int, now: datetime) -> list[datetime]:
    """Increasing times after filing: a first response within hours, the rest spread out."""
    span = now - spec.created_at - timedelta(minutes=5)
    first = min(timedelta(hours=rng.expovariate(1 / 10)), span * 0.3)
    later = sorted(rng.random() ** 2 for _ in range(steps - 1))
    start = spec.created_at + first
    return [start, *(start + (span - first) * (0.05 + 0.9 * u) for u in later)]


@dataclass
class Cast:
    """Who acts on demo reports: a desk officer per unit, with fallbacks."""

    by_unit: dict[int, User]
    fallback: User
    resident: User | None

    def actor(self, report: Report) -> User:
        return self.by_unit.get(report.assigned_unit_id or 0, self.fallback)


def _cast() -> Cast:
    by_unit: dict[int, User] = {}
    preferred = (roles.DESK_OFFICER, roles.INVESTIGATOR, roles.COMMANDER)
    for role in reversed(preferred):
        for user in User.objects.filter(is_demo=True, groups__name=role).exclude(unit=None):
            by_unit[user.unit_id or 0] = user
    fallback = User.objects.filter(
        is_demo=True, groups__name=roles.COMMANDER, unit__kind=Unit.Kind.POLRES
    ).first()
    if fallback is None:
        raise RuntimeError("demo accounts are missing: run ensure_accounts first")
    return Cast(by_unit, fallback, User.objects.filter(username="warga", is_demo=True).first())


def _work(
    report: Report,
    spec: Spec,
    rng: random.Random,
    cast: Cast,
    now: datetime,
    originals: list[Report],
) -> None:
    """Move a filed report to its planned status through the workflow, at planned times."""
    by = cast.actor(report)
    path = _path(spec.status, rng)
    times = iter(_step_times(rng, spec, len(path), now))
    for action in path:
        when = next(times)
        at_time(report, when, partial(_apply, action, report, by, rng, originals))


def _path(status: str, rng: random.Random) -> list[str]:
    opening = ["verified", "assigned"]
    paths: dict[str, list[str]] = {
        Status.RECEIVED: [],
        Status.VERIFIED: ["verified"],
        Status.ASSIGNED: opening,
        Status.IN_PROGRESS: [*opening, "in_progress", "note"],
        Status.RESOLVED: [*opening, "in_progress", "note", "resolved"],
        Status.REJECTED: ["rejected"] if rng.random() < 0.5 else ["verified", "rejected"],
        Status.DUPLICATE: ["duplicate"],
        Status.REFERRED: ["referred"] if rng.random() < 0.5 else ["verified", "referred"],
    }
    path = paths[status]
    if status == Status.IN_PROGRESS and rng.random() < 0.4:
        path = [*path, "internal"]
    return path


def _apply(
    action: str, report: Report, by: User, rng: random.Random, originals: list[Report]
) -> None:
    if action == "note":
        workflow.add_note(report, by, rng.choice(NOTES), public=True)
    elif action == "internal":
        workflow.add_note(
            report, by, "[DEMO] Catatan internal: menunggu hasil olah TKP.", public=False
        )
    elif action == "assigned":
        workflow.transition(
            report,
            Status.ASSIGNED,
            by,
            unit=report.assigned_unit,
            assignee=by if by.unit_id == report.assigned_unit_id else None,
        )
    elif action == "resolved":
        workflow.add_note(report, by, rng.choice(FINAL_NOTES), public=True)
        workflow.transition(report, Status.RESOLVED, by)
    elif action == "rejected":
        workflow.transition(report, Status.REJECTED, by, reason=rng.choice(REJECT_REASONS))
    elif action == "referred":
        workflow.transition(report, Status.REFERRED, by, referred_to=rng.choice(AGENCIES))
    elif action == "duplicate":
        workflow.transition(report, Status.DUPLICATE, by, duplicate_of=_original(report, originals))
    else:
        workflow.transition(report, action, by)


def _original(report: Report, originals: list[Report]) -> Report:
    same = [r for r in originals if r.category_id == report.category_id]
    return (same or originals)[-1]


def _escalate_if_overdue(report: Report, rng: random.Random, now: datetime) -> None:
    """An open report whose deadline passed was escalated a little later (and after its last
    step), as the SLA job would have done; the live job then leaves it alone."""
    due = report.due_at()
    if not isinstance(due, datetime):
        return
    last = report.events.order_by("-at").values_list("at", flat=True).first() or due
    when = max(due, last) + timedelta(minutes=rng.uniform(5, 180))
    if when < now:
        at_time(report, when, lambda: sla.escalate_one(report.pk, when))


def _file(spec: Spec, rng: random.Random, cast: Cast, seed: int) -> Report:
    user = cast.resident if spec.by_resident else None
    return intake.submit(
        _draft(spec, rng),
        channel=Channel.DEMO,
        user=user,
        idempotency_key=f"demo:{seed}:{spec.index}",
        is_synthetic=True,
        created_at=spec.created_at,
    )


@transaction.atomic
def make_reports(seed: int, count: int, now: datetime) -> dict[str, int]:
    rng = random.Random(seed + 1)
    cast = _cast()
    originals: list[Report] = []
    for spec in draw_specs(seed, count, now):
        if spec.status == Status.DUPLICATE and not originals:
            spec.status = Status.REJECTED
        report = _file(spec, rng, cast, seed)
        _work(report, spec, rng, cast, now, originals)
        _escalate_if_overdue(report, rng, now)
        if spec.status != Status.DUPLICATE:
            originals.append(report)
    counts: dict[str, int] = {}
    for status in Report.objects.filter(is_synthetic=True).values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def discard_demo_messages() -> int:
    """Synthetic reporters and demo commanders have fake addresses: drop their queued mail."""
    deleted, _by_model = OutboundMessage.objects.filter(
        report__is_synthetic=True, state=OutboundMessage.State.PENDING
    ).delete()
    return deleted


def synthetic_reports() -> int:
    return Report.objects.filter(is_synthetic=True, channel=Channel.DEMO).count()


def load_demo(
    *,
    seed: int = DEFAULT_SEED,
    reports: int = DEFAULT_REPORTS,
    now: datetime | None = None,
    incidents: int = 0,
) -> DemoResult:
    """Reference data, demo accounts, then demo reports unless some exist already, then
    ``incidents`` synthetic incidents (kamtibmas.demo_incidents) unless this seed's exist."""
    load_reference()
    accounts = demo_accounts()
    result = DemoResult(accounts=accounts, users_created=ensure_accounts(accounts))
    result.reports_existing = synthetic_reports()
    if result.reports_existing == 0 and reports > 0:
        result.by_status = make_reports(seed, reports, now or timezone.now())
        result.reports_created = synthetic_reports()
    discard_demo_messages()
    loaded = load_demo_incidents(seed=seed, count=incidents)
    result.incidents_created, result.incidents_existing = loaded.created, loaded.existing
    return result
