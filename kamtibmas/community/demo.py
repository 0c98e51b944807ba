"""Demo programmes and events, so that a newcomer sees the calendar and the staff pages filled:
one programme of each kind across five Polsek, each with events held in the past three months
(registrations and attendance) and events planned in the next six weeks (open for
registration), one of them cancelled.

Everything is marked ``is_synthetic=True`` (registrations: ``source="demo"``); registrants are
obviously fake (``Peserta Contoh 012``, ``+62 800 …``, ``…@demo.kamtibmas.invalid``) and get no
messages. Event ids come from the seed (uuid5), so running it again adds nothing; what it makes
depends only on the seed and ``now``.

>>> load_demo_programmes(seed=7)  # doctest: +SKIP
{'programmes_created': 5, 'events_created': 35, 'registrations_created': ...}
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from kamtibmas.community.models import Event, Programme, ProgrammeKind, Registration
from kamtibmas.geo.models import Kelurahan, Unit

NAMESPACE = uuid.UUID("0f6f3a52-1d4e-4b7a-8c1e-6b0d3f7a2c55")
PAST_DAYS = (84, 63, 42, 21)
COMING_DAYS = (6, 20, 34)
EMAIL_DOMAIN = "demo.kamtibmas.invalid"
FRIDAY = 4


@dataclass(frozen=True)
class DemoProgramme:
    key: str
    name: str
    kind: str
    unit_code: str
    kelurahan: tuple[str, ...]
    audience: str
    place: str
    starts: time
    hours: int
    capacity: int | None
    materials: str
    description: str
    weekday: int | None = None  # 0 = Monday ... 4 = Friday (Jumat Curhat); None: any day


PROGRAMMES = (
    DemoProgramme(
        "curhat-selatan",
        "Jumat Curhat Polsek Balikpapan Selatan",
        ProgrammeKind.DIALOGUE,
        "polsek-balikpapan-selatan",
        ("64.71.05.1008", "64.71.05.1002"),
        "Warga Balikpapan Selatan",
        "Balai Kelurahan Sepinggan Baru (contoh)",
        time(8, 30),
        2,
        None,
        "Kotak saran; leaflet nomor darurat 110",
        "Dialog terbuka setiap Jumat: warga menyampaikan keluhan dan harapan tentang keamanan.",
        weekday=FRIDAY,
    ),
    DemoProgramme(
        "narkoba-kota",
        "Penyuluhan Bahaya Narkoba untuk Pelajar",
        ProgrammeKind.ANTI_DRUG,
        "polsek-balikpapan-kota",
        ("64.71.06.1003", "64.71.06.1004"),
        "Pelajar SMA/SMK dan guru BK",
        "Aula SMA Negeri Klandasan (contoh)",
        time(9, 0),
        3,
        120,
        "Materi presentasi BNN; video edukasi; leaflet",
        "Sosialisasi bahaya narkoba dan cara menolak ajakan, bersama Sat Resnarkoba.",
    ),
    DemoProgramme(
        "pelatihan-utara",
        "Pelatihan Keamanan Lingkungan untuk Linmas dan Pos Kamling",
        ProgrammeKind.SECURITY_TRAINING,
        "polsek-balikpapan-utara",
        ("64.71.03.1004", "64.71.03.1001"),
        "Anggota Linmas dan koordinator pos kamling",
        "Aula Polsek Balikpapan Utara (contoh)",
        time(8, 0),
        7,
        30,
        "Modul ronda malam; peluit; buku jurnal pos",
        "Pelatihan ronda, pelaporan kejadian, pertolongan pertama dan komunikasi darurat.",
    ),
    DemoProgramme(
        "dialogis-tengah",
        "Patroli Dialogis Pasar dan Permukiman",
        ProgrammeKind.PATROLI_DIALOGIS,
        "polsek-balikpapan-tengah",
        ("64.71.04.1003",),
        "Pedagang pasar dan warga sekitar",
        "Pasar Karang Rejo (contoh)",
        time(16, 0),
        2,
        None,
        "Stiker nomor darurat",
        "Patroli yang berhenti untuk berbincang dengan pedagang dan warga.",
    ),
    DemoProgramme(
        "sekolah-timur",
        "Polisi Sahabat Anak: Kunjungan Sekolah",
        ProgrammeKind.SCHOOL_VISIT,
        "polsek-balikpapan-timur",
        ("64.71.01.1001",),
        "Siswa SD dan SMP",
        "SD Negeri Manggar (contoh)",
        time(9, 30),
        2,
        80,
        "Buku cerita keselamatan; rompi",
        "Pengenalan tugas polisi, keselamatan di jalan dan cara meminta tolong.",
    ),
)
CANCELLED = ("curhat-selatan", 1)  # (programme, index among the coming events)


def _event_uid(seed: int, key: str, label: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{seed}:{key}:{label}")


def _at(day: Any, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at), timezone.get_default_timezone())


def _programme(spec: DemoProgramme) -> tuple[Programme, bool]:
    programme, created = Programme.objects.get_or_create(
        name=spec.name, is_synthetic=True,
        defaults={
            "kind": spec.kind, "organising_unit": Unit.objects.get(code=spec.unit_code),
            "audience": spec.audience, "description": spec.description,
        },
    )  # fmt: skip
    if created:
        programme.target_kelurahan.set(Kelurahan.objects.filter(code__in=spec.kelurahan))
    return programme, created


def _people(rng: random.Random, count: int, start: int, kelurahan: list[Kelurahan]) -> list[dict]:
    people = []
    for n in range(start, start + count):
        contact = rng.random()
        people.append({
            "name": f"Peserta Contoh {n:03d}",
            "phone": f"+62 800 0000 {n:04d}" if contact < 0.5 else "",
            "email": f"peserta{n:03d}@{EMAIL_DOMAIN}" if 0.3 < contact < 0.8 else "",
            "kelurahan": rng.choice(kelurahan) if kelurahan else None,
        })  # fmt: skip
    return people


def _registrations(
    event: Event, rng: random.Random, held: bool, start: int, kelurahan: list[Kelurahan]
) -> list[Registration]:
    limit = event.capacity or 40
    count = rng.randint(max(3, limit // 4), max(4, limit // 2)) if held else rng.randint(2, 6)
    rows = []
    for person in _people(rng, min(count, limit), start, kelurahan):
        came = held and rng.random() < 0.8
        rows.append(Registration(
            event=event, source=Registration.Source.DEMO,
            created_at=event.starts_at - timedelta(days=rng.randint(1, 10)),
            attended_at=event.starts_at + timedelta(minutes=rng.randint(0, 25)) if came else None,
            **person,
        ))  # fmt: skip
    return rows


def _event(spec: DemoProgramme, programme: Programme, day: Any, status: str, uid: uuid.UUID,
           number: int) -> Event:  # fmt: skip
    starts = _at(day, spec.starts)
    first = Kelurahan.objects.filter(code=spec.kelurahan[0]).first()
    return Event.objects.create(
        programme=programme, uid=uid, title=f"{spec.name} #{number}", starts_at=starts,
        ends_at=starts + timedelta(hours=spec.hours), place_name=spec.place,
        lat=first.lat if first else None, lon=first.lon if first else None, kelurahan=first,
        audience=spec.audience, capacity=spec.capacity, materials=spec.materials,
        description=spec.description, status=status, is_synthetic=True,
        registration_open=status == Event.Status.PLANNED,
    )  # fmt: skip


def _schedule(spec: DemoProgramme, rng: random.Random, today: Any) -> list[tuple[Any, str, str]]:
    """(day, status, label) of each event: past ones held, coming ones planned (one cancelled).

    A programme tied to a weekday (Jumat Curhat is on Fridays) moves each day forward to it;
    the shortest gaps (PAST_DAYS, COMING_DAYS) keep held events past and planned ones ahead."""
    plan: list[tuple[Any, str, str]] = []
    for k, back in enumerate(PAST_DAYS):
        day = _on_weekday(today - timedelta(days=back + rng.randint(0, 3)), spec.weekday)
        plan.append((day, Event.Status.HELD, f"p{k}"))
    for k, ahead in enumerate(COMING_DAYS):
        status = Event.Status.CANCELLED if (spec.key, k) == CANCELLED else Event.Status.PLANNED
        day = _on_weekday(today + timedelta(days=ahead + rng.randint(0, 3)), spec.weekday)
        plan.append((day, status, f"c{k}"))
    return plan


def _on_weekday(day: date, weekday: int | None) -> date:
    """The first ``weekday`` on or after ``day`` (``day`` itself when there is none)."""
    if weekday is None:
        return day
    return day + timedelta(days=(weekday - day.weekday()) % 7)


@transaction.atomic
def load_demo_programmes(seed: int = 7, now: datetime | None = None) -> dict[str, int]:
    """Create what is missing; returns how many programmes, events and registrations it made."""
    rng = random.Random(seed)
    today = timezone.localtime(now or timezone.now()).date()
    made = {"programmes_created": 0, "events_created": 0, "registrations_created": 0}
    person = 1
    for spec in PROGRAMMES:
        programme, created = _programme(spec)
        made["programmes_created"] += int(created)
        kelurahan = list(Kelurahan.objects.filter(code__in=spec.kelurahan))
        for number, (day, status, label) in enumerate(_schedule(spec, rng, today), start=1):
            uid = _event_uid(seed, spec.key, label)
            if Event.objects.filter(uid=uid).exists():
                continue
            event = _event(spec, programme, day, status, uid, number)
            rows = _registrations(event, rng, status == Event.Status.HELD, person, kelurahan)
            person += len(rows)
            Registration.objects.bulk_create(rows)
            made["events_created"] += 1
            made["registrations_created"] += len(rows)
    return made
