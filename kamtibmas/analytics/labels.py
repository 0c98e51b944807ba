"""Display names of the offence codes (see the glossary) and of the Gi* / emerging categories."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CATEGORY_LABELS: dict[str, Promise] = {
    "curat": _("Aggravated theft (curat)"),
    "curas": _("Violent theft (curas)"),
    "curanmor": _("Motor-vehicle theft (curanmor)"),
    "theft": _("Ordinary theft"),
    "assault": _("Assault"),
    "narcotics": _("Drug offences"),
    "fraud": _("Fraud / embezzlement"),
    "domestic_violence": _("Domestic violence (KDRT)"),
    "gambling": _("Gambling"),
    "homicide": _("Homicide"),
    "disorder": _("Public-order disturbance"),
    "traffic_accident": _("Traffic accident"),
    "sexual_offence": _("Sexual offence"),
}

GI_LABELS: dict[int, Promise] = {
    3: _("Hot spot, 99% confidence"),
    2: _("Hot spot, 95% confidence"),
    1: _("Hot spot, 90% confidence"),
    0: _("Not significant"),
    -1: _("Cold spot, 90% confidence"),
    -2: _("Cold spot, 95% confidence"),
    -3: _("Cold spot, 99% confidence"),
}
GI_COLOURS: dict[int, str] = {
    3: "#b2182b",
    2: "#ef8a62",
    1: "#fddbc7",
    0: "#f7f7f7",
    -1: "#d1e5f0",
    -2: "#67a9cf",
    -3: "#2166ac",
}

EMERGING_LABELS: dict[str, Promise] = {
    "new": _("New hot spot"),
    "consecutive": _("Consecutive hot spot"),
    "intensifying": _("Intensifying hot spot"),
    "persistent": _("Persistent hot spot"),
    "diminishing": _("Diminishing hot spot"),
    "sporadic": _("Sporadic hot spot"),
    "oscillating": _("Oscillating hot spot"),
    "historical": _("Historical hot spot"),
    "none": _("No pattern"),
}

WEEKDAY_LABELS: tuple[Promise, ...] = (
    _("Mon"),
    _("Tue"),
    _("Wed"),
    _("Thu"),
    _("Fri"),
    _("Sat"),
    _("Sun"),
)


def category_label(code: str) -> str:
    label = CATEGORY_LABELS.get(code)
    return str(label) if label is not None else code


# The monthly PDF is always in Indonesian (a document for the Kapolres, not a page).
CATEGORY_ID: dict[str, str] = {
    "curat": "Curat",
    "curas": "Curas",
    "curanmor": "Curanmor",
    "theft": "Pencurian biasa",
    "assault": "Penganiayaan",
    "narcotics": "Narkoba",
    "fraud": "Penipuan/penggelapan",
    "domestic_violence": "KDRT",
    "gambling": "Perjudian",
    "homicide": "Pembunuhan",
    "disorder": "Gangguan ketertiban",
    "traffic_accident": "Kecelakaan lalu lintas",
    "sexual_offence": "Kejahatan seksual",
}
MONTHS_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
WEEKDAYS_ID = ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min")
GI_ID = {
    3: "Titik panas 99%",
    2: "Titik panas 95%",
    1: "Titik panas 90%",
    0: "Tidak signifikan",
    -1: "Titik dingin 90%",
    -2: "Titik dingin 95%",
    -3: "Titik dingin 99%",
}
