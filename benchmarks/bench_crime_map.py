"""Crime map with 1,000,000 incidents in PostgreSQL: p95 time of a filter change.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kamtibmas_bench \\
        .venv/bin/python benchmarks/bench_crime_map.py [--rows 1000000] [--changes 50]

Creates the database if missing, migrates, loads the Balikpapan reference and fills it with
synthetic incidents by COPY (once; rerun reuses them). Then, for ~50 random filter changes
(period, categories, Polsek, time of day, weekdays), measures through the Django test client
as a Polres commander:

- overlay: GET /analisis/peta/kepadatan.png (database binning, KDE, Gi*, PNG) and
  /analisis/peta/kepadatan.json (bounds and legend, from the same computed selection);
- aggregates: GET /analisis/unduh/polsek.csv (3 periods), kategori.csv, jam-hari.csv,
  bulanan.csv: the dashboard's numbers.

Target (issue 3, section 4): overlay + aggregates <= 300 ms p95.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kamtibmas_bench"
END = datetime(2026, 10, 31, 16, tzinfo=UTC)
DAYS = 730


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kamtibmas.settings")
    os.environ.setdefault("KAMTIBMAS_VAR_DIR", str(ROOT / "var" / "bench"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)


def fill(rows: int, seed: int = 1) -> None:
    """Synthetic incidents: clustered around a few hundred hot points inside kelurahan."""
    from django.db import connection

    from kamtibmas.geo import lookup
    from kamtibmas.geo.models import Kelurahan
    from kamtibmas.geo.reference import load_reference
    from kamtibmas.incidents.models import Incident

    load_reference()
    have = Incident.objects.filter(dataset="balikpapan").count()
    if have >= rows:
        print(f"reusing {have} incidents")
        return
    Incident.objects.all().delete()
    rng = np.random.default_rng(seed)
    kel = list(Kelurahan.objects.values_list("pk", "code", "lat", "lon"))
    hubs = []
    for _ in range(400):
        k = kel[rng.integers(len(kel))]
        lat, lon = k[2] + rng.normal(0, 0.008), k[3] + rng.normal(0, 0.008)
        area = lookup.locate(lat, lon)
        if area:
            hubs.append((lat, lon, area.kelurahan_id, area.kelurahan_code, area.unit_id))
    weights = rng.pareto(1.2, len(hubs)) + 0.05
    weights /= weights.sum()
    cats = np.array(
        [
            "curanmor",
            "curat",
            "curas",
            "theft",
            "assault",
            "narcotics",
            "fraud",
            "disorder",
            "traffic_accident",
            "gambling",
        ]
    )
    cat_p = np.array([22, 18, 6, 20, 10, 8, 6, 5, 4, 1], float)
    cat_p /= cat_p.sum()
    now = datetime.now(UTC).isoformat()
    chunk = 100_000
    t0 = time.perf_counter()
    columns = (
        "dataset, lp_number, external_id, category, source_category, occurred_from, occurred_to,"
        " lat, lon, kelurahan_id, kelurahan_code, unit_id, premises_type, modus_operandi, status,"
        " description, is_synthetic, version, created_at, updated_at"
    )
    with connection.cursor() as cursor:
        raw = cursor.connection
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            hub = rng.choice(len(hubs), n, p=weights)
            spread = rng.choice([0.0007, 0.002, 0.006], n, p=[0.5, 0.35, 0.15])
            # Daily cycle (more at night), weekly and seasonal drift come from the hour draw.
            day = rng.uniform(0, DAYS, n)
            hour = rng.choice(24, n, p=_hour_profile())
            start_s = END.timestamp() - day * 86400
            start_s = (
                np.floor(start_s / 86400) * 86400 + hour * 3600 - 8 * 3600 + rng.uniform(0, 3600, n)
            )
            window = rng.choice([0, 0, 0, 3600, 3 * 3600, 10 * 3600], n)
            category = rng.choice(cats, n, p=cat_p)
            buffer = io.StringIO()
            for k in range(n):
                lat0, lon0, kel_id, kel_code, unit_id = hubs[hub[k]]
                t_from = datetime.fromtimestamp(start_s[k], UTC).isoformat()
                t_to = (
                    datetime.fromtimestamp(start_s[k] + window[k], UTC).isoformat()
                    if window[k]
                    else "\\N"
                )
                buffer.write(
                    f"balikpapan\t\tb{start + k}\t{category[k]}\t\t{t_from}\t{t_to}\t"
                    f"{lat0 + rng.normal(0, spread[k]):.6f}\t"
                    f"{lon0 + rng.normal(0, spread[k]):.6f}\t"
                    f"{kel_id}\t{kel_code}\t{unit_id if unit_id else chr(92) + 'N'}\t\t\topen\t\t"
                    f"t\t1\t{now}\t{now}\n"
                )
            buffer.seek(0)
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY incidents_incident ({columns}) FROM STDIN") as copy,
            ):
                copy.write(buffer.getvalue())
            raw.commit() if not raw.autocommit else None
        # Imports arrive roughly in time order; random COPY order would not. Cluster like that.
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'incidents_incident' "
            "AND indexdef LIKE '%(dataset, occurred_from)'"
        )
        index = cursor.fetchone()
        if index:
            cursor.execute(f'CLUSTER incidents_incident USING "{index[0]}"')
        cursor.execute("ANALYZE incidents_incident")
    print(f"inserted {rows} incidents in {time.perf_counter() - t0:.1f} s")


def _hour_profile() -> np.ndarray:
    h = np.arange(24)
    p = 1.0 + 0.8 * np.cos((h - 22) / 24 * 2 * np.pi)
    return p / p.sum()


def random_filters(rng: np.random.Generator, unit_ids: list[int]) -> dict[str, object]:
    length = int(rng.choice([30, 60, 90, 180, 365]))
    end = END.date() - timedelta(days=int(rng.integers(0, DAYS - length)))
    params: list[tuple[str, str]] = [
        ("from", (end - timedelta(days=length - 1)).isoformat()),
        ("to", end.isoformat()),
    ]
    if rng.random() < 0.5:
        for c in rng.choice(
            ["curanmor", "curat", "curas", "theft", "assault"], rng.integers(1, 4), replace=False
        ):
            params.append(("category", str(c)))
    if rng.random() < 0.3:
        params.append(("unit", str(rng.choice(unit_ids))))
    if rng.random() < 0.2:
        params.append(("hours", "22-4"))
    if rng.random() < 0.2:
        params += [("weekday", "5"), ("weekday", "6"), ("weekday", "7")]
    return {"query": urlencode(params), "days": length}


def _backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _cpu_of(pid: int) -> float:
    """CPU seconds of a local process (the PostgreSQL backend serving the client); 0 if
    PostgreSQL runs elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cold_loads(client: object, query: str) -> tuple[float, float]:
    """ms of one filter change without any snapshot (loaded from the database, then written
    to the var directory), and again with only that file (what another web process, or the
    first request after an import that warmed it, pays)."""
    from kamtibmas.analytics import facts, factstore, layers

    out = []
    for drop_file in (True, False):
        facts._snapshots.clear()
        facts._checked.clear()
        if drop_file:
            factstore.clear()
        layers.clear_cache()
        t0 = time.perf_counter()
        for path in ("/analisis/peta/kepadatan.png", "/analisis/unduh/polsek.csv"):
            assert client.get(f"{path}?{query}").status_code == 200  # type: ignore[attr-defined]
        out.append((time.perf_counter() - t0) * 1000)
    return out[0], out[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("DATABASE_URL must point at PostgreSQL")
    ensure_database(url)
    setup_django(url)
    fill(args.rows)

    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client

    from kamtibmas.accounts import roles
    from kamtibmas.accounts.models import User
    from kamtibmas.analytics import layers
    from kamtibmas.geo.models import Unit

    user, _ = User.objects.get_or_create(
        username="bench.kapolres", defaults={"unit": Unit.objects.get(code="polres-balikpapan")}
    )
    user.groups.add(Group.objects.get_or_create(name=roles.COMMANDER)[0])
    client = Client()
    client.force_login(user)
    unit_ids = list(Unit.objects.filter(kind="polsek").values_list("pk", flat=True))
    rng = np.random.default_rng(args.seed)
    # Warm-up: process caches (geography, projections), the connection, PostgreSQL's buffers.
    for _ in range(3):
        q = random_filters(rng, unit_ids)["query"]
        client.get("/analisis/peta/kepadatan.png?" + q)
    overlay, aggregate, total, selected, cpu, server = [], [], [], [], [], []
    backend = _backend_pid()
    for _ in range(args.changes):
        f = random_filters(rng, unit_ids)
        q = f["query"]
        layers.clear_cache()
        c0, s0 = time.process_time(), _cpu_of(backend)
        t0 = time.perf_counter()
        png = client.get("/analisis/peta/kepadatan.png?" + q)
        meta = client.get("/analisis/peta/kepadatan.json?" + q)
        t1 = time.perf_counter()
        for name in ("polsek.csv", "kategori.csv", "jam-hari.csv", "bulanan.csv"):
            r = client.get(f"/analisis/unduh/{name}?" + q)
            assert r.status_code == 200, (name, r.status_code)
        t2 = time.perf_counter()
        cpu.append((time.process_time() - c0) * 1000)
        server.append((_cpu_of(backend) - s0) * 1000)
        assert png.status_code == 200 and meta.status_code == 200
        overlay.append((t1 - t0) * 1000)
        aggregate.append((t2 - t1) * 1000)
        total.append((t2 - t0) * 1000)
        selected.append(meta.json().get("total", 0))
    cold = _cold_loads(client, random_filters(rng, unit_ids)["query"])

    def stats(ms: list[float]) -> str:
        a = np.array(ms)
        return (
            f"median {np.median(a):.0f} ms, p95 {np.percentile(a, 95):.0f} ms, max {a.max():.0f} ms"
        )

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        pg = cursor.fetchone()[0].split(" on ")[0]
    import django
    import scipy

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, Django {django.get_version()}, {pg}, "
        f"numpy {np.__version__}, scipy {scipy.__version__}"
    )
    print(
        f"incidents in the database: {args.rows}; filter changes: {args.changes}; "
        f"located incidents per selection: median {int(np.median(selected))}, "
        f"max {int(np.max(selected))}"
    )
    print(f"overlay (PNG + bounds/legend): {stats(overlay)}")
    print(
        f"aggregates (Polsek x 3 periods, categories, hour x weekday, monthly): {stats(aggregate)}"
    )
    print(f"filter change, overlay + aggregates: {stats(total)}")
    print(f"  CPU of this process per change: {stats(cpu)}")
    print(f"  CPU of the PostgreSQL backend per change (same host): {stats(server)}")
    print(
        f"first change after a new data version: snapshot from the database {cold[0]:.0f} ms, "
        f"from the file another process (or the import) left {cold[1]:.0f} ms"
    )
    one, five, _fifteen = os.getloadavg()
    print(f"load average at the end: {one:.1f} (1 min), {five:.1f} (5 min)")


if __name__ == "__main__":
    main()
