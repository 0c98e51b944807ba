"""Benchmark the learned forecaster on Vancouver property crime: accuracy and CPU time.

Fits on 2020-2023 (refitting every ``refit_periods`` weeks on all events before the week, as
the rolling backtest does), predicts each week of 2024 from the events before it, and
compares hit rate and PAI at 1 % and 5 % of the area with two simple long-run baselines
computed here: counting the last 52 weeks per cell, and the same events smoothed by a
Gaussian of 150 m (a retrospective KDE). A "ceiling" row ranks cells by their count over all
of 2024 without the predicted week: it looks into the future, and bounds what any ranking by
stable rates can reach. The same is done for 8-hour shifts (``--shifts``, 0 to skip).

Run: ``.venv/bin/python benchmarks/bench_learned.py [--no-write] [--params JSON]``
(about 3 minutes of CPU). Times are CPU seconds of this process (``time.process_time``, all
threads), which leaves out waiting while other jobs use the cores. The section
"## Learned model" of benchmarks/RESULTS.md is rewritten unless ``--no-write``.

The area is the cells with at least one event in 2020-2023 (the grid's bounding box also
covers water and parks); coverage fractions and PAI are taken over that area.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import scipy
import sklearn
from benchutil import write_section  # noqa: E402

from kamtibmas_analytics.forecast.base import HOUR_S, WEEK_S, Events, Forecaster
from kamtibmas_analytics.forecast.learned import Learned
from kamtibmas_analytics.grid import Grid
from kamtibmas_analytics.kde import kernel_density

HEADING = "## Learned model"
RESULTS = Path(__file__).with_name("RESULTS.md")
VANCOUVER = Path(__file__).resolve().parents[2] / "shared/data/crime/vancouver"
PROPERTY = ("Break and Enter", "Mischief", "Other Theft", "Theft from Vehicle", "Theft of")
TZ = ZoneInfo("America/Vancouver")
COVERAGES = (0.01, 0.05)
CELL_M = 150.0


def load(years: range) -> Events:
    """Vancouver property crime of ``years`` (X/Y metres EPSG:26910; X = 0 withheld)."""
    x, y, t = [], [], []
    for year in years:
        path = VANCOUVER / f"crimedata_csv_AllNeighbourhoods_{year}.csv"
        with path.open(newline="") as fh:
            for row in csv.DictReader(fh):
                if not row["TYPE"].startswith(PROPERTY) or not float(row["X"] or 0):
                    continue
                when = datetime(
                    int(row["YEAR"]),
                    int(row["MONTH"]),
                    int(row["DAY"]),
                    int(row["HOUR"] or 0),
                    int(row["MINUTE"] or 0),
                    tzinfo=TZ,
                )
                x.append(float(row["X"]))
                y.append(float(row["Y"]))
                t.append(when.timestamp())
    return Events.from_arrays(x, y, t)


def local_epoch(year: int, month: int, day: int) -> float:
    return datetime(year, month, day, tzinfo=TZ).timestamp()


def hits(scores: np.ndarray, area: np.ndarray, actual: np.ndarray) -> list[float]:
    """Events caught by the top 1 % / 5 % of the area's cells (ties broken by cell order)."""
    flat_scores = scores.ravel()[area.ravel()]
    flat_actual = actual.ravel()[area.ravel()]
    order = np.argsort(-flat_scores, kind="stable")
    out = []
    for share in COVERAGES:
        k = max(1, round(share * flat_scores.size))
        out.append(float(flat_actual[order[:k]].sum()))
    return out


class Counting(Forecaster):
    """Events of the last 52 weeks per cell, optionally smoothed (Gaussian ``sigma_m``)."""

    name = "counting"

    def __init__(self, sigma_m: float = 0.0) -> None:
        super().__init__(sigma_m=sigma_m)
        self.sigma_m = sigma_m

    def fit(self, history: Events, grid: Grid) -> Counting:
        self.grid = grid
        return self

    def predict(self, history: Events, start: float, horizon_s: float) -> np.ndarray:
        grid = self._fitted_grid()
        recent = history.between(start - 52 * WEEK_S, start)
        if self.sigma_m <= 0:
            return recent.counts(grid)
        return kernel_density(recent.x, recent.y, grid, bandwidth_m=self.sigma_m)


class LeaveWeekOut(Forecaster):
    """Not a forecast: each cell's count over a whole test year without the predicted window.
    It looks into the future, so it bounds what any ranking by stable rates can reach."""

    name = "ceiling"

    def __init__(self, year_events: Events) -> None:
        super().__init__()
        self.year_events = year_events

    def fit(self, history: Events, grid: Grid) -> LeaveWeekOut:
        self.grid = grid
        return self

    def predict(self, history: Events, start: float, horizon_s: float) -> np.ndarray:
        grid = self._fitted_grid()
        window = self.year_events.between(start, start + horizon_s)
        return self.year_events.counts(grid) - window.counts(grid)


def backtest(
    model: Forecaster,
    events: Events,
    grid: Grid,
    area: np.ndarray,
    starts: list[float],
    horizon_s: float,
    refit: int,
) -> dict[str, float]:
    fit_s = predict_s = 0.0
    caught = np.zeros(len(COVERAGES))
    total = 0.0
    for k, start in enumerate(starts):
        if k % refit == 0:
            t0 = time.process_time()
            model.fit(events.before(start), grid)
            fit_s += time.process_time() - t0
        t0 = time.process_time()
        scores = model.predict(events.before(start), start, horizon_s)
        predict_s += time.process_time() - t0
        actual = events.between(start, start + horizon_s).counts(grid)
        caught += hits(scores, area, actual)
        total += float(actual[area].sum())
    result = {"fit_s": fit_s, "predict_s": predict_s, "events": total}
    for share, got in zip(COVERAGES, caught, strict=True):
        result[f"hr{share:g}"] = got / total
        result[f"pai{share:g}"] = got / total / share
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument("--params", default="{}", help="JSON parameters for Learned")
    parser.add_argument("--weeks", type=int, default=52, help="weeks of 2024 to predict")
    parser.add_argument("--shifts", type=int, default=42, help="8-hour shifts to predict")
    args = parser.parse_args()
    params = {"utc_offset_hours": -8.0, **json.loads(args.params)}

    t0 = time.process_time()
    events = load(range(2020, 2025))
    load_s = time.process_time() - t0
    grid = Grid.covering(events.x, events.y, cell_m=CELL_M)
    fit_end = local_epoch(2024, 1, 1)
    area = events.before(fit_end).counts(grid) > 0
    starts = [fit_end + k * WEEK_S for k in range(args.weeks)]
    models: dict[str, Forecaster] = {
        "learned": Learned(**params),
        "count 52 weeks": Counting(),
        "KDE 52 weeks, 150 m": Counting(sigma_m=150.0),
        "ceiling (2024 counts without the week)": LeaveWeekOut(
            events.between(fit_end, local_epoch(2025, 1, 1))
        ),
    }
    rows = []
    for label, model in models.items():
        res = backtest(model, events, grid, area, starts, WEEK_S, Learned.refit_periods)
        rows.append((f"{label}, weekly", res))
        print(label, "weekly", {k: round(v, 4) for k, v in res.items()}, flush=True)
    if args.shifts:
        shift_starts = [fit_end + 8 * HOUR_S * (1 + 23 * k) for k in range(args.shifts)]
        for label, model in list(models.items())[:3]:
            if isinstance(model, Learned):
                model = Learned(**{**params, "horizon_s": 8 * HOUR_S})
            res = backtest(model, events, grid, area, shift_starts, 8 * HOUR_S, 4)
            rows.append((f"{label}, 8-hour shifts", res))
            print(label, "shift", {k: round(v, 4) for k, v in res.items()}, flush=True)
    section = render(rows, events, grid, area, params, load_s, args)
    print(section)
    if not args.no_write:
        write_section(HEADING, section)


def render(rows, events, grid, area, params, load_s, args) -> str:  # type: ignore[no-untyped-def]
    learned = Learned(**params)
    lines = [
        HEADING,
        "",
        f"Run by `benchmarks/bench_learned.py` on {datetime.now():%Y-%m-%d}. Machine: "
        f"{platform.machine()}, nproc {os.cpu_count()}, load average "
        f"{' / '.join(f'{v:.2f}' for v in os.getloadavg())}; Python "
        f"{platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"scikit-learn {sklearn.__version__}.",
        "",
        f"Data: Vancouver property crime 2020-2024, {len(events):,} events with a location "
        f"(loaded in {load_s:.1f} s CPU); grid {grid.nx} x {grid.ny} cells of {CELL_M:g} m, "
        f"area = {int(area.sum()):,} cells with an event in 2020-2023. Each of "
        f"{args.weeks} weeks of 2024 is predicted from all events before it; the learned "
        f"model is refitted every {learned.refit_periods} weeks. Hit rate = share of the "
        "period's events in the top cells, PAI = hit rate / area share. CPU seconds "
        "(`time.process_time`, all threads) summed over the backtest.",
        "",
        f"Learned parameters: `{json.dumps(learned.params)}`. 8-hour shifts: "
        f"{args.shifts} shifts of 2024, 184 hours apart (so they rotate through the three "
        "shifts and the days of the week), each from all events before it; refit every 4.",
        "",
        "| Model | HR 1 % | PAI 1 % | HR 5 % | PAI 5 % | fit CPU s | predict CPU s |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, r in rows:
        lines.append(
            f"| {label} | {r['hr0.01']:.3f} | {r['pai0.01']:.1f} | {r['hr0.05']:.3f} | "
            f"{r['pai0.05']:.1f} | {r['fit_s']:.1f} | {r['predict_s']:.1f} |"
        )
    return "\n".join(lines + ["", NOTES]) + "\n"


NOTES = """\
What this shows (read with the table; measured 2026-11-29, see the docstring of
`kamtibmas_analytics/forecast/learned.py` for the design):

- On Vancouver the ranking is limited by chance, not by the model. The "ceiling" row ranks
  cells by their count over the whole of 2024 without the predicted week, which looks into
  the future, and still catches hardly more than counting the last 52 weeks: week to week,
  property crime scatters like Poisson noise around stable hundred-block hot spots. The
  learned model reaches that level (within about 0.005 hit rate, the noise of 52 weeks) at
  weekly and 8-hour windows, but cannot beat it by much: the near-repeat and hour-of-week
  features carry little extra signal at 150 m cells here.
- Smoothing loses: the data is geocoded to hundred-block points, so a Gaussian KDE of 150 m
  spreads each block's events over its neighbours (the KDE row). A retrospective KDE is thus
  a weak baseline here, but the room above it is bounded by the ceiling row: about +23 % PAI
  at 1 % and +13 % at 5 % for weekly windows (KDE of 150 m; a wider bandwidth is weaker).
- Fitting cost: about 2-3 s CPU per fit (150,000 rows, 100 trees, one thread), so a year of
  weekly periods with a refit every 4 weeks costs about 30 s. The time goes to the booster;
  features take about 5 ms per window. Passing sample weights to scikit-learn 1.9 made its
  binning take up to 10x the fit (a weighted percentile per bin), which `QuantileBooster`
  avoids by cutting the features at their quantiles first.
"""


if __name__ == "__main__":
    main()
