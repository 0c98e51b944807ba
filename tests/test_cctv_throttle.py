"""CCTV workers have their own rate limit: CCTV_API_THROTTLE per key per minute on the ingest
endpoints, counted apart from API_THROTTLE so neither budget eats the other."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from kamtibmas import throttle
from kamtibmas.accounts.models import ApiKey
from kamtibmas.cctv.models import Camera
from tests.conftest import SELATAN_KELURAHAN
from tests.test_cctv_registry import make_camera

STATUS = "/api/v1/cctv/status"
EVENTS = "/api/v1/cctv/events"
REPORTS = "/api/v1/reports"


@pytest.fixture(autouse=True)
def one_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """All requests of a test fall in the same one-minute window."""
    clock = SimpleNamespace(time=lambda: 1_790_000_010.0)
    monkeypatch.setattr(throttle, "time", clock)  # the throttle's clock only


@pytest.fixture
def camera(db: Any) -> Camera:
    return make_camera("pasar-klandasan", SELATAN_KELURAHAN, "polsek-balikpapan-selatan")


@pytest.fixture
def bearer(officer_selatan: Any) -> dict[str, str]:
    raw = ApiKey.issue(officer_selatan, "cctv worker", scope="read_write")[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def heartbeat(headers: dict[str, str]) -> Any:
    body = json.dumps({"camera": "pasar-klandasan", "online": True})
    return Client().post(STATUS, data=body, content_type="application/json", **headers)


def test_workers_are_not_held_to_the_general_api_limit(camera, bearer, settings):
    settings.API_THROTTLE = "2/m"
    settings.CCTV_API_THROTTLE = 5
    assert [heartbeat(bearer).status_code for _ in range(5)] == [200] * 5
    refused = heartbeat(bearer)
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled" and int(refused["Retry-After"]) > 0
    # the general API budget of the same key is untouched by the worker's calls
    assert Client().get(REPORTS, **bearer).status_code == 200


def test_a_key_that_spent_its_general_budget_still_delivers_events(camera, bearer, settings):
    settings.API_THROTTLE = "1/m"
    settings.CCTV_API_THROTTLE = 100
    assert Client().get(REPORTS, **bearer).status_code == 200
    assert Client().get(REPORTS, **bearer).status_code == 429
    event = {"type": "new", "id": "e1", "camera": "pasar-klandasan", "zone": "parking",
             "rule": "intrusion", "track_id": 3, "start_s": 1.0}  # fmt: skip
    posted = Client().post(EVENTS, data=json.dumps(event), content_type="application/json",
                           **bearer)  # fmt: skip
    assert posted.status_code == 201, posted.content
    assert heartbeat(bearer).status_code == 200


def test_the_worker_limit_counts_per_key(camera, bearer, officer_selatan, settings):
    settings.CCTV_API_THROTTLE = 1
    assert heartbeat(bearer).status_code == 200
    assert heartbeat(bearer).status_code == 429
    other = ApiKey.issue(officer_selatan, "second worker", scope="read_write")[1]
    assert heartbeat({"HTTP_X_API_KEY": other}).status_code == 200
    assert heartbeat({"HTTP_X_API_KEY": "kmt_nope_nothing"}).status_code == 401
