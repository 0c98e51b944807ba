"""The differencing rule of the public crime statistics: every published number is a sum of
shown ATOMIC cells (area x calendar month x category), so subtracting two published numbers
(overlapping periods, a period and its months, a group and its categories) never reveals a
count that is shown as "<3"."""

from __future__ import annotations

import itertools
import json
import random
from datetime import date, datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kamtibmas.forecasts.groups import CRIME_GROUPS
from kamtibmas.incidents.models import Incident
from kamtibmas.portal import public_stats
from tests.conftest import SELATAN_KELURAHAN, UTARA_KELURAHAN, point_in

pytestmark = pytest.mark.django_db
API = "/api/v1/public/crime-stats.geojson"
AREAS = (SELATAN_KELURAHAN, UTARA_KELURAHAN)
CODES = ("curat", "curanmor", "theft", "domestic_violence")
SELECTIONS = ("all", "3c", *CODES)

Atoms = dict[tuple[str, date, str], int]


def full_months(n: int) -> list[date]:
    """The ``n`` whole months before the month of the cutoff (so none is clamped)."""
    cutoff_month = timezone.localtime(public_stats.cutoff()).date().replace(day=1)
    return [public_stats.add_months(cutoff_month, k) for k in range(-n, 0)]


def add(kelurahan: str, month: date, category: str, n: int) -> None:
    lat, lon = point_in(kelurahan)
    when = timezone.make_aware(datetime(month.year, month.month, 10, 12, 0))
    for _ in range(n):
        Incident.objects.create(
            category=category, occurred_from=when, lat=lat, lon=lon, kelurahan_code=kelurahan
        )


def expected(atoms: Atoms, area: str, months: list[date], codes: tuple[str, ...]) -> tuple:
    """(count or None, label, complete) as the atomic rule says, computed from the raw data."""
    values = [atoms.get((area, m, c), 0) for m in months for c in codes]
    shown = sum(v for v in values if v >= 3)
    hidden = any(0 < v < 3 for v in values)
    if shown == 0 and hidden:
        return None, "<3", False
    return shown, str(shown), not hidden


def published(client: Client, **params: str) -> dict[str, dict[str, Any]]:
    response = client.get(API, params)
    assert response.status_code == 200, response.content
    features = json.loads(response.content)["features"]
    return {
        f["properties"].get("kelurahan_code") or f["properties"]["cell_id"]: f["properties"]
        for f in features
    }


def random_atoms(seed: int, months: list[date]) -> Atoms:
    rng = random.Random(seed)
    atoms: Atoms = {}
    for area, month, code in itertools.product(AREAS, months, CODES):
        n = rng.choice((0, 1, 2, 2, 3, 4, 8))
        if n:
            atoms[(area, month, code)] = n
            add(area, month, code, n)
    return atoms


@pytest.mark.parametrize("seed", [1, 2])
def test_every_published_total_is_the_sum_of_its_shown_atomic_counts(
    client: Client, seed: int
) -> None:
    """All periods of four months (nested and overlapping), all selections, both levels: each
    published number equals the sum of the shown atoms it covers, so any difference of two of
    them is a sum of shown atoms and never a hidden count."""
    months = full_months(4)
    atoms = random_atoms(seed, months)
    for i, j in itertools.combinations_with_replacement(range(len(months)), 2):
        span = months[i : j + 1]
        period = {"from": span[0].strftime("%Y-%m"), "to": span[-1].strftime("%Y-%m")}
        for selection in SELECTIONS:
            codes = public_stats.categories_of(selection)
            areas = published(client, category=selection, **period)
            for area in AREAS:
                count, text, complete = expected(atoms, area, span, codes)
                props = areas.get(area)
                if props is None:
                    assert (count, text) == (0, "0")
                    continue
                assert (props.get("count"), props["count_label"]) == (count, text), (span, area)
                assert props["complete"] is complete
                assert "count" not in props or props["count"] >= 3
            if selection == "domestic_violence":
                continue  # never in cells
            cells = published(client, level="cell", category=selection, **period)
            public_codes = tuple(c for c in codes if c not in public_stats.SENSITIVE_CATEGORIES)
            expected_cells = sorted(
                expected(atoms, area, span, public_codes)[1]
                for area in AREAS
                if any(atoms.get((area, m, c)) for m in span for c in public_codes)
            )
            assert sorted(p["count_label"] for p in cells.values()) == expected_cells


def test_january_to_march_minus_january_to_february_does_not_isolate_march(
    client: Client,
) -> None:
    jan, feb, mar = full_months(3)
    add(SELATAN_KELURAHAN, jan, "curanmor", 4)
    add(SELATAN_KELURAHAN, feb, "curanmor", 4)
    add(SELATAN_KELURAHAN, mar, "curanmor", 2)  # "<3": must stay hidden
    first_two = published(client, **{"from": f"{jan:%Y-%m}", "to": f"{feb:%Y-%m}"})
    all_three = published(client, **{"from": f"{jan:%Y-%m}", "to": f"{mar:%Y-%m}"})
    march = published(client, **{"from": f"{mar:%Y-%m}", "to": f"{mar:%Y-%m}"})
    assert first_two[SELATAN_KELURAHAN]["count"] == 8
    assert all_three[SELATAN_KELURAHAN]["count"] == 8  # not 10: March's 2 adds nothing
    assert all_three[SELATAN_KELURAHAN]["complete"] is False
    assert march[SELATAN_KELURAHAN]["count_label"] == "<3"
    assert "count" not in march[SELATAN_KELURAHAN]


def test_the_period_total_equals_the_sum_of_its_monthly_trend(client: Client) -> None:
    months = full_months(4)
    atoms = random_atoms(3, months)
    period = public_stats.make_period(months[0], months[-1])
    for selection in ("all", "3c", "theft"):
        codes = public_stats.categories_of(selection)
        areas = {a.code: a.total for a in public_stats.kelurahan_areas(period, selection)}
        city = 0
        for area in AREAS:
            trend = public_stats.monthly_trend(period, selection, area)
            total = sum(p.total.count or 0 for p in trend)
            assert (areas[area].count or 0 if area in areas else 0) == total
            for point in trend:
                assert point.total.label == expected(atoms, area, [point.month], codes)[1]
            city += total
        city_trend = public_stats.monthly_trend(period, selection)
        assert sum(p.total.count or 0 for p in city_trend) == city


def test_a_month_of_only_hidden_atoms_is_less_than_three_and_adds_nothing_citywide() -> None:
    """Two kelurahan with 2 each: the city's month is not 4 (that would reveal the sum of two
    hidden atoms), it is "<3" like each of them."""
    (month,) = full_months(1)
    add(SELATAN_KELURAHAN, month, "curanmor", 2)
    add(UTARA_KELURAHAN, month, "curanmor", 2)
    period = public_stats.make_period(month, month)
    (point,) = public_stats.monthly_trend(period, "curanmor")
    assert point.total.label == "<3" and point.total.count is None


def test_the_monthly_summary_uses_the_same_numbers_as_the_map_and_the_trend(
    client: Client,
) -> None:
    months = full_months(3)
    atoms = random_atoms(4, months)
    for month in months:
        summary = public_stats.kelurahan_month_summary(SELATAN_KELURAHAN, month.year, month.month)
        count, text, _complete = expected(atoms, SELATAN_KELURAHAN, [month], CODES)
        assert (summary["total"], summary["total_label"]) == (count, text)
        props = published(client, **{"from": f"{month:%Y-%m}", "to": f"{month:%Y-%m}"})
        shown = props.get(SELATAN_KELURAHAN, {"count_label": "0"})
        assert shown["count_label"] == text
        period = public_stats.make_period(month, month)
        (point,) = public_stats.monthly_trend(period, "all", SELATAN_KELURAHAN)
        assert point.total.label == text
        for row in summary["by_category"]:
            n = atoms.get((SELATAN_KELURAHAN, month, row["code"]), 0)
            assert row["count_label"] == ("<3" if 0 < n < 3 else str(n))


def test_groups_are_sums_of_their_shown_categories_per_month() -> None:
    jan, feb = full_months(2)
    add(SELATAN_KELURAHAN, jan, "curat", 3)
    add(SELATAN_KELURAHAN, feb, "curat", 1)
    add(SELATAN_KELURAHAN, feb, "curas", 2)
    period = public_stats.make_period(jan, feb)
    (area,) = public_stats.kelurahan_areas(period, "3c")
    assert area.total.count == 3 and area.total.complete is False
    assert set(CRIME_GROUPS["3c"]) >= {"curat", "curas"}
