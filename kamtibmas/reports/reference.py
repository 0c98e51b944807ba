"""Built-in categories and routing rules; admins edit them afterwards (idempotent load)."""

from __future__ import annotations

from django.db import transaction

from kamtibmas.geo.models import Unit
from kamtibmas.reports.models import Category, Kind, RoutingRule

# (code, Indonesian, English, urgent)
OFFENCES: list[tuple[str, str, str, bool]] = [
    ("curat", "Pencurian dengan pemberatan (Curat)", "Aggravated theft, burglary", False),
    ("curas", "Pencurian dengan kekerasan (Curas)", "Robbery, violent theft", True),
    ("curanmor", "Pencurian kendaraan bermotor (Curanmor)", "Motor-vehicle theft", False),
    ("theft", "Pencurian biasa", "Ordinary theft", False),
    ("assault", "Penganiayaan", "Assault", True),
    ("narcotics", "Narkoba", "Drug offences", False),
    ("fraud", "Penipuan / penggelapan", "Fraud / embezzlement", False),
    ("domestic_violence", "Kekerasan dalam rumah tangga (KDRT)", "Domestic violence", True),
    ("gambling", "Perjudian", "Gambling", False),
    ("homicide", "Pembunuhan", "Homicide", True),
    ("disorder", "Gangguan ketertiban", "Public-order disturbance", False),
    ("traffic_accident", "Kecelakaan lalu lintas", "Traffic accident", True),
    # Sensitive like KDRT: the public statistics never place it below the kelurahan.
    ("sexual_offence", "Kejahatan seksual (pencabulan, perkosaan)", "Sexual offence", True),
]

OTHER: dict[str, list[tuple[str, str, str]]] = {
    Kind.COMPLAINT: [
        ("police_conduct", "Perilaku anggota Polri", "Conduct of a police officer"),
        ("service", "Pelayanan kepolisian", "Police service"),
        ("noise", "Kebisingan / gangguan lingkungan", "Noise or nuisance"),
        ("traffic", "Lalu lintas dan parkir", "Traffic and parking"),
        ("other", "Lainnya", "Other"),
    ],
    Kind.ASPIRATION: [
        ("patrol", "Permintaan patroli", "Request for patrols"),
        ("lighting", "Penerangan jalan", "Street lighting"),
        ("siskamling", "Siskamling dan pos ronda", "Neighbourhood watch"),
        ("youth", "Kenakalan remaja", "Youth and juvenile issues"),
        ("other", "Lainnya", "Other"),
    ],
    Kind.TIP: [
        ("narcotics", "Peredaran narkoba", "Drug dealing"),
        ("gambling", "Perjudian", "Gambling"),
        ("stolen_goods", "Penadahan barang curian", "Stolen goods"),
        ("wanted_person", "Keberadaan pelaku / DPO", "Whereabouts of a suspect"),
        ("other", "Lainnya", "Other"),
    ],
}

# Extra questions shown in the form and in Open311 service definitions.
QUESTIONS = {
    (Kind.CRIME, "curanmor"): [
        {
            "code": "vehicle_type",
            "datatype": "singlevaluelist",
            "required": False,
            "description_id": "Jenis kendaraan",
            "description_en": "Type of vehicle",
            "values": [
                ["motorcycle", "Sepeda motor", "Motorcycle"],
                ["car", "Mobil", "Car"],
                ["other", "Lainnya", "Other"],
            ],
        },
        {
            "code": "plate_number",
            "datatype": "string",
            "required": False,
            "description_id": "Nomor polisi kendaraan",
            "description_en": "Licence plate",
        },
    ],
}


@transaction.atomic
def load_categories() -> int:
    created = 0
    for order, (code, name_id, name_en, urgent) in enumerate(OFFENCES):
        _, was_created = Category.objects.get_or_create(
            kind=Kind.CRIME,
            code=code,
            defaults={
                "name_id": name_id,
                "name_en": name_en,
                "is_offence": True,
                "urgent": urgent,
                "ack_within_hours": 1 if urgent else 24,
                "order": order,
                "questions": QUESTIONS.get((Kind.CRIME, code), []),
            },
        )
        created += int(was_created)
    for kind, rows in OTHER.items():
        for order, (code, name_id, name_en) in enumerate(rows):
            _, was_created = Category.objects.get_or_create(
                kind=kind,
                code=code,
                defaults={
                    "name_id": name_id,
                    "name_en": name_en,
                    "order": order,
                    "is_offence": kind == Kind.TIP and code in {"narcotics", "gambling"},
                },
            )
            created += int(was_created)
    return created


@transaction.atomic
def load_routing_rules() -> int:
    """Narcotics to Sat Resnarkoba, police conduct to the Polres commander; the rest by place."""
    if RoutingRule.objects.exists():
        return 0
    polres = Unit.objects.get(code="polres-balikpapan")
    narkoba = Unit.objects.get(code="sat-resnarkoba")
    rules = [
        (10, Kind.TIP, "narcotics", narkoba, "Informasi narkoba ke Sat Resnarkoba"),
        (20, Kind.CRIME, "narcotics", narkoba, "Laporan narkoba ke Sat Resnarkoba"),
        (30, Kind.COMPLAINT, "police_conduct", polres, "Pengaduan perilaku anggota ke Kapolres"),
    ]
    for order, kind, code, unit, text in rules:
        RoutingRule.objects.create(
            order=order,
            kind=kind,
            category=Category.objects.get(kind=kind, code=code),
            target_unit=unit,
            description=text,
        )
    return len(rules)
