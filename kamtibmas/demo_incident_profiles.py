"""The offence categories of the synthetic demo incidents: how each behaves, and when.

Numbers are plausible for an Indonesian city of 700,000, not measured: shares of the Polres
caseload, near-repeat branching, daily and weekly cycles, seasonal factors, the kinds of place
each favours, time windows, report delays, clearance, counts and losses (Rp), and the modus
operandi phrases that appear in Indonesian police reports. Used by ``kamtibmas.demo_incidents``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

CATEGORIES = (
    "curat", "curas", "curanmor", "theft", "assault", "narcotics", "fraud",
    "domestic_violence", "gambling", "homicide", "disorder", "traffic_accident",
)  # fmt: skip
LABELS = (
    "Curat", "Curas", "Curanmor", "Pencurian biasa", "Penganiayaan", "Narkoba",
    "Penipuan/penggelapan", "KDRT", "Perjudian", "Pembunuhan", "Gangguan ketertiban",
    "Kecelakaan lalu lintas",
)  # fmt: skip
GROUPS = (
    "residential", "market", "retail", "food", "lodging", "finance", "education", "worship",
    "office", "health", "leisure", "fuel", "road",
)  # fmt: skip
# OSM kategori -> (group, base weight, premises type)
PLACE_KINDS: dict[str, tuple[str, float, str]] = {
    "Mall": ("retail", 6.0, "pusat perbelanjaan"),
    "Supermarket": ("retail", 3.0, "supermarket"),
    "Toko Serba Ada": ("retail", 3.0, "toko"),
    "Minimarket": ("retail", 2.0, "minimarket"),
    "Apotek": ("retail", 1.0, "apotek"),
    "Restoran": ("food", 1.0, "rumah makan"),
    "Kafe": ("food", 1.2, "kafe"),
    "Fast Food": ("food", 1.2, "rumah makan"),
    "Hotel": ("lodging", 1.5, "hotel"),
    "Guest House": ("lodging", 1.0, "penginapan"),
    "Motel": ("lodging", 1.0, "penginapan"),
    "Bank": ("finance", 1.2, "bank"),
    "ATM": ("finance", 1.2, "ATM"),
    "Sekolah": ("education", 1.0, "sekolah"),
    "Universitas": ("education", 1.5, "kampus"),
    "Perpustakaan": ("education", 0.5, "perpustakaan"),
    "Tempat Ibadah": ("worship", 0.8, "tempat ibadah"),
    "Klinik": ("health", 0.7, "fasilitas kesehatan"),
    "Rumah Sakit": ("health", 2.0, "rumah sakit"),
    "Taman": ("leisure", 1.2, "taman"),
    "Stadion": ("leisure", 2.0, "fasilitas olahraga"),
    "Pusat Olahraga": ("leisure", 1.0, "fasilitas olahraga"),
    "SPBU": ("fuel", 2.5, "SPBU"),
    "Polisi": ("office", 0.2, "perkantoran"),
}
OTHER_PLACE = ("office", 0.6, "perkantoran")


@dataclass(frozen=True)
class Profile:
    """How one offence category behaves. Hours are (peak, width h, weight) bumps on a floor."""

    share: float
    branching: float
    hours: tuple[tuple[float, float, float], ...]
    weekly: tuple[float, float, float, float, float, float, float]  # Monday .. Sunday
    weekend_night: float  # extra factor for Friday and Saturday nights (20:00-03:59)
    season: tuple[float, float]  # amplitude, peak day of the year
    ramadan: float  # last ten days of Ramadan
    lebaran: float  # Idul Fitri -3 .. +7 days (mudik)
    year_end: float  # 24 Dec .. 1 Jan (again on 31 Dec and 1 Jan)
    affinity: dict[str, float]  # groups not named: 0.1
    window: tuple[float, float, float]  # share given as a window, min and max hours
    delay_h: float  # median hours from the end of the event to the report
    solved: float  # share solved eventually
    closed: float  # share closed without being solved (withdrawn, settled, stopped)
    value: tuple[float, float, float]  # share with a loss, median Rp, lognormal sigma
    victims: tuple[int, float]  # minimum, extra Poisson mean
    suspects: tuple[int, float]  # minimum once solved, extra Poisson mean
    modus: tuple[str, ...]
    lp: str = "B/SPKT"


_PROPERTY = {  # burglary's affinities away from homes
    "retail": 1.5,
    "market": 1.0,
    "food": 0.5,
    "lodging": 0.5,
    "education": 1.0,
    "worship": 0.6,
    "office": 0.8,
    "health": 0.3,
}
PROFILES: dict[str, Profile] = {
    "curat": Profile(
        share=0.13,
        branching=0.55,
        hours=((2.5, 2.5, 1.0), (12.5, 2.5, 0.35)),
        weekly=(1, 1, 1, 1, 1.05, 1.15, 1.15),
        weekend_night=0,
        season=(0.08, 200),
        ramadan=1.1,
        lebaran=2.0,
        year_end=1.2,
        affinity={"residential": 7.0, **_PROPERTY},
        window=(0.75, 2, 10),
        delay_h=3,
        solved=0.3,
        closed=0.1,
        value=(0.95, 5_000_000, 1.0),
        victims=(1, 0.1),
        suspects=(1, 0.6),
        modus=(
            "mencongkel jendela",
            "merusak gembok pintu",
            "masuk melalui atap",
            "menjebol dinding belakang",
            "merusak kunci pintu saat penghuni tidur",
            "masuk melalui pintu yang tidak terkunci",
        ),
    ),
    "curas": Profile(
        share=0.03,
        branching=0.35,
        hours=((22, 2, 1.0), (3, 2, 0.6)),
        weekly=(1, 1, 1, 1, 1.1, 1.2, 1.1),
        weekend_night=0.3,
        season=(0.05, 100),
        ramadan=1.3,
        lebaran=1.0,
        year_end=1.2,
        affinity={
            "residential": 1,
            "market": 1.5,
            "retail": 1,
            "finance": 2,
            "leisure": 1,
            "road": 3,
        },
        window=(0, 0, 0),
        delay_h=1,
        solved=0.35,
        closed=0.05,
        value=(0.9, 3_000_000, 0.9),
        victims=(1, 0.15),
        suspects=(1, 0.8),
        modus=(
            "menjambret tas dari sepeda motor",
            "mengancam dengan senjata tajam",
            "begal di jalan sepi",
            "merampas ponsel korban",
        ),
    ),
    "curanmor": Profile(
        share=0.14,
        branching=0.5,
        hours=((1.5, 2.5, 1.0), (20, 2, 0.45), (11, 2.5, 0.3)),
        weekly=(1, 1, 1, 1, 1.05, 1.1, 1.1),
        weekend_night=0.2,
        season=(0.06, 210),
        ramadan=1.25,
        lebaran=1.3,
        year_end=1.1,
        affinity={
            "residential": 5,
            "retail": 3,
            "market": 2.5,
            "food": 1.5,
            "lodging": 1,
            "finance": 1,
            "education": 1.5,
            "worship": 1.5,
            "office": 1,
            "health": 1.5,
            "leisure": 1,
            "fuel": 0.5,
            "road": 0.3,
        },
        window=(0.45, 0.5, 5),
        delay_h=2,
        solved=0.2,
        closed=0.05,
        value=(1.0, 14_000_000, 0.4),
        victims=(1, 0.0),
        suspects=(1, 0.5),
        modus=(
            "kunci T",
            "kunci kontak tertinggal",
            "merusak kunci stang",
            "membawa kabur sepeda motor di parkiran",
            "menggunakan kunci palsu",
        ),
    ),
    "theft": Profile(
        share=0.18,
        branching=0.3,
        hours=((15, 3, 1.0), (10, 2, 0.5)),
        weekly=(1, 1, 1, 1, 1.1, 1.3, 1.2),
        weekend_night=0,
        season=(0.06, 190),
        ramadan=1.4,
        lebaran=1.2,
        year_end=1.2,
        affinity={
            "residential": 2,
            "market": 6,
            "retail": 4,
            "food": 2,
            "lodging": 1.5,
            "finance": 0.5,
            "education": 1,
            "worship": 0.8,
            "office": 0.8,
            "health": 1,
            "leisure": 1.2,
            "fuel": 0.5,
            "road": 0.2,
        },
        window=(0.35, 0.5, 8),
        delay_h=4,
        solved=0.25,
        closed=0.1,
        value=(0.95, 1_500_000, 1.0),
        victims=(1, 0.05),
        suspects=(1, 0.2),
        modus=(
            "mengambil barang saat korban lengah",
            "mencopet di keramaian",
            "mengambil ponsel yang sedang diisi daya",
            "mengambil barang dari jok motor",
            "mengambil barang dagangan",
        ),
    ),
    "assault": Profile(
        share=0.09,
        branching=0.2,
        hours=((23, 2.5, 1.0), (17, 2, 0.4)),
        weekly=(0.9, 0.9, 0.9, 0.9, 1.1, 1.4, 1.3),
        weekend_night=0.6,
        season=(0.04, 30),
        ramadan=0.9,
        lebaran=1.0,
        year_end=1.3,
        affinity={
            "residential": 3,
            "market": 1.5,
            "retail": 0.8,
            "food": 2,
            "lodging": 1,
            "education": 0.8,
            "leisure": 2,
            "fuel": 0.5,
            "road": 1.5,
        },
        window=(0, 0, 0),
        delay_h=2,
        solved=0.6,
        closed=0.15,
        value=(0.0, 0, 0),
        victims=(1, 0.3),
        suspects=(1, 0.8),
        modus=(
            "memukul dengan tangan kosong",
            "pengeroyokan",
            "menggunakan senjata tajam",
            "memukul dengan benda tumpul",
            "cekcok berujung perkelahian",
        ),
    ),
    "narcotics": Profile(
        share=0.09,
        branching=0.25,
        hours=((22, 3, 1.0), (14, 3, 0.4)),
        weekly=(1, 1, 1, 1, 1.05, 1.1, 1.0),
        weekend_night=0.2,
        season=(0.03, 300),
        ramadan=0.8,
        lebaran=1.1,
        year_end=1.1,
        affinity={
            "residential": 3,
            "market": 0.8,
            "retail": 0.5,
            "food": 1,
            "lodging": 3,
            "leisure": 1.5,
            "road": 2,
            "worship": 0.0,
        },
        window=(0, 0, 0),
        delay_h=0.5,
        solved=0.95,
        closed=0.0,
        value=(0.0, 0, 0),
        victims=(0, 0.0),
        suspects=(1, 0.7),
        modus=(
            "kedapatan membawa sabu",
            "transaksi sabu",
            "sistem tempel (ranjau)",
            "menyimpan ganja",
            "pesta sabu di kamar kos",
        ),
        lp="A/SATRESNARKOBA",
    ),
    "fraud": Profile(
        share=0.12,
        branching=0.05,
        hours=((11, 3, 1.0), (16, 3, 0.6)),
        weekly=(1.1, 1.1, 1.1, 1.1, 1.05, 0.8, 0.7),
        weekend_night=0,
        season=(0.05, 330),
        ramadan=1.4,
        lebaran=1.0,
        year_end=1.1,
        affinity={
            "residential": 4,
            "market": 1,
            "retail": 1.5,
            "lodging": 0.8,
            "finance": 3,
            "office": 1.5,
        },
        window=(0.3, 24, 720),
        delay_h=72,
        solved=0.3,
        closed=0.15,
        value=(0.95, 10_000_000, 1.3),
        victims=(1, 0.2),
        suspects=(1, 0.3),
        modus=(
            "penipuan jual beli daring",
            "investasi bodong",
            "penggelapan mobil rental",
            "mengaku sebagai petugas",
            "arisan fiktif",
            "penipuan lowongan kerja",
        ),
    ),
    "domestic_violence": Profile(
        share=0.04,
        branching=0.1,
        hours=((21, 2.5, 1.0), (7, 2, 0.3)),
        weekly=(0.95, 0.95, 0.95, 0.95, 1.0, 1.1, 1.15),
        weekend_night=0,
        season=(0.04, 120),
        ramadan=1.0,
        lebaran=1.3,
        year_end=1.3,
        affinity={"residential": 12, "lodging": 0.5},
        window=(0.2, 1, 72),
        delay_h=24,
        solved=0.6,
        closed=0.25,
        value=(0.0, 0, 0),
        victims=(1, 0.2),
        suspects=(1, 0.0),
        modus=(
            "kekerasan fisik terhadap istri",
            "kekerasan psikis",
            "penelantaran rumah tangga",
            "kekerasan terhadap anak",
        ),
    ),
    "gambling": Profile(
        share=0.02,
        branching=0.2,
        hours=((22, 3, 1.0), (15, 2, 0.4)),
        weekly=(0.9, 0.9, 0.9, 0.95, 1.05, 1.3, 1.3),
        weekend_night=0.2,
        season=(0.05, 60),
        ramadan=0.7,
        lebaran=1.2,
        year_end=1.3,
        affinity={
            "residential": 4,
            "market": 1,
            "food": 1.5,
            "lodging": 0.5,
            "leisure": 1,
            "road": 0.3,
        },
        window=(0, 0, 0),
        delay_h=0.5,
        solved=0.9,
        closed=0.0,
        value=(0.0, 0, 0),
        victims=(0, 0.0),
        suspects=(2, 3.0),
        modus=("judi daring", "sabung ayam", "judi kartu (remi)", "togel", "judi dadu"),
        lp="A/SATRESKRIM",
    ),
    "homicide": Profile(
        share=0.0015,
        branching=0.05,
        hours=((23, 3, 1.0),),
        weekly=(1, 1, 1, 1, 1, 1.2, 1.2),
        weekend_night=0.3,
        season=(0.0, 0),
        ramadan=1.0,
        lebaran=1.0,
        year_end=1.2,
        affinity={
            "residential": 3,
            "food": 1,
            "leisure": 1,
            "road": 1,
            "market": 0.5,
            "lodging": 0.5,
        },
        window=(0, 0, 0),
        delay_h=1,
        solved=0.85,
        closed=0.0,
        value=(0.0, 0, 0),
        victims=(1, 0.05),
        suspects=(1, 0.5),
        modus=("senjata tajam saat cekcok", "penganiayaan berujung kematian", "dendam pribadi"),
    ),
    "disorder": Profile(
        share=0.06,
        branching=0.25,
        hours=((0.5, 2.5, 1.0), (21.5, 2, 0.6)),
        weekly=(0.8, 0.8, 0.8, 0.9, 1.2, 1.8, 1.5),
        weekend_night=1.5,
        season=(0.05, 180),
        ramadan=1.4,
        lebaran=0.7,
        year_end=1.8,
        affinity={
            "residential": 1.5,
            "market": 1.5,
            "retail": 0.8,
            "food": 2,
            "lodging": 1,
            "education": 0.8,
            "worship": 0.3,
            "leisure": 3,
            "fuel": 0.5,
            "road": 2,
        },
        window=(0, 0, 0),
        delay_h=0.5,
        solved=0.7,
        closed=0.1,
        value=(0.0, 0, 0),
        victims=(0, 0.5),
        suspects=(1, 2.0),
        modus=(
            "keributan antarwarga",
            "tawuran remaja",
            "mabuk di tempat umum",
            "balap liar",
            "pesta minuman keras",
            "perang sarung saat sahur",
        ),
    ),
    "traffic_accident": Profile(
        share=0.1,
        branching=0.05,
        hours=((7, 1.2, 1.0), (17, 1.5, 1.0), (12, 2, 0.3)),
        weekly=(1.1, 1, 1, 1, 1.1, 0.9, 0.8),
        weekend_night=0.2,
        season=(0.05, 170),
        ramadan=1.1,
        lebaran=1.4,
        year_end=1.35,
        affinity={
            "road": 12,
            "fuel": 2,
            "market": 1,
            "retail": 1,
            "education": 0.8,
            "residential": 0.3,
        },
        window=(0, 0, 0),
        delay_h=0.3,
        solved=0.7,
        closed=0.25,
        value=(0.8, 2_000_000, 1.1),
        victims=(1, 0.5),
        suspects=(1, 0.1),
        modus=(
            "tabrak belakang",
            "hilang kendali",
            "tabrak lari",
            "senggolan sepeda motor",
            "menerobos lampu merah",
            "kendaraan berat rem blong",
        ),
        lp="A/SATLANTAS",
    ),
}
OFFSPRING_OTHER = {  # an offspring of another category: which ones (the same category is 85 %)
    "curat": ("theft", "curanmor"), "curanmor": ("curat", "theft"), "curas": ("curanmor", "theft"),
    "theft": ("curat", "curanmor"), "assault": ("disorder",), "disorder": ("assault",),
}  # fmt: skip


# ------------------------------------------------------------------------------- calendar


def idul_fitri(year: int) -> date:
    """1 Syawal, within a day of the Indonesian government calendar (10 Apr 2024 + k lunar
    years of 354.367 days)."""
    k = round((year - 2024) * 365.2425 / 354.367)
    for step in (k - 1, k, k + 1):
        day = date(2024, 4, 10) + timedelta(days=round(step * 354.367))
        if day.year == year:
            return day
    raise ValueError(year)  # pragma: no cover - two Idul Fitri in one year never misses both


def calendar(days: list[date]) -> dict[str, np.ndarray]:
    years = range(days[0].year - 1, days[-1].year + 2)
    fitri = [idul_fitri(y) for y in years]
    lag = np.array([min(((d - f).days for f in fitri), key=abs) for d in days])
    month_day = np.array([(d.month, d.day) for d in days])
    year_end = ((month_day[:, 0] == 12) & (month_day[:, 1] >= 24)) | (
        (month_day[:, 0] == 1) & (month_day[:, 1] == 1)
    )
    eve = ((month_day[:, 0] == 12) & (month_day[:, 1] == 31)) | (
        (month_day[:, 0] == 1) & (month_day[:, 1] == 1)
    )
    return {
        "doy": np.array([d.timetuple().tm_yday for d in days]),
        "dow": np.array([d.weekday() for d in days]),
        "ramadan": (lag >= -10) & (lag <= -1),
        "lebaran": (lag >= -3) & (lag <= 7),
        "year_end": year_end,
        "eve": eve,
    }


def day_weights(p: Profile, cal: dict[str, np.ndarray]) -> np.ndarray:
    amplitude, peak = p.season
    w = np.asarray(p.weekly)[cal["dow"]] * (
        1 + amplitude * np.cos(2 * np.pi * (cal["doy"] - peak) / 365.25)
    )
    w = w * np.where(cal["ramadan"], p.ramadan, 1.0) * np.where(cal["lebaran"], p.lebaran, 1.0)
    return w * np.where(cal["year_end"], p.year_end, 1.0) * np.where(cal["eve"], p.year_end, 1)


def hour_cdf(p: Profile) -> np.ndarray:
    """(7, 24) cumulative hour distributions by weekday (Friday/Saturday nights boosted)."""
    h = np.arange(24) + 0.5
    base = np.full(24, 0.08)
    for peak, width, weight in p.hours:
        d = np.abs(h - peak)
        base = base + weight * np.exp(-0.5 * (np.minimum(d, 24 - d) / width) ** 2)
    rows = np.tile(base, (7, 1))
    rows[[4, 5], 20:] *= 1 + p.weekend_night  # Friday, Saturday evening
    rows[[5, 6], :4] *= 1 + p.weekend_night  # the small hours of Saturday, Sunday
    cdf = np.cumsum(rows, axis=1)
    return cdf / cdf[:, -1:]
