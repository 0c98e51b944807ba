"""The camera placement page: forecast risk, existing cameras, proposed sites, exports."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.test import Client
from django.utils import timezone

from kamtibmas.accounts.models import AuditEvent
from kamtibmas.cctv import placement_views
from kamtibmas.cctv.models import Camera
from kamtibmas.forecasts.surface import METRIC_CRS, RiskSurface
from kamtibmas.geo.models import Unit
from kamtibmas_analytics.grid import Grid
from kamtibmas_analytics.projection import to_metres
from tests.conftest import SELATAN_KELURAHAN, point_in
from tests.test_forecasts_services import scatter

SELATAN = "polsek-balikpapan-selatan"
PAGE = "/petugas/cctv/penempatan/"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _selatan() -> Unit:
    return Unit.objects.get(code=SELATAN)


def _fake_surface(monkeypatch: Any, hot: list[tuple[int, int, float]]) -> Grid:
    """A 10 x 10 grid of 150 m cells centred on the Selatan kelurahan, risk in ``hot``."""
    lat, lon = point_in(SELATAN_KELURAHAN)
    x, y, _ = to_metres([lon], [lat], METRIC_CRS)
    grid = Grid(float(x[0]) - 750.0, float(y[0]) - 750.0, 150.0, nx=10, ny=10)
    scores = np.zeros(grid.shape)
    for i, j, value in hot:
        scores[i, j] = value
    now = timezone.now()
    surface = RiskSurface(grid, scores, np.ones(grid.shape, bool), _selatan().pk, "3c", now,
                          now + timedelta(days=7), "fake")  # fmt: skip
    monkeypatch.setattr(placement_views, "_surface", lambda params: surface)
    return grid


def _camera_at(grid: Grid, i: int, j: int) -> Camera:
    from kamtibmas_analytics.projection import to_lonlat

    lon, lat = to_lonlat([grid.x_centers[j]], [grid.y_centers[i]], METRIC_CRS)
    return Camera.objects.create(
        name="pasar", owner_kind=Camera.Owner.POLICE, unit=_selatan(), lat=float(lat[0]),
        lon=float(lon[0]), bearing=0.0, fov_angle=360.0, fov_range_m=100.0,
    )  # fmt: skip


def test_it_shows_the_form_without_a_unit(officer_selatan: Any) -> None:
    response = _client(officer_selatan).get(PAGE)
    assert response.status_code == 200
    assert b'name="k"' in response.content and b"placement-map" not in response.content


def test_it_proposes_sites_from_a_real_forecast(officer_selatan: Any, settings: Any) -> None:
    settings.FORECAST_MODEL = "long_run"
    scatter(SELATAN_KELURAHAN, 60, end=timezone.now())
    client = _client(officer_selatan)
    query = f"?unit={_selatan().pk}&group=3c&k=5&range=150"
    response = client.get(PAGE + query)
    assert response.status_code == 200
    proposal = response.context["proposal"]
    assert proposal is not None and 1 <= len(proposal.result.cameras) <= 5
    assert proposal.result.share_after > proposal.result.share_before == 0.0
    assert b"placement-map" in response.content and b'id="placement-data"' in response.content
    data = json.loads(client.get(PAGE.rstrip("/") + ".geojson" + query).content)
    new = [f for f in data["features"] if f["properties"]["kind"] == "new"]
    assert len(new) == len(proposal.result.cameras)
    assert data["placement"]["covered_after"] == pytest.approx(proposal.result.share_after)
    lon, lat = new[0]["geometry"]["coordinates"]
    assert 116.7 < lon < 117.1 and -1.4 < lat < -1.1
    table = list(csv.DictReader(io.StringIO(client.get("/petugas/cctv/penempatan.csv" + query)
                                            .content.decode())))  # fmt: skip
    assert [int(r["rank"]) for r in table] == list(range(1, len(new) + 1))
    assert float(table[-1]["covered_share"]) == pytest.approx(proposal.result.share_after, 1e-3)
    client.get(PAGE.rstrip("/") + ".geojson" + query + "&download=1")
    audits = AuditEvent.objects.filter(action="cctv_placement_export")
    assert sorted(a.detail["format"] for a in audits) == ["csv", "geojson"]
    assert {a.object_id for a in audits} == {str(_selatan().pk)}


def test_it_counts_the_existing_cameras_once(officer_selatan: Any, monkeypatch: Any) -> None:
    grid = _fake_surface(monkeypatch, [(5, 5, 6.0), (2, 7, 3.0), (8, 1, 1.0)])
    _camera_at(grid, 5, 5)
    response = _client(officer_selatan).get(PAGE + f"?unit={_selatan().pk}&k=3&range=50")
    proposal = response.context["proposal"]
    assert proposal.existing_count == 1
    assert proposal.result.covered_before == pytest.approx(6.0)
    assert proposal.result.gains == pytest.approx([3.0, 1.0])  # stops: nothing more to gain
    assert proposal.result.share_after == pytest.approx(1.0)
    assert re.search(r"<td>-1\.\d{6}</td><td>116\.\d{6}</td>", response.content.decode())
    rows = response.context["rows"]
    assert [r["rank"] for r in rows] == [1, 2] and rows[-1]["pct"] == pytest.approx(100.0)


def test_it_places_directional_cameras_exactly(officer_selatan: Any, monkeypatch: Any) -> None:
    _fake_surface(monkeypatch, [(5, 5, 2.0), (5, 6, 2.0), (5, 4, 1.0)])
    query = f"?unit={_selatan().pk}&k=1&range=160&fov=90&method=exact"
    proposal = _client(officer_selatan).get(PAGE + query).context["proposal"]
    # A camera in the middle cell facing east or west sees two cells; east is worth 4.
    assert proposal.result.method == "exact" and proposal.result.optimal
    assert proposal.result.covered_after == pytest.approx(4.0)
    assert proposal.result.cameras[0].bearing_deg is not None


@pytest.mark.parametrize(
    "query",
    ["k=abc", "k=0", "k=51", "range=5", "fov=45", "group=nope", "method=exact&k=11",
     "candidates=trees"],
)  # fmt: skip
def test_it_answers_bad_input_with_a_message(officer_selatan: Any, query: str) -> None:
    client = _client(officer_selatan)
    response = client.get(PAGE + f"?unit={_selatan().pk}&{query}")
    assert response.status_code == 200 and response.context["proposal"] is None
    assert list(response.context["messages"])
    export = client.get(f"/petugas/cctv/penempatan.geojson?unit={_selatan().pk}&{query}")
    assert export.status_code == 400 and b"Traceback" not in export.content


def test_it_hides_another_polseks_unit(officer_utara: Any) -> None:
    response = _client(officer_utara).get(f"/petugas/cctv/penempatan.csv?unit={_selatan().pk}")
    assert response.status_code == 400


def test_it_says_when_there_is_no_road_network(officer_selatan: Any, monkeypatch: Any) -> None:
    _fake_surface(monkeypatch, [(5, 5, 1.0)])
    response = _client(officer_selatan).get(PAGE + f"?unit={_selatan().pk}&candidates=junctions")
    assert response.status_code == 200 and response.context["proposal"] is None
    assert "jaringan jalan" in " ".join(str(m) for m in response.context["messages"])
