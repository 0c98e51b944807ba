"""The camera map's forecast risk layer: top cells of the next 7 days for a Polsek the user
may see, a toggle on the camera list, clear 400s for bad requests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from django.test import Client
from django.utils import timezone

from kamtibmas.cctv import risk_views
from kamtibmas.forecasts.surface import METRIC_CRS, RiskSurface
from kamtibmas.geo.models import Unit
from kamtibmas_analytics.grid import Grid
from kamtibmas_analytics.projection import to_metres
from tests.conftest import SELATAN_KELURAHAN, point_in

URL = "/petugas/cctv/risiko.geojson"


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def fake_surface(monkeypatch: Any, hot: dict[tuple[int, int], float]) -> list[Any]:
    """A 10 x 10 grid of 150 m cells around Balikpapan Selatan; records the units asked."""
    lat, lon = point_in(SELATAN_KELURAHAN)
    x, y, _ = to_metres([lon], [lat], METRIC_CRS)
    grid = Grid(float(x[0]) - 750.0, float(y[0]) - 750.0, 150.0, nx=10, ny=10)
    scores = np.zeros(grid.shape)
    for (i, j), value in hot.items():
        scores[i, j] = value
    asked: list[Any] = []

    def surface(unit: Any, group: str) -> RiskSurface:
        asked.append((unit.code, group))
        now = timezone.now()
        return RiskSurface(grid, scores, np.ones(grid.shape, bool), unit.pk, group, now,
                           now + timedelta(days=7), "fake")  # fmt: skip

    monkeypatch.setattr(risk_views, "week_surface", surface)
    return asked


def selatan() -> Unit:
    return Unit.objects.get(code="polsek-balikpapan-selatan")


def test_it_gives_the_riskiest_cells_of_the_next_week(officer_selatan, monkeypatch):
    asked = fake_surface(monkeypatch, {(5, 5): 4.0, (2, 3): 1.0, (7, 7): 2.0})
    response = client_for(officer_selatan).get(URL, {"unit": selatan().pk})
    assert response.status_code == 200
    data = response.json()
    assert asked == [("polsek-balikpapan-selatan", "3c")]
    levels = [f["properties"]["level"] for f in data["features"]]
    assert levels == [1.0, 0.5, 0.25]  # best first, zero cells left out
    ring = data["features"][0]["geometry"]["coordinates"][0]
    assert len(ring) == 5 and all(116 < lon < 118 and -2 < lat < 0 for lon, lat in ring)
    assert data["risk"]["window_start"].endswith("+08:00")


def test_it_keeps_the_layer_light(officer_selatan, monkeypatch):
    fake_surface(monkeypatch, {(i, j): 1.0 + i + j for i in range(10) for j in range(10)})
    monkeypatch.setattr(risk_views, "TOP_CELLS", 30)
    data = client_for(officer_selatan).get(URL, {"unit": selatan().pk}).json()
    assert len(data["features"]) == 30
    assert data["features"][0]["properties"]["score"] == 19.0  # the riskiest cell comes first


def test_it_answers_a_bad_request_with_a_message(officer_selatan, officer_utara, monkeypatch):
    fake_surface(monkeypatch, {(5, 5): 1.0})
    client = client_for(officer_selatan)
    for params in ({}, {"unit": "x"}, {"unit": "999999"}, {"unit": "1" * 40}):
        response = client.get(URL, params)
        assert response.status_code == 400 and response.content
    bad_group = client.get(URL, {"unit": selatan().pk, "group": "nope"})
    assert bad_group.status_code == 400 and "Kelompok" in bad_group.content.decode()
    # another Polsek's officer may not read this Polsek's forecast
    assert client_for(officer_utara).get(URL, {"unit": selatan().pk}).status_code == 400


def test_a_failed_forecast_is_a_message_not_an_error_page(officer_selatan, monkeypatch):
    def broken(unit: Any, group: str) -> RiskSurface:
        raise RuntimeError("no model")

    monkeypatch.setattr(risk_views, "week_surface", broken)
    response = client_for(officer_selatan).get(URL, {"unit": selatan().pk})
    assert response.status_code == 400
    assert "Balikpapan Selatan" in response.content.decode()


def test_the_camera_list_offers_the_risk_toggle_for_the_officers_polsek(officer_selatan):
    page = client_for(officer_selatan).get("/petugas/cctv/").content.decode()
    assert 'id="cctv-risk-toggle"' in page and f'data-risk="{URL}"' in page
    assert f'<option value="{selatan().pk}" selected>' in page
