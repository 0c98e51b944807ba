"""In a real browser: a commander opens the zone editor of a camera, draws a zone by clicking
four points on the camera's picture, names it, sets loitering at 30 seconds, saves, and the
worker configuration downloaded next contains that polygon (parsed by the worker's parser)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import override_settings
from PIL import Image

from kamtibmas.accounts import roles
from kamtibmas.cctv import stills
from kamtibmas.cctv.models import Camera
from kamtibmas_cctv.config import parse_config
from tests.conftest import SELATAN_KELURAHAN, make_user
from tests.test_browser import _log_in, _page
from tests.test_cctv_registry import make_camera

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]

CLICKS = [(0.25, 0.5), (0.75, 0.5), (0.75, 0.9), (0.25, 0.9)]  # fractions of the picture


def _still() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 360), (90, 110, 90)).save(out, format="JPEG")
    return out.getvalue()


def test_a_commander_draws_a_loitering_zone_and_downloads_it(
    browser: Any, live_server: Any, live_reference: None, tmp_path: Path, monkeypatch: Any
) -> None:
    base = live_server.url
    make_user("kapolsek.selatan", roles.COMMANDER, "polsek-balikpapan-selatan")
    with override_settings(MEDIA_ROOT=tmp_path):
        camera = make_camera(
            "pasar-klandasan", SELATAN_KELURAHAN, "polsek-balikpapan-selatan",
            width=1280, height=720, stream_url="rtsp://10.0.0.5/stream1",
        )  # fmt: skip
        stills.store_still(camera, _still())
        page = _page(browser, base)
        page.set_viewport_size({"width": 1100, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _log_in(page, base, "kapolsek.selatan")
        page.goto(f"{base}/petugas/cctv/kamera/{camera.pk}/")
        page.get_by_role("link", name="Gambar zona dan masker privasi").click()
        page.wait_for_function("document.getElementById('zone-picture').naturalWidth > 0")
        page.get_by_role("button", name="Gambar zona", exact=True).click()
        svg = page.locator("#zone-svg")
        box = svg.bounding_box()
        for fx, fy in CLICKS:
            svg.click(position={"x": fx * box["width"], "y": fy * box["height"]})
        assert page.locator("#zone-svg circle").count() == 4
        page.get_by_role("button", name="Tutup poligon").click()
        name = page.get_by_label("Nama")
        assert name.evaluate("e => e === document.activeElement")
        name.fill("parkir-pasar")
        page.get_by_label("Berlama-lama (loitering)").check()
        page.get_by_label("Peringatan setelah sekian detik di dalam zona").fill("30")
        page.get_by_role("button", name="Simpan zona dan masker").click()
        page.wait_for_selector("text=Zona dan masker privasi telah disimpan.")
        page.wait_for_selector("#zone-svg polygon.zone-shape")  # drawn again from the saved
        assert page.locator("#zone-svg polygon.zone-shape").count() == 1

        camera = Camera.objects.get(pk=camera.pk)
        (zone,) = camera.zones
        assert zone["name"] == "parkir-pasar"
        assert zone["rules"] == [{"kind": "loitering", "seconds": 30.0}]
        expected = [[fx * 1280, fy * 720] for fx, fy in CLICKS]
        for (x, y), (ex, ey) in zip(zone["polygon"], expected, strict=True):
            assert abs(x - ex) <= 2 and abs(y - ey) <= 2

        response = page.request.get(f"{base}/petugas/cctv/kamera/{camera.pk}/cctv.yaml")
        assert response.status == 200
        monkeypatch.setenv("KAMTIBMAS_API_KEY", "kmt_test")
        monkeypatch.setenv("CAM_PASAR_KLANDASAN_URL", "rtsp://viewer:pw@10.0.0.5/stream1")
        config = parse_config(yaml.safe_load(response.text()))
        worker_zone = config.camera("pasar-klandasan").zones[0]
        assert [list(p) for p in worker_zone.polygon] == zone["polygon"]
        assert worker_zone.rules[0].seconds == 30.0
        assert errors == []
