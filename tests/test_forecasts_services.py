"""Making, storing, scoring and explaining forecasts (services, task and commands)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation

from kamtibmas.forecasts import data, scoring
from kamtibmas.forecasts.explain import explain_cells, explanation_lines
from kamtibmas.forecasts.models import ForecastEvent, ForecastRun
from kamtibmas.forecasts.services import make_forecasts, resolve_model
from kamtibmas.forecasts.shifts import WITA, parse_shifts
from kamtibmas.forecasts.surface import METRIC_CRS, risk_surface
from kamtibmas.forecasts.tasks import run_nightly
from kamtibmas.forecasts.windows import Window, upcoming
from kamtibmas.geo.models import Unit
from kamtibmas.incidents.models import Incident
from kamtibmas_analytics import projection
from kamtibmas_analytics.forecast import DAY_S, HOUR_S, Events
from kamtibmas_analytics.grid import Grid
from tests.conftest import SELATAN_KELURAHAN, UTARA_KELURAHAN

AT = datetime(2026, 11, 20, 19, 0, tzinfo=WITA)  # 19:00 WITA: after the nightly hour
MODEL = "long_run"  # the fast baseline; the product's default is a setting
SELATAN = "polsek-balikpapan-selatan"


def unit(code: str = SELATAN) -> Unit:
    return Unit.objects.get(code=code)


def add_incident(lat: float, lon: float, when: datetime, category: str = "curanmor") -> Incident:
    from kamtibmas.geo import lookup

    area = lookup.locate(lat, lon)
    return Incident.objects.create(
        category=category,
        occurred_from=when,
        lat=lat,
        lon=lon,
        kelurahan_id=area.kelurahan_id if area else None,
        kelurahan_code=area.kelurahan_code if area else "",
        unit_id=area.unit_id if area else None,
        is_synthetic=True,
    )


def scatter(code: str, n: int, *, seed: int = 3, end: datetime = AT, days: int = 200) -> None:
    """``n`` street crimes around a kelurahan's interior point over ``days`` before ``end``."""
    from kamtibmas.geo.models import Kelurahan

    kel = Kelurahan.objects.get(code=code)
    rng = np.random.default_rng(seed)
    for _k in range(n):
        when = end - timedelta(days=float(rng.uniform(0.1, days)))
        lat = kel.lat + float(rng.normal(0, 0.002))
        lon = kel.lon + float(rng.normal(0, 0.002))
        add_incident(lat, lon, when, str(rng.choice(["curanmor", "curat"])))


@pytest.fixture
def incidents(db: Any) -> None:
    scatter(SELATAN_KELURAHAN, 60)
    scatter(UTARA_KELURAHAN, 30, seed=4)


def test_it_stores_a_run_with_inputs_model_version_and_surface(incidents: None) -> None:
    windows = upcoming(AT, "both", 2)
    summary = make_forecasts([unit()], ["3c"], windows, at=AT, model_name=MODEL)
    assert len(summary.made) == 3 and not summary.existing
    run = ForecastRun.objects.get(window_kind="malam")
    assert run.start == datetime(2026, 11, 20, 22, tzinfo=WITA)
    assert run.end == datetime(2026, 11, 21, 6, tzinfo=WITA)
    assert (run.model_name, run.model_version) == ("long_run", "1")
    assert run.data_up_to == AT and run.crs == METRIC_CRS and run.cell_m == 150.0
    area = data.unit_area(unit())
    assert area is not None
    assert (run.x0_m, run.y0_m, run.nx, run.ny) == (
        area.grid.x0_m,
        area.grid.y0_m,
        area.grid.nx,
        area.grid.ny,
    )
    # Every Selatan incident is inside the grid (with its 400 m margin); Utara's are not.
    assert run.incident_count == 60
    scores, mask = run.arrays()
    assert scores.shape == (run.ny, run.nx) and np.array_equal(mask, area.mask)
    assert np.all(scores[~mask] == 0)
    cells = list(run.cells.all())
    assert len(cells) == 20 and [c.rank for c in cells] == list(range(1, 21))
    assert all(a.score >= b.score for a, b in zip(cells, cells[1:], strict=False))
    assert abs(cells[0].score - float(scores[cells[0].i, cells[0].j])) < 1e-3
    assert ForecastEvent.objects.filter(run=run, action="made").count() == 1
    week = ForecastRun.objects.get(window_kind="7d")
    assert week.start == run.start and week.end - week.start == timedelta(days=7)


def test_it_makes_each_window_once(incidents: None) -> None:
    windows = upcoming(AT, "shifts", 3)
    first = make_forecasts([unit()], ["3c", "theft"], windows, at=AT, model_name=MODEL)
    again = make_forecasts(
        [unit()], ["3c", "theft"], windows, at=AT + timedelta(hours=1), model_name=MODEL
    )
    assert len(first.made) == 6 and not again.made and len(again.existing) == 6
    assert ForecastRun.objects.count() == 6


def test_it_never_fits_on_incidents_after_the_first_window_starts(incidents: None) -> None:
    later = AT + timedelta(days=1)
    add_incident(*_selatan_point(), AT + timedelta(hours=4))  # inside the malam shift
    windows = upcoming(AT, "shifts", 1)
    summary = make_forecasts([unit()], ["3c"], windows, at=later, model_name=MODEL)
    run = summary.made[0]
    assert run.data_up_to == run.start and run.incident_count == 60


def _selatan_point() -> tuple[float, float]:
    from kamtibmas.geo.models import Kelurahan

    kel = Kelurahan.objects.get(code=SELATAN_KELURAHAN)
    return kel.lat, kel.lon


def test_the_nightly_job_makes_the_evening_batch_once(incidents: None, monkeypatch: Any) -> None:
    monkeypatch.setattr(settings, "FORECAST_MODEL", MODEL)
    monkeypatch.setattr(data, "forecast_units", lambda: [unit()])
    first = run_nightly(AT)
    kinds = sorted({r.window_kind for r in first.made})
    assert kinds == ["7d", "malam", "pagi", "siang"]
    assert {r.trigger for r in first.made} == {"nightly"}
    assert len(first.made) == 4 * 5  # four windows, five crime groups
    assert not run_nightly(AT + timedelta(hours=1)).made
    # Before the nightly hour the next day, only windows not started yet are considered.
    morning = run_nightly(datetime(2026, 11, 21, 10, tzinfo=WITA))
    assert not morning.made


def test_without_incidents_a_forecast_is_stored_but_names_no_top_cell(db: Any) -> None:
    [run] = make_forecasts(
        [unit()], ["3c"], upcoming(AT, "shifts", 1), at=AT, model_name=MODEL
    ).made
    assert run.incident_count == 0 and not run.cells.exists()
    assert not run.arrays()[0].any()


def test_a_polsek_area_leaves_out_the_airport_sector(db: Any) -> None:
    selatan = data.unit_area(unit())
    airport = data.unit_area(unit("polsek-bandara-sepinggan"))
    assert selatan is not None and airport is not None
    assert airport.mask.sum() > 10
    assert selatan.area_m.intersection(airport.area_m).area < 100.0  # m², edge rounding
    kota = data.unit_area(unit("polsek-balikpapan-kota"))
    assert kota is not None and not kota.area_m.intersects(selatan.area_m.buffer(-10))


def test_unknown_group_and_model_are_refused(db: Any) -> None:
    with pytest.raises(ValueError, match="unknown crime group"):
        make_forecasts([unit()], ["bogus"], upcoming(AT), at=AT, model_name=MODEL)
    with pytest.raises(ValueError, match="unknown forecasting model"):
        resolve_model("crystal_ball")


# ---- scoring -------------------------------------------------------------------------------


def _tiny_run(start: datetime) -> tuple[ForecastRun, Grid]:
    """A stored 10 x 10 forecast in Selatan whose cell (i, j) has score 100 - (10 i + j)."""
    lat, lon = _selatan_point()
    x, y, _crs = projection.to_metres(np.array([lon]), np.array([lat]), METRIC_CRS)
    grid = Grid(float(x[0]) - 750, float(y[0]) - 750, 150.0, 10, 10)
    scores = 100.0 - np.arange(100, dtype=float).reshape(10, 10)
    run = ForecastRun.objects.create(
        unit=unit(),
        group="3c",
        window_kind="malam",
        start=start,
        end=start + timedelta(hours=8),
        model_name="hand",
        model_version="1",
        data_up_to=start,
        x0_m=grid.x0_m,
        y0_m=grid.y0_m,
        cell_m=grid.cell_m,
        nx=10,
        ny=10,
        surface=ForecastRun.pack(scores, np.ones((10, 10), bool)),
    )
    return run, grid


def _at_cell(grid: Grid, rank: int, when: datetime, category: str = "curat") -> None:
    i, j = divmod(rank - 1, 10)  # rank 1 is cell (0, 0), rank 11 is (1, 0)
    lon, lat = projection.to_lonlat(grid.x_centers[[j]], grid.y_centers[[i]], METRIC_CRS)
    add_incident(float(lat[0]), float(lon[0]), when, category)


def test_it_scores_hits_hit_rate_and_pai_as_computed_by_hand(db: Any) -> None:
    start = datetime(2026, 11, 1, 22, tzinfo=WITA)
    run, grid = _tiny_run(start)
    inside = start + timedelta(hours=2)
    for rank in (1, 1, 3, 7, 50):
        _at_cell(grid, rank, inside)
    _at_cell(grid, 2, start - timedelta(hours=1))  # before the window
    _at_cell(grid, 2, start + timedelta(hours=8))  # just after it
    _at_cell(grid, 2, inside, category="theft")  # another group
    assert scoring.score_due(start + timedelta(hours=9)) == 0  # too early: records come late
    assert scoring.score_due(start + timedelta(days=2)) == 1
    rows = {s.coverage_pct: s for s in run.scores.all()}
    # 100 cells: the top 1, 2, 5, 10, 20 cells hold 2, 2, 3, 4, 4 of the 5 incidents.
    expected = {
        1: (1, 2, 40.0),
        2: (2, 2, 20.0),
        5: (5, 3, 12.0),
        10: (10, 4, 8.0),
        20: (20, 4, 4.0),
    }
    for coverage, (cells, hits, pai) in expected.items():
        row = rows[coverage]
        assert (row.cells, row.events, row.hits) == (cells, 5, hits)
        assert row.hit_rate == pytest.approx(hits / 5) and row.pai == pytest.approx(pai)
    assert ForecastEvent.objects.filter(run=run, action="scored").count() == 1
    assert scoring.score_due(start + timedelta(days=3)) == 0  # scored once
    table = scoring.accuracy_table(start + timedelta(days=3))
    acc = table[(run.unit_id, "3c", "malam", "hand")]
    assert (acc.n, acc.scored) == (1, 1) and acc.hit_rate == pytest.approx(0.6)
    assert set(table) == {(run.unit_id, "3c", "malam", "hand")}  # per model, not pooled


def test_a_quiet_window_scores_without_a_rate(db: Any) -> None:
    start = datetime(2026, 11, 1, 22, tzinfo=WITA)
    run, _grid = _tiny_run(start)
    scoring.score_due(start + timedelta(days=2))
    assert {(s.events, s.hits, s.hit_rate, s.pai) for s in run.scores.all()} == {(0, 0, None, None)}


# ---- explanations --------------------------------------------------------------------------


def test_it_explains_a_cell_by_recent_level_and_time() -> None:
    grid = Grid(0.0, 0.0, 100.0, nx=5, ny=5)
    mask = np.ones((5, 5), bool)
    start = datetime(2026, 11, 20, 22, tzinfo=WITA)
    t0 = start.timestamp()
    at_23 = t0 + 1 * HOUR_S  # 23:00 WITA: in malam
    at_noon = t0 - 10 * HOUR_S  # 12:00 WITA: pagi
    xs = [250.0, 260.0, 240.0, 250.0, 250.0, 450.0, 2000.0]
    ys = [250.0, 250.0, 260.0, 250.0, 250.0, 250.0, 2000.0]
    ts = [
        at_23 - 2 * DAY_S,  # 21:00..: 23:00 two days before: recent, malam
        at_23 - 10 * DAY_S,
        at_noon - 20 * DAY_S,  # 14-28 days
        at_noon - 100 * DAY_S,  # older than 28 days
        at_23 - 400 * DAY_S,  # more than a year ago
        at_23 - 3 * DAY_S,  # 200 m east: nearby, another cell
        at_23 - 3 * DAY_S,  # far away
    ]
    history = Events.from_arrays(xs, ys, ts)
    spec = parse_shifts("pagi=06-14,siang=14-22,malam=22-06")[2]
    [why] = explain_cells(history, grid, mask, [(2, 2)], start, spec)
    assert (why["recent_14"], why["recent_28"]) == (3, 4)
    # The cell (2, 2) holds 4 incidents of the last year; 5 in the grid over 25 cells.
    assert why["year_count"] == 4 and why["unit_mean"] == pytest.approx(5 / 25)
    assert why["ratio"] == pytest.approx(20.0)
    # Nearby in the last year: 5 incidents, 3 of them at 23:00 (malam).
    assert why["near_year"] == 5
    assert why["time"]["share"] == pytest.approx(3 / 5) and why["time"]["shift"] == "malam"
    with translation.override("en"):
        lines = explanation_lines(why)
    assert "3 within 400 m in the last 14 days" in lines[0]
    assert "20.0 times" in lines[1] and "60%" in lines[2]


def test_a_seven_day_window_names_the_busiest_shift() -> None:
    grid = Grid(0.0, 0.0, 100.0, nx=2, ny=2)
    start = datetime(2026, 11, 20, 22, tzinfo=WITA)
    t_pagi = start.timestamp() - 12 * HOUR_S  # 10:00 WITA
    history = Events.from_arrays([50.0] * 3, [50.0] * 3, [t_pagi - k * DAY_S for k in (1, 2, 3)])
    [why] = explain_cells(history, grid, np.ones((2, 2), bool), [(0, 0)], start, None)
    assert why["time"]["shift"] == "pagi" and why["time"]["share"] == 1.0
    with translation.override("en"):
        assert "busiest shift nearby is pagi" in explanation_lines(why)[2]


# ---- the patrol-planning contract ----------------------------------------------------------


def test_risk_surface_reads_the_stored_forecast_else_computes_one(
    incidents: None, monkeypatch: Any
) -> None:
    monkeypatch.setattr(settings, "FORECAST_MODEL", MODEL)
    [window] = upcoming(AT, "shifts", 1)
    [run] = make_forecasts([unit()], ["3c"], [window], at=AT, model_name=MODEL).made
    stored = risk_surface(unit(), "3c", window.start, window.end)
    assert stored.run_id == run.pk and stored.model == MODEL
    assert np.allclose(stored.scores, run.arrays()[0])
    assert len(stored.explanations) == 20
    later = Window("pagi", window.end, window.end + timedelta(hours=8))
    fresh = risk_surface(unit(), "3c", later.start, later.end)
    assert fresh.run_id is None and fresh.scores.shape == stored.scores.shape
    assert np.array_equal(fresh.mask, stored.mask) and fresh.explanations
    with pytest.raises(ValueError):
        risk_surface(unit(), "bogus", later.start, later.end)


# ---- commands ------------------------------------------------------------------------------


def test_the_commands_make_and_score_forecasts(incidents: None, capsys: Any) -> None:
    call_command(
        "forecast_run",
        "--at",
        "2026-11-20T19:00",
        "--unit",
        SELATAN,
        "--group",
        "3c",
        "--model",
        MODEL,
        "--horizon",
        "shifts",
    )
    out = capsys.readouterr().out
    assert "3 made, 0 already there" in out and "malam 2026-11-20 22:00 WITA" in out
    call_command("forecast_score", "--at", "2026-11-25")
    assert "3 forecasts scored" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "yesterday"], "--at expects a date"),
        (["--unit", "polsek-atlantis"], "no unit with code"),
        (["--group", "piracy"], "invalid choice"),
    ],
)
def test_the_run_command_explains_bad_input(db: Any, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("forecast_run", *args)


def test_the_utc_time_of_a_window_is_stored_aware(incidents: None) -> None:
    [window] = upcoming(AT, "shifts", 1)
    [run] = make_forecasts([unit()], ["3c"], [window], at=AT, model_name=MODEL).made
    run.refresh_from_db()
    assert run.start.astimezone(UTC) == datetime(2026, 11, 20, 14, tzinfo=UTC)


def test_the_scheduler_runs_the_hourly_forecast_job(incidents: None, monkeypatch: Any) -> None:
    from kamtibmas.portal.management.commands import scheduler

    monkeypatch.setattr(settings, "FORECAST_MODEL", MODEL)
    monkeypatch.setattr(data, "forecast_units", lambda: [unit()])
    job = next(j for j in scheduler.JOBS if j.name == "forecasts")
    assert job.every_minutes == 60
    now = datetime.now(UTC)
    assert scheduler.run_tick(now, [job]) == ["forecasts"]
    expected = run_nightly(now)  # what the job made is there: nothing left to make
    assert not expected.made
    made_by_job = ForecastRun.objects.filter(trigger="nightly")
    assert made_by_job.count() == len(expected.existing)
    assert all(r.start >= r.data_up_to for r in made_by_job)


def test_the_settings_know_every_forecasting_model() -> None:
    from kamtibmas_analytics.forecast import MODEL_NAMES

    assert settings.FORECAST_MODELS == MODEL_NAMES


@pytest.mark.django_db
def test_the_night_shift_ranks_the_places_of_night_crime_first() -> None:
    from kamtibmas.geo.models import Kelurahan

    kel = Kelurahan.objects.get(code=SELATAN_KELURAHAN)
    night_spot = (kel.lat + 0.006, kel.lon)  # about 650 m apart
    day_spot = (kel.lat - 0.006, kel.lon)
    for k in range(30):
        day = AT - timedelta(days=2 + k)
        add_incident(*night_spot, day.replace(hour=1))  # 01:00 WITA
        add_incident(*day_spot, day.replace(hour=10))  # 10:00 WITA
    windows = [w for w in upcoming(AT, "shifts", 3) if w.kind in ("malam", "pagi")]
    make_forecasts([unit()], ["3c"], windows, at=AT, model_name=MODEL)
    top = {}
    for run in ForecastRun.objects.filter(window_kind__in=("malam", "pagi")):
        best = run.cells.get(rank=1)
        top[run.window_kind] = (best.lat, best.lon)
    assert abs(top["malam"][0] - night_spot[0]) < 0.002
    assert abs(top["pagi"][0] - day_spot[0]) < 0.002


def test_auto_stores_its_choice_even_for_a_group_without_incidents(incidents: None) -> None:
    windows = upcoming(AT, "shifts", 1)
    summary = make_forecasts([unit()], ["3c", "violence"], windows, at=AT, model_name="auto")
    assert len(summary.made) == 2
    quiet = ForecastRun.objects.get(group="violence")
    assert quiet.model_params["choice"]["members"]  # a validation of nothing still chooses
    assert set(quiet.model_params["candidates"]) == set(settings.FORECAST_AUTO_CANDIDATES)
    busy = ForecastRun.objects.get(group="3c")
    assert all(v is None or v >= 0 for v in busy.model_params["validation"].values())
