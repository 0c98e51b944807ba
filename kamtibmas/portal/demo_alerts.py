"""Demo public alerts, so a newcomer sees the alert pages, the Atom feed and CAP filled.

Four synthetic alerts: a series of motorbike thefts in Sepinggan Baru with its Update (which
widens the area to Sepinggan Raya), a fraud alert in force in Gunung Samarinda, and an expired
street-robbery alert in Klandasan Ilir. Fixed identifiers make a second call add nothing;
synthetic alerts are never sent to subscribers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from kamtibmas.geo.models import Kelurahan
from kamtibmas.portal.models import PublicAlert

DEMO_NAMESPACE = uuid.UUID("5b0c3f52-8a43-4d0e-9a8e-2f0f6f4c1a01")


@dataclass(frozen=True)
class DemoAlert:
    key: str
    kelurahan: tuple[str, ...]
    published_days_ago: float
    valid_days: float
    category: str
    headline_id: str
    headline_en: str
    description_id: str
    description_en: str
    instruction_id: str
    instruction_en: str
    severity: str = PublicAlert.Severity.MODERATE
    msg_type: str = PublicAlert.MsgType.ALERT
    references: str = ""


CURANMOR_TEXT_ID = (
    "Dalam dua pekan terakhir terjadi rangkaian pencurian sepeda motor di sekitar perumahan dan "
    "warung di kelurahan ini, terutama antara pukul 19.00 dan 23.00 WITA."
)
CURANMOR_TEXT_EN = (
    "A series of motorbike thefts near housing estates and food stalls in this kelurahan over "
    "the last two weeks, mostly between 19:00 and 23:00 WITA."
)
CURANMOR_ADVICE_ID = (
    "Gunakan kunci ganda, parkir di tempat terang atau berpenjaga, jangan tinggalkan kunci di "
    "kendaraan. Laporkan orang mencurigakan ke 110 atau pos kamling terdekat."
)
CURANMOR_ADVICE_EN = (
    "Use a second lock, park in lit or guarded places and never leave the key in the bike. "
    "Report suspicious people to 110 or the nearest neighbourhood-watch post."
)

DEMO_ALERTS = (
    DemoAlert(
        key="curanmor-sepinggan-baru",
        kelurahan=("64.71.05.1008",),
        published_days_ago=5,
        valid_days=14,
        category="curanmor",
        headline_id="Waspada pencurian sepeda motor di Sepinggan Baru",
        headline_en="Motorbike thefts in Sepinggan Baru",
        description_id=CURANMOR_TEXT_ID,
        description_en=CURANMOR_TEXT_EN,
        instruction_id=CURANMOR_ADVICE_ID,
        instruction_en=CURANMOR_ADVICE_EN,
    ),
    DemoAlert(
        key="curanmor-sepinggan-update",
        kelurahan=("64.71.05.1008", "64.71.05.1009"),
        published_days_ago=1,
        valid_days=14,
        category="curanmor",
        headline_id="Pembaruan: pencurian sepeda motor meluas ke Sepinggan Raya",
        headline_en="Update: motorbike thefts now also in Sepinggan Raya",
        description_id=CURANMOR_TEXT_ID + " Dua kejadian baru tercatat di Sepinggan Raya.",
        description_en=CURANMOR_TEXT_EN + " Two new cases were recorded in Sepinggan Raya.",
        instruction_id=CURANMOR_ADVICE_ID,
        instruction_en=CURANMOR_ADVICE_EN,
        msg_type=PublicAlert.MsgType.UPDATE,
        references="curanmor-sepinggan-baru",
    ),
    DemoAlert(
        key="penipuan-gunung-samarinda",
        kelurahan=("64.71.03.1002",),
        published_days_ago=2,
        valid_days=21,
        category="fraud",
        headline_id="Penipuan mengatasnamakan petugas PLN di Gunung Samarinda",
        headline_en="Fraudsters posing as electricity company staff in Gunung Samarinda",
        description_id="Warga melaporkan orang yang mengaku petugas PLN meminta pembayaran tunai.",
        description_en="Residents report people posing as PLN staff who ask for cash payments.",
        instruction_id="Petugas resmi tidak menagih tunai. Minta kartu identitas dan hubungi 110.",
        instruction_en="Official staff never collect cash. Ask for an ID card and call 110.",
        severity=PublicAlert.Severity.MINOR,
    ),
    DemoAlert(
        key="curas-klandasan-ilir",
        kelurahan=("64.71.06.1004",),
        published_days_ago=40,
        valid_days=14,
        category="curas",
        headline_id="Jambret di sekitar Jalan Jenderal Sudirman, Klandasan Ilir",
        headline_en="Bag snatching around Jalan Jenderal Sudirman, Klandasan Ilir",
        description_id="Beberapa penjambretan terjadi pada malam hari di sekitar pertokoan.",
        description_en="Several bag snatchings happened at night around the shopping strip.",
        instruction_id="Bawa tas di sisi jauh dari jalan dan hindari bermain ponsel di trotoar.",
        instruction_en="Carry bags on the side away from the road; avoid phones on the pavement.",
    ),
)


def demo_uid(key: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, key)


def _create(spec: DemoAlert, now: datetime, earlier: PublicAlert | None) -> PublicAlert | None:
    kelurahan = list(Kelurahan.objects.filter(code__in=spec.kelurahan))
    if not kelurahan:
        return None
    published = (now - timedelta(days=spec.published_days_ago)).replace(microsecond=0)
    alert = PublicAlert.objects.create(
        uid=demo_uid(spec.key),
        status=PublicAlert.Status.PUBLISHED,
        msg_type=spec.msg_type,
        references=earlier,
        offence_category=spec.category,
        headline_id=spec.headline_id,
        headline_en=spec.headline_en,
        description_id=spec.description_id,
        description_en=spec.description_en,
        instruction_id=spec.instruction_id,
        instruction_en=spec.instruction_en,
        severity=spec.severity,
        effective_at=published,
        expires_at=published + timedelta(days=spec.valid_days),
        published_at=published,
        is_synthetic=True,
        created_at=published,
        updated_at=published,
    )
    alert.kelurahan.set(kelurahan)
    return alert


@transaction.atomic
def load_demo_alerts(now: datetime | None = None) -> int:
    """Create the demo alerts that do not exist yet; returns how many were created."""
    moment = (now or timezone.now()).replace(second=0, microsecond=0)
    created = 0
    for spec in DEMO_ALERTS:
        if PublicAlert.objects.filter(uid=demo_uid(spec.key)).exists():
            continue
        earlier = (
            PublicAlert.objects.filter(uid=demo_uid(spec.references)).first()
            if spec.references
            else None
        )
        created += int(_create(spec, moment, earlier) is not None)
    return created
