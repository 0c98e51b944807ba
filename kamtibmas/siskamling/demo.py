"""Demo Siskamling posts, so that a newcomer sees the post pages, the map and the coordinator's
reports filled.

``load_demo_posts(seed)`` places one post in every kelurahan and two more in a few busy ones
(about 40), about 15 % of them inactive, with obviously synthetic coordinators (``Koordinator
Contoh NN``, phone ``0812-0000-NNNN``), and files a few reports from posts through the normal
intake (channel ``siskamling``). Everything is marked synthetic; the same seed gives the same
posts, and a second call adds nothing. Rosters, nights, rounds and door visits come from
``demo_roster`` afterwards.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from shapely.geometry import Point, shape

from kamtibmas.geo import lookup
from kamtibmas.geo.models import Kelurahan, Unit
from kamtibmas.reports.intake import IntakeError, find_category
from kamtibmas.siskamling import checkin
from kamtibmas.siskamling.models import Post

DENSE_KELURAHAN = 3  # kelurahan with two extra posts
EXTRA_PER_DENSE = 2
INACTIVE_SHARE = 0.15
PLACE_TRIES = 200
REPORTS = (
    ("crime", "curanmor", "Dua orang mencoba membuka kunci sepeda motor di depan warung, lari "
                          "ke arah jalan besar saat ditegur peronda."),
    ("tip", "narcotics", "Ada transaksi mencurigakan di ujung gang setiap malam sekitar pukul "
                         "23.00, orang luar datang dengan motor."),
    ("crime", "curat", "Pintu gudang warga terlihat dicongkel, pemilik sedang di luar kota."),
    ("complaint", "noise", "Balapan liar di jalan utama setelah tengah malam, mengganggu warga."),
    ("tip", "gambling", "Ada perjudian sabung ayam di lahan kosong belakang masjid."),
    ("crime", "theft", "Tabung gas dan sepatu di teras rumah hilang antara pukul 01.00-03.00."),
    ("crime", "curanmor", "Sepeda motor warga hilang dari carport, gembok dirusak."),
    ("complaint", "other", "Lampu jalan di dekat pos padam sejak seminggu, gang gelap."),
)  # fmt: skip
POST_NAMES = ("Pos Kamling", "Pos Ronda", "Pos Siskamling")


@dataclass(frozen=True)
class _Plan:
    kelurahan: Kelurahan
    number: int  # 1.. within the kelurahan
    serial: int  # 1.. over all demo posts


def _plans(rng: random.Random) -> list[_Plan]:
    kelurahan = list(Kelurahan.objects.exclude(geometry=None).order_by("code"))
    dense = {k.pk for k in rng.sample(kelurahan, min(DENSE_KELURAHAN, len(kelurahan)))}
    plans, serial = [], 0
    for kel in kelurahan:
        for number in range(1, 2 + (EXTRA_PER_DENSE if kel.pk in dense else 0)):
            serial += 1
            plans.append(_Plan(kel, number, serial))
    return plans


def _place(rng: random.Random, kel: Kelurahan) -> tuple[float, float, lookup.Area] | None:
    """A random point inside the kelurahan that the lookup also puts there (with a Polsek)."""
    polygon = shape(kel.geometry)
    west, south, east, north = polygon.bounds
    for _try in range(PLACE_TRIES):
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        if not polygon.contains(Point(lon, lat)):
            continue
        area = lookup.find_area(lat, lon)
        if area is not None and area.kelurahan_id == kel.pk and area.unit_id is not None:
            return round(lat, 6), round(lon, 6), area
    area = lookup.find_area(kel.lat, kel.lon)
    if area is not None and area.kelurahan_id == kel.pk and area.unit_id is not None:
        return kel.lat, kel.lon, area
    return None


def _post_values(rng: random.Random, plan: _Plan, now: datetime) -> dict[str, Any]:
    rw = f"{rng.randint(1, 15):02d}"
    rt = f"{rng.randint(1, 40):02d}"
    return {
        "rw": rw, "rt": rt,
        "address_text": f"Dekat masjid / gang {rng.randint(1, 30)}, RT {rt} RW {rw}",
        "coordinator_name": f"Koordinator Contoh {plan.serial:02d}",
        "coordinator_phone": f"0812-0000-{plan.serial:04d}",
        "coordinator_email": "" if plan.serial % 3 else f"koordinator{plan.serial:02d}@example.org",
        "is_active": rng.random() >= INACTIVE_SHARE,
        "created_at": now - timedelta(days=rng.randint(30, 400)),
    }  # fmt: skip


def _name(plan: _Plan, rng: random.Random) -> str:
    prefix = POST_NAMES[rng.randrange(len(POST_NAMES))]
    suffix = f" {plan.number}" if plan.number > 1 else ""
    return f"{prefix} {plan.kelurahan.name}{suffix} (demo)"


@transaction.atomic
def _create_posts(seed: int, now: datetime) -> list[Post]:
    rng = random.Random(seed)
    created = []
    units = {u.pk: u for u in Unit.objects.all()}
    for plan in _plans(rng):
        name = _name(plan, rng)
        values = _post_values(rng, plan, now)
        placed = _place(rng, plan.kelurahan)
        if placed is None:
            continue
        lat, lon, area = placed
        if Post.objects.filter(is_synthetic=True, name=name).exists():
            continue
        created.append(Post.objects.create(
            name=name, kelurahan=plan.kelurahan, kelurahan_code=plan.kelurahan.code,
            unit=units[int(area.unit_id or 0)], lat=lat, lon=lon, is_synthetic=True,
            updated_at=values["created_at"], **values,
        ))  # fmt: skip
    return created


def _file_reports(seed: int, now: datetime) -> int:
    """A few reports from active demo posts, through intake (idempotent by key)."""
    rng = random.Random(seed + 1)
    posts = list(Post.objects.filter(is_synthetic=True, is_active=True).order_by("pk"))
    if not posts:
        return 0
    filed = 0
    for n, (kind, code, text) in enumerate(REPORTS):
        if find_category(kind, code) is None:
            continue
        post = posts[rng.randrange(len(posts))]
        at = now - timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 5))
        draft = checkin.report_draft(post, kind=kind, category_code=code, description=text,
                                     occurred_from=at - timedelta(hours=1))  # fmt: skip
        try:
            checkin.file_report(post, draft, f"demo-post-report-{seed}-{n}", is_synthetic=True,
                                created_at=at)  # fmt: skip
        except IntakeError:
            continue
        filed += 1
    return filed


def load_demo_posts(seed: int = 7, now: datetime | None = None) -> int:
    """Create the demo posts (and their few reports); return how many posts were created."""
    now = now or timezone.now()
    created = _create_posts(seed, now)
    _file_reports(seed, now)
    return len(created)
