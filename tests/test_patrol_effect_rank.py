"""The patrol effect matched on the forecast the plans used, not only on past-year crime.

Plans pick places by forecast rank; a forecast may know a place is heating up while its
past-year count looks ordinary. Matching on the past year then compares rising patrolled
places with steady unpatrolled ones and hides (or inverts) the effect; matching on the
forecast compares like with like. Shown here on a synthetic city (analytics) and on the page.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.test import Client
from django.utils import timezone

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import User
from kamtibmas.forecasts.models import ForecastRun
from kamtibmas.forecasts.shifts import shift_at
from kamtibmas.geo.models import Unit
from kamtibmas.incidents.models import Incident
from kamtibmas.patrols import effect_forecast
from kamtibmas.patrols.effect_chart import event_svg
from kamtibmas.patrols.models import PatrolPlan, PatrolStop, PatrolTeam, PlanStatus, Visit
from kamtibmas_analytics.grid import Grid
from kamtibmas_analytics.patrol_effect import (
    INCREASE,
    NO_EFFECT,
    REDUCTION,
    PatrolEffect,
    WeekEffect,
    event_study,
    level_bands,
    score_bands,
)
from kamtibmas_analytics.projection import to_lonlat, to_metres
from tests.conftest import SELATAN_KELURAHAN, make_user, point_in

SELATAN = "polsek-balikpapan-selatan"
UTARA = "polsek-balikpapan-utara"
PAGE = "/petugas/patroli/dampak/"
CRS = "EPSG:32750"


# ---- analytics: a synthetic city where plans follow the forecast ---------------------------


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261201)


def rising_city(rng: np.random.Generator, effect: float, n: int = 3000) -> dict[str, Any]:
    """Places with a long-run rate and a growth factor (some heat up, some cool down). The
    past-year count sees only the rate; the forecast sees rate x growth (recent incidents).
    Plans patrol by forecast rank; patrols cut crime by ``effect`` only in places of the top
    30 % of the forecast (low-ranked patrolled places get nothing)."""
    rate = rng.gamma(1.5, 2.0, n)
    growth = np.exp(rng.normal(0.0, 0.5, n))
    history = rng.poisson(rate * 12)
    before = rng.poisson(rate)
    forecast = rate * growth * rng.lognormal(0.0, 0.1, n)
    rank = forecast.argsort().argsort() / (n - 1)
    patrolled = rng.random(n) < 0.6 * rank**2
    helped = patrolled & (rank >= 0.7)
    after = rng.poisson(rate * growth * np.where(helped, 1.0 + effect, 1.0))
    true_att = float((rate * growth * effect * helped)[patrolled].mean())
    return dict(before=before, after=after, patrolled=patrolled, history=history,
                forecast=forecast, true_att=true_att)  # fmt: skip


def fit_both(city: dict[str, Any]) -> tuple[PatrolEffect, PatrolEffect]:
    counts = (city["before"], city["after"], city["patrolled"])
    by_forecast = PatrolEffect(bands=score_bands(city["forecast"]), random_state=1).fit(*counts)
    by_level = PatrolEffect(bands=level_bands(city["history"]), random_state=1).fit(*counts)
    return by_forecast, by_level


def test_forecast_matching_recovers_an_effect_that_past_year_matching_underestimates(rng):
    city = rising_city(rng, effect=-0.4)
    by_forecast, by_level = fit_both(city)
    truth = city["true_att"]
    low, high = by_forecast.interval_
    assert by_forecast.verdict_ == REDUCTION and low <= truth <= high
    assert abs(by_forecast.estimate_ - truth) < 0.3
    # Past-year bands put rising patrolled places next to steady ones: the rise eats about
    # half the effect, and the truth is far outside that interval.
    assert by_level.estimate_ - truth > 0.7 and by_level.interval_[0] > truth


def test_with_no_effect_past_year_matching_blames_the_patrols_and_forecast_matching_does_not(
    rng,
):
    city = rising_city(rng, effect=0.0)
    by_forecast, by_level = fit_both(city)
    assert by_forecast.verdict_ == NO_EFFECT
    assert by_level.verdict_ == INCREASE and by_level.estimate_ > 0.5


def test_score_bands_are_deciles_within_each_unit_and_leave_unscored_places_out():
    scores = np.r_[np.arange(20.0), np.arange(20.0) * 100, np.nan]
    units = [1] * 20 + [2] * 20 + [1]
    bands = score_bands(scores, within=units, n_bands=10)
    assert bands[:20].tolist() == np.repeat(np.arange(10), 2).tolist()
    assert bands[20:40].tolist() == np.repeat(np.arange(10, 20), 2).tolist()
    assert bands[40] == -1
    with pytest.raises(ValueError, match="one entry per place"):
        score_bands([1.0, 2.0], within=[1])


def test_places_without_a_band_are_never_matched():
    before, after = [1, 1, 1, 1, 1, 1], [0, 0, 2, 2, 5, 0]
    patrolled = [True, True, False, False, True, False]
    fit = PatrolEffect(bands=[0, 0, 0, 0, -1, -1], min_places=1, n_boot=50).fit(
        before, after, patrolled
    )
    assert fit.estimate_ == pytest.approx(-2.0)
    assert (fit.n_patrolled_, fit.n_unpatrolled_, fit.n_unmatched_) == (2, 2, 2)


def week_did_slow(panel, patrolled, bands, start, week) -> float:
    """Obviously correct: per band, mean over patrolled of (week count - own pre mean) minus
    the same over unpatrolled, weighted by patrolled places."""
    total, weight = 0.0, 0
    for band in sorted({b for b in bands if b >= 0}):
        members = [(row, p) for row, p, b in zip(panel, patrolled, bands, strict=True) if b == band]
        rows = [(row[week] - sum(row[:start]) / start, p) for row, p in members]
        t = [c for c, p in rows if p]
        c = [c for c, p in rows if not p]
        if t and c:
            total += len(t) * (sum(t) / len(t) - sum(c) / len(c))
            weight += len(t)
    return total / weight


def test_the_event_study_matches_the_slow_loop_and_adds_up_to_the_before_after_estimate(rng):
    n, weeks, start = 200, 9, 6
    panel = rng.poisson(2.0, size=(n, weeks))
    patrolled = rng.random(n) < 0.3
    bands = rng.integers(-1, 4, n)
    result = event_study(panel, patrolled, bands, start, n_boot=200, random_state=3)
    assert [w.week for w in result] == list(range(-6, 3))
    for k, week in enumerate(result):
        assert week.estimate == pytest.approx(week_did_slow(panel, patrolled, bands, start, k))
        assert week.low <= week.estimate <= week.high
    pooled = PatrolEffect(bands=bands, before_length=start, after_length=weeks - start,
                          n_boot=10).fit(panel[:, :start].sum(1), panel[:, start:].sum(1),
                                         patrolled)  # fmt: skip
    assert sum(w.estimate for w in result if w.week >= 0) == pytest.approx(pooled.estimate_)


def test_the_event_study_shows_the_effect_after_the_start_and_none_before(rng):
    n, weeks, start = 1500, 12, 8
    rate = rng.gamma(2.0, 1.0, n)
    patrolled = rng.random(n) < 0.3
    lift = np.where(patrolled[:, None] & (np.arange(weeks) >= start), 0.5, 1.0)
    panel = rng.poisson(rate[:, None] * lift)
    result = event_study(panel, patrolled, level_bands(rate), start, random_state=1)
    truth = -0.5 * rate[patrolled].mean()
    leads = [w for w in result if w.week < 0]
    lags = [w for w in result if w.week >= 0]
    assert sum(w.low <= 0 <= w.high for w in leads) >= len(leads) - 1
    assert all(w.high < 0 for w in lags)
    assert sum(w.low <= truth <= w.high for w in lags) >= len(lags) - 1
    assert event_study(panel, np.zeros(n, bool), level_bands(rate), start) == []
    with pytest.raises(ValueError, match="start"):
        event_study(panel, patrolled, level_bands(rate), 0)


# ---- the page: plans that used a stored forecast ------------------------------------------


@pytest.fixture
def patrol_selatan(db: Any) -> User:
    return make_user("samapta.selatan", roles.PATROL_OFFICER, SELATAN)


@pytest.fixture
def team_selatan(patrol_selatan: User) -> PatrolTeam:
    team = PatrolTeam.objects.create(unit=Unit.objects.get(code=SELATAN), name="Sabhara 1")
    team.members.add(patrol_selatan)
    return team


def commander_client(unit_code: str, name: str) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(make_user(name, roles.COMMANDER, unit_code))
    return client


def forecast_world(
    officer: User, team: PatrolTeam, *, run: str = "stored", outside: int = 0
) -> PatrolPlan:
    """40 places (cells 300 m apart) in Selatan, each with 3 curanmor in the past year, one of
    them in the 28 days before the last 28. A forecast rates the first 20 places high (they
    are heating up: 3 crimes each in the last 28 days unless patrolled) and the other 20 low
    (steady: 1 crime). The plan, 10 days ago, patrolled the first 10: 1 crime each after. So
    forecast-matched: -2 per place exactly; past-year-matched: -2/3 (all share one level).

    ``run``: "stored" (the plan stores the run's id), "window" (the plan's id points nowhere,
    a run covers its shift) or "none" (no forecast at all). ``outside`` more places, steady,
    lie outside the forecast's grid."""
    unit = Unit.objects.get(code=SELATAN)
    lat0, lon0 = point_in(SELATAN_KELURAHAN)
    x, y, _crs = to_metres(np.array([lon0]), np.array([lat0]), crs=CRS)
    grid = Grid(float(x[0]) - 75, float(y[0]) - 75, 150.0, nx=16, ny=10)
    shift = shift_at(timezone.now() - timedelta(days=10))
    plan = PatrolPlan.objects.create(
        unit=unit, shift_key=shift.key, shift_name=shift.name, start=shift.start, end=shift.end,
        group="3c", status=PlanStatus.CLOSED,
    )  # fmt: skip
    cells = [(2 * (k // 8), 2 * (k % 8)) for k in range(40)]
    cells += [(12 + 2 * (k // 8), 2 * (k % 8)) for k in range(outside)]
    if run != "none":
        scores = np.zeros(grid.shape)
        for k, (i, j) in enumerate(cells[:40]):
            scores[i, j] = 5.0 if k < 20 else 1.0
        stored = ForecastRun.objects.create(
            unit=unit, group="3c", window_kind=shift.name, start=shift.start, end=shift.end,
            model_name="hand", model_version="1", data_up_to=shift.start, x0_m=grid.x0_m,
            y0_m=grid.y0_m, cell_m=150.0, nx=grid.nx, ny=grid.ny,
            surface=ForecastRun.pack(scores, np.ones(grid.shape, bool)),
        )  # fmt: skip
        plan.forecast_run_id = stored.pk if run == "stored" else 999999
        plan.save()
    ij = np.array(cells, dtype=float)
    lon, lat = to_lonlat(
        grid.x0_m + (ij[:, 1] + 0.5) * 150.0, grid.y0_m + (ij[:, 0] + 0.5) * 150.0, CRS
    )
    now = timezone.now()
    rows = []
    for k in range(len(cells)):
        after = [5, 6, 7] if 10 <= k < 20 else [5]
        rows += [Incident(category="curanmor", lat=float(lat[k]), lon=float(lon[k]), unit=unit,
                          occurred_from=now - timedelta(days=d))
                 for d in [35, 200, 250] + after]  # fmt: skip
        if k < 10:
            stop = PatrolStop.objects.create(
                plan=plan, team=team, order=k, lat=float(lat[k]), lon=float(lon[k]), rank=k + 1,
                cell_i=cells[k][0], cell_j=cells[k][1], grid_x0=grid.x0_m, grid_y0=grid.y0_m,
                cell_m=150.0, label=f"Titik {k}",
            )  # fmt: skip
            Visit.objects.create(
                plan=plan, stop=stop, team=team, officer=officer, client_id=uuid.uuid4(),
                arrived_at=plan.start + timedelta(minutes=20 * k),
                left_at=plan.start + timedelta(minutes=20 * k + 15),
            )  # fmt: skip
    Incident.objects.bulk_create(rows)
    return plan


def test_the_page_matches_on_the_forecast_and_shows_the_past_year_as_robustness(
    patrol_selatan, team_selatan
):
    forecast_world(patrol_selatan, team_selatan)
    page = commander_client(SELATAN, "kapolsek.selatan").get(PAGE)
    assert page.status_code == 200
    assert page.context["matching"] == "forecast"
    fit = page.context["fit"]
    assert fit.estimate_ == pytest.approx(-2.0) and fit.verdict_ == REDUCTION
    assert (fit.n_patrolled_, fit.n_unpatrolled_) == (10, 10)  # only the high band compares
    robust = page.context["robustness"]["fit"]
    assert robust.estimate_ == pytest.approx(-2 / 3)
    assert (robust.n_patrolled_, robust.n_unpatrolled_) == (10, 30)
    text = page.content.decode()
    assert 'data-matching="forecast"' in text and "Matched on forecast risk" in text
    assert 'id="effect-robustness"' in text and "-0.67" in text
    assert "Comparison by forecast risk band" in text and "Forecast band" in text
    assert "rated as risky" in text and "not at random" in text
    assert page.context["placebo_checked"] and not page.context["placebo_flag"]
    # Week by week: 8 weeks before (all places alike), 4 after adding up to the -2.
    weekly = page.context["weekly"]
    assert [w["after"] for w in weekly] == [False] * 8 + [True] * 4
    assert all(w["estimate"] == pytest.approx(0.0) for w in weekly[:8])
    assert sum(w["estimate"] for w in weekly[8:]) == pytest.approx(-2.0)
    assert 'id="effect-weekly"' in text and "<circle" in text and "Week by week" in text


def test_it_finds_the_run_by_the_plans_window_when_the_stored_id_is_gone(
    patrol_selatan, team_selatan
):
    plan = forecast_world(patrol_selatan, team_selatan, run="window")
    assert effect_forecast.runs_of([plan])[0].start == plan.start
    page = commander_client(SELATAN, "kapolsek.selatan").get(PAGE)
    assert page.context["matching"] == "forecast"
    assert page.context["fit"].estimate_ == pytest.approx(-2.0)


def test_without_a_forecast_it_falls_back_to_the_past_year_and_says_so(
    patrol_selatan, team_selatan
):
    forecast_world(patrol_selatan, team_selatan, run="none")
    client = commander_client(SELATAN, "kapolsek.selatan")
    page = client.get(PAGE)
    assert page.context["matching"] == "past_year" and page.context["robustness"] is None
    assert page.context["fit"].estimate_ == pytest.approx(-2 / 3)
    text = page.content.decode()
    assert 'data-matching="past_year"' in text and "no forecast of these plans" in text
    assert 'id="effect-robustness"' not in text
    assert "Comparison by crime level of the past year" in text
    out = json.loads(client.get(PAGE + "?format=json").content)
    assert out["matching"] == "past_year" and out["robustness"] is None
    assert out["forecast_runs"] == 0 and out["places_without_forecast"] is None


def test_the_json_says_which_matching_it_used(patrol_selatan, team_selatan):
    forecast_world(patrol_selatan, team_selatan, outside=3)
    response = commander_client(SELATAN, "kapolsek.selatan").get(PAGE + "?format=json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    out = json.loads(response.content)
    assert out["matching"] == "forecast" and out["forecast_runs"] == 1
    assert out["places_without_forecast"] == 3
    assert out["estimate"]["estimate"] == pytest.approx(-2.0)
    assert out["estimate"]["verdict"] == REDUCTION and out["estimate"]["n_unmatched"] == 23
    assert out["robustness"]["matching"] == "past_year"
    # The 3 steady places outside the forecast still compare by past-year level: 20 / 33.
    assert out["robustness"]["estimate"] == pytest.approx(-20 / 33, abs=1e-4)
    assert out["placebo"]["verdict"] == NO_EFFECT
    assert out["after_start"].endswith("+08:00") and out["after_end"].endswith("+08:00")
    assert [w["week"] for w in out["weekly"]] == list(range(-8, 4))
    assert out["weekly"][8]["week_start"] == out["after_start"]
    assert sum(w["estimate"] for w in out["weekly"]) == pytest.approx(-2.0, abs=1e-4)


def test_the_page_counts_places_outside_every_forecast(patrol_selatan, team_selatan):
    forecast_world(patrol_selatan, team_selatan, outside=3)
    page = commander_client(SELATAN, "kapolsek.selatan").get(PAGE)
    assert page.context["data"].unranked == 3
    assert "3 places were outside every forecast of these plans" in page.content.decode()


def test_the_page_speaks_indonesian_by_default(patrol_selatan, team_selatan):
    forecast_world(patrol_selatan, team_selatan)
    client = Client()
    client.force_login(make_user("kapolsek.selatan", roles.COMMANDER, SELATAN))
    text = client.get(PAGE).content.decode()
    assert "Matched on forecast risk" not in text and "Comparison by forecast risk" not in text


@pytest.mark.parametrize(
    "query",
    ["?to=x&from=y", "?unit=999999", "?unit=abc&group=zzz", "?format=json&to=x&unit=abc",
     "?from=2026-12-31&to=2026-01-01", "?format=xml"],
)  # fmt: skip
def test_bad_filters_give_a_page_or_json_not_an_error(patrol_selatan, team_selatan, query):
    forecast_world(patrol_selatan, team_selatan)
    response = commander_client(SELATAN, "kapolsek.selatan").get(PAGE + query)
    assert response.status_code == 200
    if "format=json" in query:
        out = json.loads(response.content)
        assert out["matching"] == "forecast"
        assert any("not a valid date" in n for n in out["notices"])
    else:
        assert response.context["matching"] == "forecast"


def test_another_polseks_commander_gets_no_forecast_matching_of_selatan(
    patrol_selatan, team_selatan
):
    forecast_world(patrol_selatan, team_selatan)
    page = commander_client(UTARA, "kapolsek.utara").get(PAGE)
    assert page.status_code == 200 and page.context["data"].forecast_runs == 0
    assert page.context["fit"].n_patrolled_ == 0
    resident = Client()
    resident.force_login(make_user("warga", roles.CITIZEN, None))
    assert resident.get(PAGE + "?format=json").status_code == 403


def tiny_run(start, scores: np.ndarray, *, x0: float = 500_000.0) -> ForecastRun:
    """A stored forecast of Selatan on a grid of 150 m cells south-west corner (x0, 9.86e6)."""
    ny, nx = scores.shape
    return ForecastRun.objects.create(
        unit=Unit.objects.get(code=SELATAN), group="3c", window_kind="malam", start=start,
        end=start + timedelta(hours=8), model_name="hand", model_version=str(start), nx=nx,
        data_up_to=start, x0_m=x0, y0_m=9_860_000.0, cell_m=150.0, ny=ny,
        surface=ForecastRun.pack(scores, np.ones(scores.shape, bool)),
    )  # fmt: skip


def test_place_ranks_are_scale_free_means_over_the_runs(db):
    now = timezone.now()
    low = tiny_run(now, np.array([[1.0, 2.0, 3.0, 4.0]]))
    high = tiny_run(now + timedelta(days=1), np.array([[400.0, 300.0, 200.0, 100.0]]))
    x = 500_000.0 + np.array([75.0, 375.0, 9_000.0])
    y = np.full(3, 9_860_075.0)
    first, third, outside = effect_forecast.place_ranks([low, high], x, y)
    # Cell 0 ranks 1/4 in one run and 4/4 in the other; cell 2 ranks 3/4 and 2/4.
    assert first is not None and first.rank == pytest.approx(0.625)
    assert third is not None and third.rank == pytest.approx(0.625)
    assert outside is None
    assert effect_forecast.place_ranks([low], x[:1], y[:1])[0].rank == pytest.approx(0.25)


def test_a_long_period_uses_an_evenly_spaced_subset_of_runs(db, monkeypatch):
    monkeypatch.setattr(effect_forecast, "MAX_RUNS_PER_UNIT", 3)
    now = timezone.now()
    runs = [tiny_run(now + timedelta(days=k), np.ones((1, 2))) for k in range(7)]
    plans = [PatrolPlan(unit_id=r.unit_id, group="3c", start=r.start, end=r.end,
                        forecast_run_id=r.pk) for r in runs]  # fmt: skip
    assert [r.pk for r in effect_forecast.runs_of(plans)] == [runs[k].pk for k in (0, 3, 6)]


def test_the_weekly_chart_spans_negative_intervals_and_thins_its_labels():
    weeks = [WeekEffect(k - 30, -0.1 * (k >= 30), -0.5, 0.3) for k in range(40)]
    svg = event_svg(weeks, [f"w{k}" for k in range(40)], title="Selisih <per> minggu")
    assert svg.count("<circle") == 40 and svg.count('stroke-dasharray="4 3"') == 1
    assert 12 <= svg.count('text-anchor="middle"') <= 14  # one label in every three weeks
    assert "Selisih &lt;per&gt; minggu" in svg and ">-0.5<" in svg and ">0<" in svg


def test_the_csv_names_the_matching_on_every_row(patrol_selatan, team_selatan):
    forecast_world(patrol_selatan, team_selatan)
    client = commander_client(SELATAN, "kapolsek.selatan")
    response = client.get(PAGE + "?format=csv&from=bad")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    kinds = [r["row"] for r in rows]
    assert kinds[:3] == ["estimate", "placebo", "robustness"] and kinds[3:] == ["week"] * 12
    assert [r["matching"] for r in rows[:3]] == ["forecast", "forecast", "past_year"]
    assert float(rows[0]["estimate"]) == pytest.approx(-2.0) and rows[0]["verdict"] == REDUCTION
    assert rows[3]["week"] == "-8" and rows[3]["week_start"].endswith("+08:00")
    Incident.objects.all().delete()
    ForecastRun.objects.all().delete()
    fallback = list(csv.DictReader(io.StringIO(client.get(PAGE + "?format=csv").content.decode())))
    assert {r["matching"] for r in fallback} == {"past_year"}
    assert "robustness" not in [r["row"] for r in fallback]
