"""Links to a camera's recording (its NVR / VMS): the template is checked and kept without
credentials, and the coverage panel fills it with the window widened by five minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from kamtibmas.cctv.forms import CameraForm
from kamtibmas.cctv.models import Camera
from kamtibmas.cctv.recording import TemplateError, clean_template, recording_url
from kamtibmas.incidents.models import Incident
from tests.conftest import SELATAN_KELURAHAN
from tests.test_cctv_registry import east_of, form_data, make_camera

T0 = datetime(2026, 1, 5, 15, 30, tzinfo=UTC)  # 23:30 WITA
NVR = "https://nvr.example/playback?cam=5&start={start}&end={end}"


def test_it_fills_iso_times_in_wita_widened_by_five_minutes():
    url = recording_url(NVR, T0, T0 + timedelta(minutes=20))
    assert url == (
        "https://nvr.example/playback?cam=5"
        "&start=2026-01-05T23%3A25%3A00%2B08%3A00&end=2026-01-05T23%3A55%3A00%2B08%3A00"
    )


def test_it_fills_utc_and_epoch_seconds():
    url = recording_url("http://10.0.0.9/v?s={start_epoch}&e={end_epoch}&u={start_utc}", T0)
    start = int((T0 - timedelta(minutes=5)).timestamp())
    assert url == f"http://10.0.0.9/v?s={start}&e={start + 600}&u=2026-01-05T15%3A25%3A00Z"


@pytest.mark.parametrize(
    ("template", "why"),
    [
        ("ftp://nvr/{start}", "http"),
        ("nvr.example/{start}", "http"),
        ("https://nvr.example/playback?at={when}", "{when}"),
        ("https://nvr.example/playback?at={start:%Y}", "{start}"),
        ("https://nvr.example/playback?at={start", "pairs"),
        ("https://nvr.example/playback?cam=5", "start"),
        ("https://{start}.example/x", "host"),
    ],
)
def test_it_refuses_unusable_templates(template, why):
    with translation.override("en"), pytest.raises(TemplateError, match=why):
        clean_template(template)
    assert recording_url(template, T0) is None  # an old bad template gives no link, no error


def test_it_strips_credentials_from_the_template(db):
    assert clean_template("https://admin:geheim@nvr.example/p?s={start}") == (
        "https://nvr.example/p?s={start}"
    )
    camera = make_camera("gerbang", SELATAN_KELURAHAN, "polsek-balikpapan-selatan",
                         recording_url_template="https://a:b@nvr.example/p?s={start}")  # fmt: skip
    camera.refresh_from_db()
    assert camera.recording_url_template == "https://nvr.example/p?s={start}"


def test_the_camera_form_checks_the_template_and_keeps_the_values(db):
    form = CameraForm(data=form_data(recording_url_template="https://nvr.example/p?x={oops}"))
    assert not form.is_valid()
    assert "recording_url_template" in form.errors
    assert form["recording_url_template"].value() == "https://nvr.example/p?x={oops}"
    assert form["name"].value() == "kamera-baru"
    good = CameraForm(data=form_data(recording_url_template="https://u:p@nvr.example/p?s={start}"))
    assert good.is_valid(), good.errors
    assert good.save().recording_url_template == "https://nvr.example/p?s={start}"


def test_the_form_page_shows_a_bad_template_error_in_indonesian(commander_polres: Any) -> None:
    client = Client()
    client.force_login(commander_polres)
    data = form_data(recording_url_template="https://nvr.example/p?cam=5")
    response = client.post("/petugas/cctv/kamera/baru/", data)
    assert response.status_code == 400  # the form again, with its errors
    page = response.content.decode()
    assert "https://nvr.example/p?cam=5" in page  # what was typed is kept
    assert "Cantumkan awal rentang waktu" in page
    assert not Camera.objects.filter(name="kamera-baru").exists()


def covering_incident(camera: Camera, **times: Any) -> Incident:
    lat, lon = east_of(camera, 40)
    return Incident.objects.create(category="curanmor", lat=lat, lon=lon, unit=camera.unit,
                                   **times)  # fmt: skip


def test_the_coverage_panel_links_to_the_recording_of_the_window(officer_selatan: Any) -> None:
    with_nvr = make_camera("pasar-klandasan", SELATAN_KELURAHAN, "polsek-balikpapan-selatan",
                           recording_url_template=NVR)  # fmt: skip
    start = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    incident = covering_incident(with_nvr, occurred_from=start,
                                 occurred_to=start + timedelta(minutes=30))  # fmt: skip
    client = Client()
    client.force_login(officer_selatan)
    page = client.get(f"/petugas/kejadian/{incident.pk}/").content.decode()
    expected = recording_url(NVR, start, start + timedelta(minutes=30))
    assert expected is not None and "%2B08%3A00" in expected
    assert f'href="{expected.replace("&", "&amp;")}"' in page
    assert 'class="cctv-recording"' in page


def test_the_coverage_panel_has_no_recording_link_without_a_template(
    officer_selatan: Any, make_report: Any
) -> None:
    camera = make_camera("pasar-klandasan", SELATAN_KELURAHAN, "polsek-balikpapan-selatan")
    lat, lon = east_of(camera, 40)
    report = make_report(lat=lat, lon=lon, occurred_from=timezone.now() - timedelta(hours=2))
    client = Client()
    client.force_login(officer_selatan)
    page = client.get(f"/petugas/laporan/{report.tracking_code}/").content.decode()
    assert camera.name in page and "cctv-recording" not in page
