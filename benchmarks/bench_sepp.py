"""Benchmark: the SEPP forecaster's fit on 100,000 simulated events and its forecast on a
Polres-sized grid, plus a fit on real Vancouver property crime. Run by hand (never in the
test suite):

    .venv/bin/python benchmarks/bench_sepp.py            # prints a table, updates RESULTS.md
    .venv/bin/python benchmarks/bench_sepp.py --no-write # prints only

The process pins itself to one CPU core and sets every thread pool to one thread. Times are
CPU time of the process (``time.process_time``); peak memory is the process's maximum resident
set (``ru_maxrss``, everything since start: an upper bound for the fit) and, in a second
untimed fit, the peak of ``tracemalloc`` (numpy and Python allocations made by the fit).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ["NUMBA_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import csv  # noqa: E402
import pathlib  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from datetime import datetime  # noqa: E402
from importlib.metadata import version  # noqa: E402
from typing import Any  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import numpy as np  # noqa: E402
from benchutil import cpu_model, pin_one_core, write_section  # noqa: E402

from kamtibmas_analytics.forecast.base import DAY_S, Events  # noqa: E402
from kamtibmas_analytics.forecast.sepp import SEPP  # noqa: E402
from kamtibmas_analytics.grid import Grid  # noqa: E402

HEADING = "## SEPP"
RESULTS = pathlib.Path(__file__).with_name("RESULTS.md")
VANCOUVER = pathlib.Path(__file__).resolve().parents[2] / "shared/data/crime/vancouver"
PROPERTY = (
    "Break and Enter Commercial",
    "Break and Enter Residential/Other",
    "Other Theft",
    "Theft from Vehicle",
    "Theft of Bicycle",
    "Theft of Vehicle",
)

WIDTH_M, HEIGHT_M, DAYS = 25_000.0, 35_000.0, 3 * 365
TRUE = {"theta": 0.3, "delay_days": 7.0, "sigma_m": 150.0}
N_TARGET = 100_000


def city_events(rng: np.random.Generator) -> Events:
    """A Hawkes process on a 25 x 35 km city over 3 years: a clustered background (60 % in 40
    hot spots of 50-400 m, 40 % uniform) and offspring with the TRUE parameters (delay and
    displacement truncated at 90 days and 500 m, as the model's defaults)."""
    n_bg = int(N_TARGET * (1 - TRUE["theta"]))
    n_hot = int(0.6 * n_bg)
    centres = rng.uniform((2000.0, 2000.0), (WIDTH_M - 2000.0, HEIGHT_M - 2000.0), (40, 2))
    spread = rng.uniform(50.0, 400.0, 40)
    which = rng.integers(0, 40, n_hot)
    hot = centres[which] + rng.normal(size=(n_hot, 2)) * spread[which, None]
    flat = rng.uniform((0.0, 0.0), (WIDTH_M, HEIGHT_M), (n_bg - n_hot, 2))
    xy = np.concatenate([hot, flat])
    t = rng.uniform(0.0, DAYS * DAY_S, n_bg)
    xs, ys, ts = [xy[:, 0]], [xy[:, 1]], [t]
    x, y = xy[:, 0], xy[:, 1]
    omega, window, radius = 1.0 / (TRUE["delay_days"] * DAY_S), 90 * DAY_S, 500.0
    while x.size:
        k = rng.poisson(TRUE["theta"], x.size)
        x, y, t = np.repeat(x, k), np.repeat(y, k), np.repeat(t, k)
        t = t - np.log1p(rng.uniform(size=t.size) * np.expm1(-omega * window)) / omega
        d = rng.normal(0.0, TRUE["sigma_m"], (t.size, 2))
        far = np.hypot(d[:, 0], d[:, 1]) > radius
        while far.any():
            d[far] = rng.normal(0.0, TRUE["sigma_m"], (int(far.sum()), 2))
            far = np.hypot(d[:, 0], d[:, 1]) > radius
        x, y = x + d[:, 0], y + d[:, 1]
        keep = t < DAYS * DAY_S
        x, y, t = x[keep], y[keep], t[keep]
        xs.append(x), ys.append(y), ts.append(t)
    return Events.from_arrays(np.concatenate(xs), np.concatenate(ys), np.concatenate(ts))


def vancouver_events() -> Events:
    """VPD property crime 2022-2024 (local times, America/Vancouver; X = Y = 0 withheld)."""
    zone = ZoneInfo("America/Vancouver")
    x, y, t = [], [], []
    for year in (2022, 2023, 2024):
        path = VANCOUVER / f"crimedata_csv_AllNeighbourhoods_{year}.csv"
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["TYPE"] not in PROPERTY or not row["X"] or float(row["X"]) == 0.0:
                    continue
                when = datetime(
                    int(row["YEAR"]),
                    int(row["MONTH"]),
                    int(row["DAY"]),
                    int(row["HOUR"] or 0),
                    int(row["MINUTE"] or 0),
                    tzinfo=zone,
                )
                x.append(float(row["X"]))
                y.append(float(row["Y"]))
                t.append(when.timestamp())
    return Events.from_arrays(x, y, t)


def timed_fit(events: Events, grid: Grid, **params: Any) -> tuple[SEPP, float, float]:
    """(model, CPU seconds, wall seconds) of one fit."""
    c0, w0 = time.process_time(), time.perf_counter()
    model = SEPP(**params).fit(events, grid)
    return model, time.process_time() - c0, time.perf_counter() - w0


def traced_peak_mb(events: Events, grid: Grid) -> float:
    tracemalloc.start()
    SEPP().fit(events, grid)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def best_cpu(fn: Any, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        c0 = time.process_time()
        fn()
        best = min(best, time.process_time() - c0)
    return best


def out_of_sample(van: Events, grid: Grid) -> list[str]:
    """Fit on 2022-2023, forecast each week of 2024 from the events before it: share of the
    week's events in the top 1 % of cells, and the Poisson log-likelihood of the counts."""
    start_2024 = datetime(2024, 1, 1, tzinfo=ZoneInfo("America/Vancouver")).timestamp()
    rows = []
    for label, params in (
        ("background only (too few events: min_events huge)", {"min_events": 10**9}),
        ("min_sigma_m = 25", {"min_sigma_m": 25.0}),
        ("default (min_sigma_m = 75)", {}),
    ):
        model = SEPP(**params).fit(van.before(start_2024), grid)
        k = max(1, int(0.01 * grid.nx * grid.ny))
        hits = total = 0.0
        loglik = 0.0
        for start in start_2024 + np.arange(52) * 7 * DAY_S:
            scores = model.predict(van, start, 7 * DAY_S)
            counts = van.between(start, start + 7 * DAY_S).counts(grid)
            top = np.argsort(scores.ravel())[-k:]
            hits += counts.ravel()[top].sum()
            total += counts.sum()
            loglik += float((counts * np.log(scores + 1e-9) - scores).sum())
        rows.append(
            f"| {label} | {model.theta_:.3f} | {1 / model.omega_:.1f} | {model.sigma_m_:.0f} | "
            f"{hits / total:.1%} | {loglik:,.0f} |"
        )
    return rows


def params_row(name: str, n: int, m: SEPP, cpu: float) -> str:
    return (
        f"| {name} | {n:,} | {m.n_pairs_:,} | {m.theta_:.3f} | {1 / m.omega_:.2f} | "
        f"{m.sigma_m_:.0f} | {m.n_iter_} | {'yes' if m.converged_ else 'no'} | {cpu:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    pinned = pin_one_core()
    rng = np.random.default_rng(20261129)
    events = city_events(rng)
    grid = Grid(0.0, 0.0, 150.0, nx=int(WIDTH_M // 150) + 1, ny=int(HEIGHT_M // 150) + 1)
    c0 = time.process_time()
    SEPP(max_iter=1).fit(events.before(30 * DAY_S), grid)  # compiles (or loads) the numba loop
    warm_cpu = time.process_time() - c0

    model, fit_cpu, fit_wall = timed_fit(events, grid)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = float(events.t[-1]) + 1.0
    scores = model.predict(events, start, 7 * DAY_S)
    pred_cpu = best_cpu(lambda: model.predict(events, start, 7 * DAY_S), 7)
    traced_mb = traced_peak_mb(events, grid)
    expected_week = float(scores.sum())

    van = vancouver_events()
    van_grid = Grid.covering(van.x, van.y, cell_m=150.0)
    van_model, van_cpu, _ = timed_fit(van, van_grid)
    van_pred = best_cpu(lambda: van_model.predict(van, float(van.t[-1]) + 1, 7 * DAY_S), 7)
    oos = out_of_sample(van, van_grid)
    load = os.getloadavg()

    lines = [
        HEADING,
        "",
        f"Run by `benchmarks/bench_sepp.py` on {time.strftime('%Y-%m-%d')}. Machine: "
        f"{cpu_model()}, `nproc` {os.cpu_count()}, {pinned}, all thread pools at 1 thread; "
        f"load average at the end {load[0]:.2f} / {load[1]:.2f} (shared machine). Python "
        f"{platform.python_version()}, numpy {version('numpy')}, scipy {version('scipy')}, "
        f"numba {version('numba')}. Times are CPU seconds of the process "
        "(`time.process_time`), which leave out waiting for the core.",
        "",
        f"Simulated city: a Hawkes process on {WIDTH_M / 1000:.0f} x {HEIGHT_M / 1000:.0f} km "
        f"over {DAYS} days, {len(events):,} events (clustered background: 60 % in 40 hot "
        f"spots; true theta {TRUE['theta']}, mean delay {TRUE['delay_days']} days, sigma "
        f"{TRUE['sigma_m']:.0f} m). Forecast grid {grid.nx} x {grid.ny} cells of 150 m. "
        f"Default parameters (500 m, 90 days, 150 m background cells). Numba compile or cache "
        f"load before timing: {warm_cpu:.2f} s CPU.",
        "",
        "| target | measured | met |",
        "| --- | --- | --- |",
        f"| fit of 100,000 events <= 20 s on one core | {fit_cpu:.2f} s CPU "
        f"(wall {fit_wall:.2f} s), {model.n_iter_} iterations, {model.n_pairs_:,} candidate "
        f"pairs | {'yes' if fit_cpu <= 20 else '**no**'} |",
        f"| fit under 2 GB | process peak RSS {rss_mb:,.0f} MB (imports and data included); "
        f"tracemalloc peak of a fit {traced_mb:,.0f} MB | "
        f"{'yes' if rss_mb < 2048 else '**no**'} |",
        f"| forecast for the whole grid < 1 s | {pred_cpu * 1e3:.1f} ms CPU (best of 7; "
        f"{grid.nx} x {grid.ny} cells) | {'yes' if pred_cpu < 1 else '**no**'} |",
        "",
        "Fitted parameters (delay = 1 / omega in days, sigma in metres; CPU in seconds):",
        "",
        "| data | events | pairs | theta | delay d | sigma m | iterations | converged | CPU s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
        f"| truth (simulated) | | | {TRUE['theta']} | {TRUE['delay_days']} | "
        f"{TRUE['sigma_m']:.0f} | | | |",
        params_row("simulated city", len(events), model, fit_cpu),
        params_row("Vancouver property crime 2022-2024", len(van), van_model, van_cpu),
        "",
        f"Vancouver: VPD open data, types {', '.join(PROPERTY)}; rows with X = Y = 0 "
        f"(withheld location) dropped; EPSG:26910 metres; grid {van_grid.nx} x {van_grid.ny} "
        f"cells of 150 m; one-week forecast {van_pred * 1e3:.1f} ms CPU. The simulated week "
        f"after the data expects {expected_week:,.0f} events (the data average "
        f"{len(events) / DAYS * 7:,.0f} a week).",
        "",
        "Vancouver out of sample: fitted on 2022-2023, then 52 weekly forecasts of 2024 (each "
        "from all events before its week); hit rate = share of the week's events in the top 1 % "
        "of cells; log L = Poisson log-likelihood of the counts per cell, summed (higher is "
        "better).",
        "",
        "| model | theta | delay d | sigma m | hit rate top 1 % | log L |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *oos,
        "",
        "Reading it: the fit and the forecast are far inside their targets. The simulated "
        "city's parameters are biased towards the background: the 150 m per-cell background "
        "(one free rate per cell) absorbs part of the clustering at the hot spots' own scale "
        "(50-400 m); much coarser background cells err the other way, since hot spots smaller "
        "than a cell then look like triggering. Parameters are recovered closely when the "
        "background cells fit the true background (tests/analytics/test_sepp.py). On Vancouver "
        "the triggering adds little to the ranking of cells (the hit rate is the background's) "
        "but much to the expected counts (log L); with a 25 m floor on sigma the triggering "
        "models months-long repeats at one geocoded hundred block, and forecasts worse.",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    if not args.no_write:
        write_section(HEADING, report)
        print(f"updated {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
