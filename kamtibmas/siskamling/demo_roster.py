"""Demo rosters: a weekly template for each active synthetic post, its nights for the past 8
weeks and the next week, the rounds of most past nights (some posts lax, so the dashboard shows
missed nights), a few observations, and door-to-door visits by the demo Bhabinkamtibmas.

Idempotent (a second call adds nothing) and deterministic for a seed: every random draw is
seeded by the seed and the name of the post, night or officer it is about, not by the order of
rows in the database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from kamtibmas.accounts.models import User
from kamtibmas.siskamling import roster
from kamtibmas.siskamling.models import CheckIn, DoorVisit, Post, RosterNight, RosterSlot

PAST_WEEKS = 8
LAX_SHARE = 0.25
VISITS_PER_OFFICER = 12
FIRST_NAMES = (
    "Budi",
    "Agus",
    "Joko",
    "Slamet",
    "Wawan",
    "Hendra",
    "Rudi",
    "Yusuf",
    "Andi",
    "Dedi",
    "Eko",
    "Fajar",
    "Gunawan",
    "Irfan",
    "Kurniawan",
    "Lukman",
    "Mulyadi",
    "Nanang",
    "Rahmat",
    "Sugeng",
    "Taufik",
    "Usman",
    "Yanto",
    "Zainal",
    "Arif",
    "Bambang",
    "Darmawan",
    "Heri",
)
LAST_NAMES = ("S.", "P.", "H.", "R.", "W.", "N.", "M.", "T.")
OBSERVATIONS = (
    "Dua orang tak dikenal mondar-mandir dengan motor tanpa pelat sekitar pukul 01.00.",
    "Lampu jalan di gang RT mati; warga minta diperbaiki.",
    "Pintu gudang toko bangunan terbuka, pemilik sudah dihubungi.",
    "Sekelompok remaja berkumpul dan minum-minum di lapangan sampai pukul 02.00.",
)
VISIT_TOPICS = (
    ("Pencurian motor", "Mengingatkan warga memasang kunci ganda dan menyimpan motor di dalam."),
    ("Bahaya narkoba", "Sosialisasi singkat kepada orang tua tentang tanda-tanda penyalahgunaan."),
    ("Siskamling", "Mengajak warga aktif ronda malam; ketua RT siap menyusun jadwal baru."),
    ("Kenakalan remaja", "Keluhan balap liar di jalan kompleks pada malam minggu."),
    ("Keamanan lingkungan", "Usulan pemasangan CCTV di pintu masuk gang."),
    ("Sengketa tetangga", "Mediasi soal parkir kendaraan di depan rumah; disepakati damai."),
)
HOSTS = ("Ketua RT", "Ketua RW", "Pemilik warung", "Tokoh agama", "Pengurus masjid", "Warga")


@dataclass
class DemoRoster:
    templates: int = 0
    nights: int = 0
    rounds: int = 0
    visits: int = 0
    lax_posts: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "templates": self.templates,
            "nights": self.nights,
            "rounds": self.rounds,
            "visits": self.visits,
            "lax_posts": self.lax_posts,
        }


def _rng(seed: int, *keys: object) -> random.Random:
    return random.Random(":".join([str(seed), *map(str, keys)]))


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _template(post: Post, seed: int) -> int:
    """3-7 nights a week with 2-4 synthetic names each; none if the post has a template."""
    if post.roster_slots.exists():
        return 0
    rng = _rng(seed, "template", post.name)
    residents = list(dict.fromkeys(_name(rng) for _k in range(14)))
    days = sorted(rng.sample(range(7), rng.randint(3, 7)))
    start = rng.choice((time(21, 0), time(22, 0), time(23, 0)))
    for day in days:
        RosterSlot.objects.create(
            post=post,
            weekday=day,
            start_time=start,
            end_time=time(4, 0),
            members=rng.sample(residents, rng.randint(2, 4)),
        )
    return len(days)


def is_lax(post: Post, seed: int) -> bool:
    return _rng(seed, "lax", post.name).random() < LAX_SHARE


def _round(night: RosterNight, seed: int, lax: bool) -> CheckIn | None:
    """The night's round (most nights; a lax post misses about half), once per night."""
    key = f"demo-roster:{night.post_id}:{night.date:%Y-%m-%d}"
    if CheckIn.objects.filter(idempotency_key=key).exists():
        return None
    rng = _rng(seed, "round", night.post.name, night.date)
    if rng.random() > (0.5 if lax else 0.9):
        return None
    came = [m for m in night.members if rng.random() < 0.8] or night.members[:1]
    if rng.random() < 0.2:
        came.append(_name(rng))
    quiet = rng.random() > 0.08
    start = night.starts_at + timedelta(minutes=rng.randint(0, 45))
    return CheckIn.objects.create(
        post=night.post,
        night=night,
        started_at=start,
        ended_at=start + timedelta(minutes=rng.randint(120, 300)),
        attendees=came,
        attendee_count=len(came),
        observations="" if quiet else rng.choice(OBSERVATIONS),
        all_quiet=quiet,
        via=CheckIn.Via.DEMO,
        idempotency_key=key,
        created_at=start,
    )


def _nights_and_rounds(post: Post, seed: int, now: datetime, result: DemoRoster) -> None:
    monday = roster.week_start(timezone.localdate(now))
    for k in range(-PAST_WEEKS, 2):
        result.nights += len(roster.make_week(post, monday + timedelta(weeks=k)))
    lax = is_lax(post, seed)
    if lax:
        result.lax_posts.append(post.name)
    for night in post.nights.filter(ends_at__lte=now).select_related("post"):
        if _round(night, seed, lax):
            result.rounds += 1


def _visits(officer: User, seed: int, now: datetime) -> int:
    """About a dozen visits over the past 8 weeks, in the officer's kelurahan; none if the
    officer has demo visits already."""
    kelurahan = list(officer.kelurahan.order_by("code"))
    if not kelurahan or DoorVisit.objects.filter(officer=officer, is_synthetic=True).exists():
        return 0
    rng = _rng(seed, "visits", officer.username)
    rows = []
    for _k in range(VISITS_PER_OFFICER):
        topic, notes = rng.choice(VISIT_TOPICS)
        moment = now - timedelta(days=rng.randint(0, 7 * PAST_WEEKS), hours=rng.randint(0, 6))
        local = timezone.localtime(moment).replace(
            hour=rng.randint(9, 16), minute=0, second=0, microsecond=0
        )
        rows.append(
            DoorVisit(
                officer=officer,
                kelurahan=rng.choice(kelurahan),
                rw=f"{rng.randint(1, 12):03d}",
                rt=f"{rng.randint(1, 40):03d}",
                visited_at=min(local, now),
                host=rng.choice(HOSTS),
                topic=topic,
                notes=notes,
                follow_up_needed=rng.random() < 0.3,
                is_synthetic=True,
            )
        )
    DoorVisit.objects.bulk_create(rows)
    return len(rows)


def load_demo_roster(seed: int = 7, now: datetime | None = None) -> dict[str, object]:
    """Rosters, nights, rounds and door visits for the synthetic posts and demo officers."""
    now = now or timezone.now()
    result = DemoRoster()
    with transaction.atomic():
        for post in Post.objects.filter(is_synthetic=True, is_active=True).order_by("pk"):
            result.templates += _template(post, seed)
            _nights_and_rounds(post, seed, now, result)
        officers = User.objects.filter(username__startswith="bhabin.").order_by("username")
        for officer in officers:
            result.visits += _visits(officer, seed, now)
    return result.as_dict()
