"""CCTV registry: scoping per unit and owner, credentials kept out, sector geometry and
coverage, form validation, pages and audit rows."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import AuditEvent
from kamtibmas.cctv import scoping
from kamtibmas.cctv.coverage import cameras_covering
from kamtibmas.cctv.forms import CameraForm
from kamtibmas.cctv.geometry import METRES_PER_DEGREE, sector_contains, sector_polygon
from kamtibmas.cctv.models import Camera, CctvEvent
from kamtibmas.geo.models import Unit
from kamtibmas.incidents.models import Incident
from tests.conftest import SELATAN_KELURAHAN, UTARA_KELURAHAN, make_user, point_in


def make_camera(name: str, kelurahan: str, unit_code: str, **extra: Any) -> Camera:
    lat, lon = point_in(kelurahan)
    values: dict[str, Any] = {
        "owner_kind": Camera.Owner.POLICE, "bearing": 90.0, "fov_angle": 60.0,
        "fov_range_m": 100.0, "retention_days": 30,
    }  # fmt: skip
    values.update(extra)
    return Camera.objects.create(
        name=name, unit=Unit.objects.get(code=unit_code), lat=lat, lon=lon, **values
    )


@pytest.fixture
def cam_selatan(db: Any) -> Camera:
    return make_camera("pasar-klandasan", SELATAN_KELURAHAN, "polsek-balikpapan-selatan")


@pytest.fixture
def cam_utara(db: Any) -> Camera:
    return make_camera("simpang-rapak", UTARA_KELURAHAN, "polsek-balikpapan-utara")


def east_of(camera: Camera, metres: float, north: float = 0.0) -> tuple[float, float]:
    lon = camera.lon + metres / (METRES_PER_DEGREE * math.cos(math.radians(camera.lat)))
    return camera.lat + north / METRES_PER_DEGREE, lon


def test_it_shows_an_officer_only_their_units_cameras(
    officer_utara: Any, officer_selatan: Any, commander_polres: Any, resident: Any,
    cam_selatan: Camera, cam_utara: Camera,
) -> None:  # fmt: skip
    assert list(scoping.cameras_for(officer_utara)) == [cam_utara]
    assert list(scoping.cameras_for(officer_selatan)) == [cam_selatan]
    assert set(scoping.cameras_for(commander_polres)) == {cam_selatan, cam_utara}
    assert list(scoping.cameras_for(resident)) == []


def test_it_hides_partner_cameras_unless_shared(officer_selatan: Any, db: Any) -> None:
    hidden = make_camera(
        "toko-emas", SELATAN_KELURAHAN, "polsek-balikpapan-selatan",
        owner_kind=Camera.Owner.PARTNER, owner_name="Toko Emas Jaya",
    )  # fmt: skip
    shared = make_camera(
        "bank-kota", SELATAN_KELURAHAN, "polsek-balikpapan-selatan",
        owner_kind=Camera.Owner.PARTNER, shared_with_police=True,
    )  # fmt: skip
    visible = set(scoping.cameras_for(officer_selatan))
    assert shared in visible
    assert hidden not in visible


def test_it_refuses_another_units_camera_page(
    officer_utara: Any, cam_selatan: Camera, resident: Any
) -> None:
    client = Client()
    client.force_login(officer_utara)
    assert client.get(f"/petugas/cctv/kamera/{cam_selatan.pk}/").status_code == 404
    assert cam_selatan.name not in client.get("/petugas/cctv/").content.decode()
    assert cam_selatan.name not in client.get("/petugas/cctv/kamera.geojson").content.decode()
    client.force_login(resident)
    assert client.get("/petugas/cctv/").status_code == 403


def test_it_strips_credentials_from_stream_urls(cam_selatan: Camera) -> None:
    cam_selatan.stream_url = "rtsp://admin:rahasia123@10.0.0.5:554/stream1"
    cam_selatan.substream_url = "http://user:pw@cam.local/mjpeg"
    cam_selatan.save()
    cam_selatan.refresh_from_db()
    assert cam_selatan.stream_url == "rtsp://10.0.0.5:554/stream1"
    assert cam_selatan.substream_url == "http://cam.local/mjpeg"
    assert not Camera.objects.filter(stream_url__contains="rahasia").exists()


def test_it_decides_sector_membership_as_checked_by_hand() -> None:
    # Camera at the equator facing east (90°), 60° wide, 100 m: 1 m east = 1/111320 degree.
    d = 1 / METRES_PER_DEGREE
    assert sector_contains(0, 0, 90, 60, 100, 0, 50 * d)  # 50 m straight ahead
    assert not sector_contains(0, 0, 90, 60, 100, 0, 120 * d)  # beyond range
    # 50 m east, 25 m north: atan(25/50) = 26.6° off the bearing, inside 30°.
    assert sector_contains(0, 0, 90, 60, 100, 25 * d, 50 * d)
    # 50 m east, 35 m north: 35.0° off, outside.
    assert not sector_contains(0, 0, 90, 60, 100, 35 * d, 50 * d)
    assert not sector_contains(0, 0, 90, 60, 100, 0, -50 * d)  # behind
    # Bearing 350°, 40° wide: a point at 10° (north-north-east) is 20° off: the edge, inside.
    assert sector_contains(0, 0, 350, 40, 100, 50 * d * math.cos(math.radians(10)),
                           50 * d * math.sin(math.radians(10)))  # fmt: skip
    assert sector_contains(0, 0, 0, 360, 100, 0, -50 * d)  # all round


def test_it_draws_a_closed_sector_through_the_camera() -> None:
    ring = sector_polygon(-1.25, 116.85, 90, 60, 100)
    assert ring[0] == ring[-1] == [116.85, -1.25]
    assert len(ring) == 24 + 3


def test_it_lists_cameras_covering_a_place_and_time(cam_selatan: Camera) -> None:
    now = timezone.now()
    lat, lon = east_of(cam_selatan, 50)
    assert [c.camera for c in cameras_covering(lat, lon, now - timedelta(hours=1), now)] == [
        cam_selatan
    ]
    assert cameras_covering(*east_of(cam_selatan, -50), now - timedelta(hours=1), now) == []
    old = now - timedelta(days=40)
    Camera.objects.filter(pk=cam_selatan.pk).update(created_at=old - timedelta(days=1))
    covering = cameras_covering(lat, lon, old, old + timedelta(hours=1))
    assert [c.footage_kept for c in covering] == [False]  # 40 days > 30 days retention


def test_it_leaves_out_a_camera_that_was_offline_then(cam_selatan: Camera) -> None:
    t0 = timezone.now() - timedelta(hours=5)
    cam_selatan.online_log = [[t0.isoformat(), True], [(t0 + timedelta(hours=1)).isoformat(),
                                                      False]]  # fmt: skip
    cam_selatan.created_at = t0 - timedelta(days=1)
    cam_selatan.save()
    lat, lon = east_of(cam_selatan, 30)
    later = t0 + timedelta(hours=2)
    assert cameras_covering(lat, lon, later, later + timedelta(minutes=30)) == []
    during = cameras_covering(lat, lon, t0 + timedelta(minutes=10), t0 + timedelta(minutes=20))
    assert [c.was_online for c in during] == [True]


def test_it_shows_covering_cameras_on_the_incident_page(
    officer_selatan: Any, cam_selatan: Camera
) -> None:
    lat, lon = east_of(cam_selatan, 40)
    incident = Incident.objects.create(
        category="curanmor", lat=lat, lon=lon, unit=cam_selatan.unit,
        occurred_from=timezone.now() - timedelta(hours=2),
    )  # fmt: skip
    client = Client()
    client.force_login(officer_selatan)
    page = client.get(f"/petugas/kejadian/{incident.pk}/").content.decode()
    assert 'id="cctv-coverage"' in page
    assert cam_selatan.name in page


def test_it_shows_covering_cameras_on_the_report_page(
    officer_selatan: Any, cam_selatan: Camera, make_report: Any
) -> None:
    lat, lon = east_of(cam_selatan, 40)
    report = make_report(lat=lat, lon=lon, occurred_from=timezone.now() - timedelta(hours=2))
    client = Client()
    client.force_login(officer_selatan)
    page = client.get(f"/petugas/laporan/{report.tracking_code}/").content.decode()
    assert 'id="cctv-coverage"' in page
    assert cam_selatan.name in page


def form_data(**overrides: Any) -> dict[str, Any]:
    lat, lon = point_in(SELATAN_KELURAHAN)
    data: dict[str, Any] = {
        "name": "kamera-baru", "owner_kind": "police", "owner_name": "", "lat": lat, "lon": lon,
        "bearing": 45, "fov_angle": 70, "fov_range_m": 80, "stream_url": "rtsp://u:p@10.1.1.1/s",
        "substream_url": "", "privacy_masks": "[[[0, 0], [100, 0], [100, 50]]]",
        "retention_days": 14, "width": 1280, "height": 720,
    }  # fmt: skip
    data["unit"] = Unit.objects.get(code="polsek-balikpapan-selatan").pk
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bearing", 361), ("bearing", -1), ("fov_angle", 0), ("fov_angle", 400),
        ("fov_range_m", 0), ("fov_range_m", -5), ("privacy_masks", "[[[0, 0], [1, 1]]]"),
        ("privacy_masks", "[[[0, 0], [10, 10], [10, 0], [0, 10]]]"),  # bow tie
        ("privacy_masks", "not json"),
        ("privacy_masks", "[[[0, 0], [2000, 0], [2000, 50]]]"),  # wider than 1280
        ("stream_url", "ftp://x/y"), ("lat", 0.0),
    ],
)  # fmt: skip
def test_it_rejects_invalid_camera_fields(db: Any, field: str, value: Any) -> None:
    form = CameraForm(data=form_data(**{field: value}))
    assert not form.is_valid()
    assert field in form.errors


def test_it_registers_a_camera_with_audit_and_without_credentials(db: Any) -> None:
    commander = make_user("kapolsek.selatan", roles.COMMANDER, "polsek-balikpapan-selatan")
    client = Client()
    client.force_login(commander)
    response = client.post("/petugas/cctv/kamera/baru/", form_data())
    assert response.status_code == 302
    camera = Camera.objects.get(name="kamera-baru")
    assert camera.stream_url == "rtsp://10.1.1.1/s"
    assert camera.kelurahan_code == SELATAN_KELURAHAN
    assert camera.privacy_masks == [[[0.0, 0.0], [100.0, 0.0], [100.0, 50.0]]]
    assert CctvEvent.objects.filter(camera=camera, action="created").exists()
    response = client.post(f"/petugas/cctv/kamera/{camera.pk}/ubah/", form_data(bearing=180))
    assert response.status_code == 302
    change = CctvEvent.objects.get(camera=camera, action="changed")
    assert change.detail == {"bearing": ["45.0", "180.0"]}
    assert AuditEvent.objects.filter(action="cctv_camera_changed", object_id=str(camera.pk))
    assert "u:p@" not in str(list(CctvEvent.objects.values_list("detail", flat=True)))


def test_it_answers_a_bad_camera_form_with_messages_not_errors(db: Any) -> None:
    commander = make_user("kapolsek.selatan", roles.COMMANDER, "polsek-balikpapan-selatan")
    client = Client()
    client.force_login(commander)
    response = client.post("/petugas/cctv/kamera/baru/", form_data(bearing="utara"))
    assert response.status_code == 400
    assert not Camera.objects.exists()


def test_it_lets_a_polsek_commander_assign_only_their_units(db: Any) -> None:
    commander = make_user("kapolsek.selatan", roles.COMMANDER, "polsek-balikpapan-selatan")
    client = Client()
    client.force_login(commander)
    other = Unit.objects.get(code="polsek-balikpapan-utara").pk
    response = client.post("/petugas/cctv/kamera/baru/", form_data(unit=other))
    assert response.status_code == 400
    assert not Camera.objects.exists()


def test_it_lets_desk_officers_view_but_not_register(officer_selatan: Any) -> None:
    client = Client()
    client.force_login(officer_selatan)
    assert client.get("/petugas/cctv/").status_code == 200
    assert client.post("/petugas/cctv/kamera/baru/", form_data()).status_code == 403


def test_it_renders_the_camera_pages_for_a_commander(db: Any, cam_selatan: Camera) -> None:
    commander = make_user("kapolsek.selatan", roles.COMMANDER, "polsek-balikpapan-selatan")
    client = Client()
    client.force_login(commander)
    detail = client.get(f"/petugas/cctv/kamera/{cam_selatan.pk}/")
    assert detail.status_code == 200 and "pasar-klandasan" in detail.content.decode()
    assert client.get(f"/petugas/cctv/kamera/{cam_selatan.pk}/ubah/").status_code == 200
    assert client.get("/petugas/cctv/kamera/baru/").status_code == 200
    geojson = client.get("/petugas/cctv/kamera.geojson").json()
    ring = geojson["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == [cam_selatan.lon, cam_selatan.lat]
