"""Zones and privacy masks drawn on a camera's picture: validation that agrees with the worker,
the editor's permissions and save round trip (input kept on error, audited), the camera's
still (worker heartbeat thumbnail or an uploaded screenshot, staff only), and the worker's
cctv.yaml, which the worker's own parser accepts and which holds no credential."""

from __future__ import annotations

import base64
import doctest
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from django.test import Client, override_settings
from django.utils import translation
from PIL import Image

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import ApiKey, AuditEvent
from kamtibmas.cctv import worker_config, zones
from kamtibmas.cctv.forms import CameraForm
from kamtibmas.cctv.models import Alert, Camera, CctvEvent
from kamtibmas.cctv.views_zones import default_frame
from kamtibmas_cctv import cli as worker_cli
from kamtibmas_cctv.config import ConfigError, Zone, load_config, parse_config
from kamtibmas_cctv.status import CameraStatus
from tests.conftest import SELATAN_KELURAHAN, UTARA_KELURAHAN, make_user, png_bytes
from tests.test_cctv_registry import make_camera

PARKING = {
    "name": "parkir",
    "polygon": [[100, 400], [600, 400], [600, 700], [100, 700]],
    "rules": [{"kind": "loitering", "seconds": 30}],
}


def jpeg_bytes(size: tuple[int, int] = (64, 36)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "green").save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def media(tmp_path: Path) -> Any:
    with override_settings(MEDIA_ROOT=tmp_path):
        yield tmp_path


@pytest.fixture
def camera(db: Any) -> Camera:
    return make_camera(
        "pasar-klandasan", SELATAN_KELURAHAN, "polsek-balikpapan-selatan",
        width=1280, height=720, fps=5.0, stream_url="rtsp://10.0.0.5:554/stream1",
    )  # fmt: skip


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def drawing(zone_list: Any = None, masks: Any = None, **extra: Any) -> dict[str, Any]:
    data = {
        "action": "save",
        "width": "1280",
        "height": "720",
        "zones": json.dumps([PARKING] if zone_list is None else zone_list),
        "privacy_masks": json.dumps([[[0, 0], [200, 0], [200, 80]]] if masks is None else masks),
    }
    data.update(extra)
    return data


# ---- validation --------------------------------------------------------------------------


def test_a_valid_zone_comes_back_in_the_workers_shape() -> None:
    cleaned, errors = zones.clean_zones(
        [{**PARKING, "rules": [
            {"kind": "loitering", "seconds": 30},
            {"kind": "intrusion", "hours": "22:00-05:00", "min_seconds": 0.5},
            {"kind": "crowd", "min_objects": 8},
        ]}], 1280, 720,
    )  # fmt: skip
    assert errors == []
    assert cleaned[0]["polygon"][2] == [600.0, 700.0]
    assert cleaned[0]["rules"] == [
        {"kind": "loitering", "seconds": 30.0},
        {"kind": "intrusion", "hours": "22:00-05:00", "min_seconds": 0.5},
        {"kind": "crowd", "min_objects": 8},
    ]
    assert Zone.model_validate(cleaned[0]).rules[2].min_objects == 8


def _zone(**changes: Any) -> dict[str, Any]:
    return {**PARKING, **changes}


BAD_ZONES = [
    ("two points", [_zone(polygon=[[0, 0], [10, 10]])], "at least three points"),
    ("crossing", [_zone(polygon=[[0, 0], [100, 100], [100, 0], [0, 100]])], "crosses itself"),
    ("outside", [_zone(polygon=[[0, 0], [1300, 0], [0, 100]])], "outside the 1280×720 frame"),
    ("negative", [_zone(polygon=[[-1, 0], [100, 0], [0, 100]])], "outside the 1280×720 frame"),
    ("too many", [_zone(polygon=[[i, i % 2] for i in range(51)])], "at most 50 points"),
    ("not numbers", [_zone(polygon=[["a", 0], [100, 0], [0, 100]])], "each point is [x, y]"),
    ("unknown rule", [_zone(rules=[{"kind": "running"}])], "unknown rule “running”"),
    ("unknown field", [_zone(rules=[{"kind": "crowd", "min_objects": 2, "colour": 1}])],
     "unknown field colour"),
    ("zero seconds", [_zone(rules=[{"kind": "loitering", "seconds": 0}])], "seconds above 0"),
    ("text seconds", [_zone(rules=[{"kind": "loitering", "seconds": "lama"}])], "seconds above 0"),
    ("bad hours", [_zone(rules=[{"kind": "intrusion", "hours": "25:00-05:00"}])], "22:00-05:00"),
    ("crowd of half", [_zone(rules=[{"kind": "crowd", "min_objects": 1.5}])], "whole number"),
    ("twice", [_zone(rules=[{"kind": "crowd", "min_objects": 2}] * 2)], "at most once"),
    ("no name", [_zone(name="  ")], "give a name"),
    ("same names", [PARKING, PARKING], "Two zones are named “parkir”"),
    ("not a list", {"name": "x"}, "must be a list"),
    ("too many zones", [_zone(name=f"z{i}") for i in range(21)], "At most 20 zones"),
]  # fmt: skip


@pytest.mark.parametrize("raw,message", [b[1:] for b in BAD_ZONES], ids=[b[0] for b in BAD_ZONES])
def test_it_refuses_bad_zones_with_a_message(raw: Any, message: str) -> None:
    with translation.override("en"):
        cleaned, errors = zones.clean_zones(raw, 1280, 720)
    assert cleaned == []
    assert any(message in error for error in errors), errors


def test_its_messages_are_in_indonesian() -> None:
    _cleaned, errors = zones.clean_zones([_zone(rules=[{"kind": "running"}])], 1280, 720)
    assert errors == [
        "Zona “parkir”: aturan “running” tidak dikenal (loitering, intrusion atau crowd)."
    ]


AGREEMENT_EXAMPLES = [
    PARKING,
    _zone(rules=[]),
    _zone(rules=[{"kind": "intrusion"}]),
    _zone(rules=[{"kind": "intrusion", "hours": "22:00-05:00", "rearm_seconds": 0}]),
    _zone(rules=[{"kind": "intrusion", "hours": "7-9"}]),
    _zone(rules=[{"kind": "intrusion", "min_seconds": -1}]),
    _zone(rules=[{"kind": "loitering", "seconds": -5}]),
    _zone(rules=[{"kind": "loitering"}]),
    _zone(rules=[{"kind": "crowd", "min_objects": 0}]),
    _zone(rules=[{"kind": "crowd", "min_objects": 3}]),
    _zone(rules=[{"kind": "tamper"}]),
    _zone(rules=[{"kind": "loitering", "seconds": 3, "extra": 1}]),
    _zone(polygon=[[0, 0], [10, 0]]),
    _zone(name=""),
    {"name": "z", "polygon": [[0, 0], [10, 0], [10, 10]], "colour": "red"},
]


@pytest.mark.parametrize("example", AGREEMENT_EXAMPLES)
def test_it_agrees_with_the_worker_on_what_a_zone_is(example: dict[str, Any]) -> None:
    _cleaned, errors = zones.clean_zones([example], 1280, 720)
    try:
        parse_config({"cameras": [{"name": "c", "url": "x.avi", "zones": [example]}]})
        worker_accepts = True
    except ConfigError:
        worker_accepts = False
    assert (errors == []) is worker_accepts, errors


def test_it_checks_masks_and_the_frame_size() -> None:
    with translation.override("en"):
        masks, errors = zones.clean_masks([[[0, 0], [2000, 0], [0, 10]]], 1280, 720)
        assert masks == [] and "Privacy mask 1" in errors[0]
        assert zones.clean_masks("x", 1280, 720)[1] == ["The privacy masks must be a list."]
        assert zones.clean_frame("1280", "720") == ((1280, 720), [])
        assert zones.clean_frame("lebar", "720")[0] is None
        assert zones.clean_frame("8", "720")[1] == [
            "The frame size is 16 to 10000 pixels on each side."
        ]


def test_docstring_examples_run() -> None:
    assert doctest.testmod(zones).failed == 0
    assert doctest.testmod(worker_config).failed == 0


# ---- the editor ---------------------------------------------------------------------------


def test_only_commanders_who_see_the_camera_open_the_editor(
    camera: Camera, commander_polres: Any, officer_selatan: Any, resident: Any, db: Any
) -> None:
    url = f"/petugas/cctv/kamera/{camera.pk}/zona/"
    kapolsek_utara = make_user("kapolsek.utara", roles.COMMANDER, "polsek-balikpapan-utara")
    kapolsek_selatan = make_user("kapolsek.selatan", roles.COMMANDER, "polsek-balikpapan-selatan")
    assert logged_in(commander_polres).get(url).status_code == 200
    assert logged_in(kapolsek_selatan).get(url).status_code == 200
    assert logged_in(kapolsek_utara).get(url).status_code == 404  # cannot see it
    assert logged_in(officer_selatan).get(url).status_code == 403  # sees it, may not edit
    assert logged_in(officer_selatan).post(url, drawing()).status_code == 403
    assert logged_in(resident).get(url).status_code == 403
    assert Client().get(url).status_code == 302
    camera.refresh_from_db()
    assert camera.zones == []


def test_a_saved_drawing_comes_back_in_the_editor_and_is_audited(
    camera: Camera, commander_polres: Any
) -> None:
    client = logged_in(commander_polres)
    url = f"/petugas/cctv/kamera/{camera.pk}/zona/"
    response = client.post(url, drawing())
    assert response.status_code == 302
    camera.refresh_from_db()
    assert camera.zones == [
        {
            "name": "parkir",
            "polygon": [[100.0, 400.0], [600.0, 400.0], [600.0, 700.0], [100.0, 700.0]],
            "rules": [{"kind": "loitering", "seconds": 30.0}],
        }
    ]
    assert camera.privacy_masks == [[[0.0, 0.0], [200.0, 0.0], [200.0, 80.0]]]
    page = client.get(url).content.decode()
    assert "parkir" in page and "[[0.0, 0.0], [200.0, 0.0], [200.0, 80.0]]" in page
    event = CctvEvent.objects.get(camera=camera, action="zones_changed")
    assert event.actor == commander_polres
    assert event.detail == {"zones": ["parkir"], "masks": 1, "frame": "1280x720"}
    audit_row = AuditEvent.objects.get(action="cctv_camera_zones_changed")
    assert audit_row.object_id == str(camera.pk) and audit_row.actor == commander_polres
    assert client.post(url, drawing()).status_code == 302  # the same again changes nothing
    assert CctvEvent.objects.filter(camera=camera, action="zones_changed").count() == 1


def test_a_bad_drawing_is_refused_with_messages_and_kept(
    camera: Camera, commander_polres: Any
) -> None:
    client = logged_in(commander_polres)
    url = f"/petugas/cctv/kamera/{camera.pk}/zona/"
    outside = [_zone(name="gerbang", polygon=[[0, 0], [1500, 0], [0, 100]])]
    response = client.post(url, drawing(outside))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Tidak ada yang disimpan" in page
    assert "Zona “gerbang”: titik (1500, 0) berada di luar bingkai 1280×720." in page
    assert "1500" in page and "gerbang" in page  # what was drawn is still in the form
    response = client.post(url, drawing(masks="[[[0, 0], [1, 1]"))
    assert response.status_code == 400
    assert "bukan JSON yang sah" in response.content.decode()
    assert "[[[0, 0], [1, 1]" in response.content.decode()
    response = client.post(url, drawing(width="lebar"))
    assert response.status_code == 400
    camera.refresh_from_db()
    assert camera.zones == [] and camera.privacy_masks == []
    assert not CctvEvent.objects.filter(action="zones_changed").exists()


def test_the_camera_form_refuses_a_frame_smaller_than_the_zones(
    camera: Camera, commander_polres: Any
) -> None:
    camera.zones = [PARKING]
    camera.save()
    data = {
        "name": camera.name, "owner_kind": "police", "unit": camera.unit_id, "lat": camera.lat,
        "lon": camera.lon, "bearing": 90, "fov_angle": 60, "fov_range_m": 100, "width": 640,
        "height": 360, "retention_days": 30, "privacy_masks": "[]",
    }  # fmt: skip
    form = CameraForm(data, instance=camera)
    assert not form.is_valid()
    assert "width" in form.errors
    form = CameraForm({**data, "width": 1280, "height": 720}, instance=camera)
    assert form.is_valid(), form.errors


# ---- the picture --------------------------------------------------------------------------


def test_without_a_picture_the_editor_draws_on_a_grid(
    camera: Camera, commander_polres: Any
) -> None:
    page = logged_in(commander_polres).get(f"/petugas/cctv/kamera/{camera.pk}/zona/").content
    assert b'viewBox="0 0 1280 720"' in page and b"zone-grid" in page
    assert b"<img" not in page.split(b'id="zone-stage"')[1].split(b"</svg>")[0]


def test_the_latest_alert_snapshot_is_the_fallback_picture(
    camera: Camera, commander_polres: Any, media: Path
) -> None:
    relative = "cctv/pasar-klandasan/1-0.jpg"
    (media / relative).parent.mkdir(parents=True)
    (media / relative).write_bytes(jpeg_bytes((320, 180)))
    alert = Alert.objects.create(
        camera=camera, event_id="e1", rule="loitering", started_at="2026-11-28T10:00:00+08:00",
        snapshot=relative, snapshot_at="2026-11-28T10:00:05+08:00",
    )  # fmt: skip
    page = logged_in(commander_polres).get(f"/petugas/cctv/kamera/{camera.pk}/zona/")
    assert f"/petugas/cctv/peringatan/{alert.pk}/foto.jpg".encode() in page.content
    camera.width = camera.height = None
    camera.save()
    assert default_frame(camera) == (320, 180)  # no resolution registered: the picture's


def test_an_uploaded_screenshot_becomes_the_still_for_staff_only(
    camera: Camera, commander_polres: Any, officer_selatan: Any, officer_utara: Any,
    resident: Any, media: Path,
) -> None:  # fmt: skip
    camera.width = camera.height = None
    camera.save()
    client = logged_in(commander_polres)
    url = f"/petugas/cctv/kamera/{camera.pk}/zona/"
    screenshot = io.BytesIO(png_bytes((1600, 900)))
    screenshot.name = "layar.png"
    response = client.post(url, {**drawing([]), "action": "upload", "picture": screenshot})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="width" inputmode="numeric" value="1600"' in page  # the screenshot's size
    camera.refresh_from_db()
    assert camera.still == "cctv/pasar-klandasan/still.jpg"
    with Image.open(media / camera.still) as still:
        assert still.format == "JPEG" and still.width == 1280  # kept small
    still_url = f"/petugas/cctv/kamera/{camera.pk}/gambar.jpg"
    assert still_url in client.get(url).content.decode()
    answer = logged_in(officer_selatan).get(still_url)
    assert answer.status_code == 200 and answer["Cache-Control"] == "private, no-store"
    assert logged_in(officer_utara).get(still_url).status_code == 404
    assert logged_in(resident).get(still_url).status_code == 403
    assert Client().get(still_url).status_code == 302
    assert AuditEvent.objects.filter(action="cctv_camera_still_uploaded").count() == 1


def test_a_file_that_is_no_picture_is_refused_and_the_drawing_kept(
    camera: Camera, commander_polres: Any, media: Path
) -> None:
    upload = io.BytesIO(b"not an image at all")
    upload.name = "catatan.txt"
    response = logged_in(commander_polres).post(
        f"/petugas/cctv/kamera/{camera.pk}/zona/",
        {**drawing([_zone(name="gerbang-belakang")]), "action": "upload", "picture": upload},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "bukan foto" in page and "gerbang-belakang" in page
    camera.refresh_from_db()
    assert camera.still == "" and camera.zones == []


def test_a_worker_heartbeat_thumbnail_becomes_the_still(
    camera: Camera, officer_selatan: Any, officer_utara: Any, media: Path
) -> None:
    camera.width = camera.height = None
    camera.save()
    key = ApiKey.issue(officer_selatan, "cctv worker", scope="read_write")[1]
    body = {
        "camera": camera.name, "online": True, "measured_fps": 5.0,
        "thumbnail_jpeg": base64.b64encode(jpeg_bytes((640, 360))).decode(),
        "frame_width": 1920, "frame_height": 1080,
    }  # fmt: skip
    response = Client().post(
        "/api/v1/cctv/status", json.dumps(body), content_type="application/json",
        HTTP_X_API_KEY=key,
    )  # fmt: skip
    assert response.status_code == 200, response.content
    camera.refresh_from_db()
    assert camera.still and camera.online and (camera.width, camera.height) == (1920, 1080)
    still_url = f"/petugas/cctv/kamera/{camera.pk}/gambar.jpg"
    assert logged_in(officer_selatan).get(still_url).status_code == 200
    assert logged_in(officer_utara).get(still_url).status_code == 404
    bad = {**body, "thumbnail_jpeg": base64.b64encode(b"GIF89a....").decode()}
    response = Client().post(
        "/api/v1/cctv/status", json.dumps(bad), content_type="application/json",
        HTTP_X_API_KEY=key,
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "thumbnail_jpeg" in response.json()["fields"]


# ---- the worker's configuration -----------------------------------------------------------


def _parsed(text: str, monkeypatch: Any, names: list[str]) -> Any:
    monkeypatch.setenv("KAMTIBMAS_API_KEY", "kmt_from_the_environment")
    for name in names:
        monkeypatch.setenv(worker_config.env_name(name), f"rtsp://viewer:pw@10.0.0.5/{name}")
    return parse_config(yaml.safe_load(text))


def test_the_worker_yaml_is_accepted_by_the_worker_and_has_no_credentials(
    camera: Camera, commander_polres: Any, officer_selatan: Any, monkeypatch: Any,
    tmp_path: Path,
) -> None:  # fmt: skip
    camera.zones, camera.privacy_masks = [PARKING], [[[0, 0], [200, 0], [200, 80]]]
    camera.stream_url = "rtsp://admin:rahasia-sekali@10.0.0.5:554/stream1"
    camera.save()  # the registry strips the password
    key = ApiKey.issue(commander_polres, "worker", scope="read_write")[1]
    url = f"/petugas/cctv/kamera/{camera.pk}/cctv.yaml"
    response = logged_in(commander_polres).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="cctv.yaml"'
    text = response.content.decode()
    assert "rahasia" not in text and "admin" not in text and key not in text
    assert "rtsp://10.0.0.5:554/stream1" in text  # named in a comment
    assert "url: ${CAM_PASAR_KLANDASAN_URL}" in text and "${KAMTIBMAS_API_KEY}" in text
    assert "# mqtt:" in text
    config = _parsed(text, monkeypatch, [camera.name])
    worker_camera = config.camera("pasar-klandasan")
    assert worker_camera.url == "rtsp://viewer:pw@10.0.0.5/pasar-klandasan"
    assert worker_camera.fps == 5.0
    assert [list(p) for p in worker_camera.zones[0].polygon] == PARKING["polygon"]
    assert worker_camera.zones[0].rules[0].seconds == 30.0
    assert [list(p) for p in worker_camera.privacy_masks[0]] == [[0, 0], [200, 0], [200, 80]]
    assert config.server is not None and config.server.api_key == "kmt_from_the_environment"
    assert config.mqtt is None
    path = tmp_path / "cctv.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_config(path).cameras[0].name == "pasar-klandasan"
    assert worker_cli.main(["run", "--config", str(path), "--check-config"]) == 0
    assert AuditEvent.objects.filter(action="cctv_worker_config").count() == 1
    assert logged_in(officer_selatan).get(url).status_code == 403


def test_the_worker_yaml_of_all_my_cameras(
    camera: Camera, commander_polres: Any, officer_selatan: Any, monkeypatch: Any, db: Any
) -> None:
    make_camera("simpang-rapak", UTARA_KELURAHAN, "polsek-balikpapan-utara")
    make_camera("toko-mati", UTARA_KELURAHAN, "polsek-balikpapan-utara", is_active=False)
    kapolsek = make_user("kapolsek.selatan", roles.COMMANDER, "polsek-balikpapan-selatan")
    text = logged_in(commander_polres).get("/petugas/cctv/cctv.yaml").content.decode()
    config = _parsed(text, monkeypatch, ["pasar-klandasan", "simpang-rapak"])
    assert [c.name for c in config.cameras] == ["pasar-klandasan", "simpang-rapak"]
    own = logged_in(kapolsek).get("/petugas/cctv/cctv.yaml").content.decode()
    assert "pasar-klandasan" in own and "simpang-rapak" not in own
    assert logged_in(officer_selatan).get("/petugas/cctv/cctv.yaml").status_code == 403
    list_page = logged_in(commander_polres).get("/petugas/cctv/").content.decode()
    assert "/petugas/cctv/cctv.yaml" in list_page


def test_the_camera_page_links_the_editor_and_the_download(
    camera: Camera, commander_polres: Any, officer_selatan: Any
) -> None:
    page = logged_in(commander_polres).get(f"/petugas/cctv/kamera/{camera.pk}/").content.decode()
    assert f"/petugas/cctv/kamera/{camera.pk}/zona/" in page
    assert f"/petugas/cctv/kamera/{camera.pk}/cctv.yaml" in page
    assert "/akun/kunci-api/" in page and "kamtibmas-cctv run --config cctv.yaml" in page
    assert "CAM_PASAR_KLANDASAN_URL" in page
    desk = logged_in(officer_selatan).get(f"/petugas/cctv/kamera/{camera.pk}/").content.decode()
    assert "/zona/" not in desk and "cctv.yaml" not in desk


def test_the_workers_own_heartbeat_with_a_thumbnail_is_accepted(
    camera: Camera, officer_selatan: Any, media: Path
) -> None:
    """The contract between kamtibmas_cctv.status and /api/v1/cctv/status, end to end."""
    status = CameraStatus(camera.name, masks=[[[0, 0], [100, 0], [100, 100]]])
    status.frame(1_790_000_000.0, np.full((720, 1280, 3), 200, dtype=np.uint8))
    key = ApiKey.issue(officer_selatan, "cctv worker", scope="read_write")[1]
    response = Client().post(
        "/api/v1/cctv/status", json.dumps(status.report(now=1_790_000_001.0)),
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    camera.refresh_from_db()
    with Image.open(media / camera.still) as still:
        assert still.size == (640, 360)


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_a_zone_drawn_in_the_editor_gives_a_loitering_alert_from_the_worker(
    live_server: Any, live_reference: None, tmp_path: Path, monkeypatch: Any
) -> None:
    """The issue's closing path: register, draw a zone (and a mask) in the editor, download
    cctv.yaml, point the worker at a stream, get a loitering alert with a masked snapshot."""
    from kamtibmas_cctv import cli
    from tests.cctv.test_worker_rules import stay
    from tests.cctv.worker_videos import write_video

    commander = make_user("kapolsek.selatan", roles.COMMANDER, "polsek-balikpapan-selatan")
    camera = make_camera(
        "meja-depan", SELATAN_KELURAHAN, "polsek-balikpapan-selatan", width=320, height=240
    )
    client = logged_in(commander)
    table = {"name": "meja", "polygon": [[160, 0], [320, 0], [320, 240], [160, 240]],
             "rules": [{"kind": "loitering", "seconds": 3}]}  # fmt: skip
    mask = [[0, 0], [60, 0], [60, 40], [0, 40]]
    posted = drawing([table], [mask], width="320", height="240")
    assert client.post(f"/petugas/cctv/kamera/{camera.pk}/zona/", posted).status_code == 302
    with override_settings(PUBLIC_BASE_URL=live_server.url, MEDIA_ROOT=tmp_path / "media"):
        text = client.get(f"/petugas/cctv/kamera/{camera.pk}/cctv.yaml").content.decode()
        config_path = tmp_path / "cctv.yaml"
        config_path.write_text(text, encoding="utf-8")
        video = write_video(tmp_path / "stay.avi", 12, stay(1.0, 10.0))
        key = ApiKey.issue(commander, "cctv worker", scope="read_write")[1]
        monkeypatch.setenv("KAMTIBMAS_API_KEY", key)
        monkeypatch.setenv("CAM_MEJA_DEPAN_URL", str(video))
        outbox = str(tmp_path / "outbox.sqlite3")
        assert cli.main(["run", "--config", str(config_path), "--buffer", outbox,
                         "--out", str(tmp_path / "events.jsonl")]) == 0  # fmt: skip
        alert = Alert.objects.get(camera=camera, rule="loitering")
        assert alert.zone == "meja" and alert.snapshot
        still = Camera.objects.get(pk=camera.pk).still  # the worker's heartbeat thumbnail
        assert still, "the running worker sends a masked thumbnail for the zone editor"
        with Image.open(tmp_path / "media" / still) as thumbnail:
            assert np.asarray(thumbnail.convert("L"))[2:38, 2:58].max() < 40
        with Image.open(tmp_path / "media" / alert.snapshot) as snapshot:
            pixels = np.asarray(snapshot.convert("L"))
    assert pixels[2:38, 2:58].max() < 40  # the privacy mask drawn in the editor is black
    assert pixels[100:200, 100:150].mean() > 60  # the rest of the picture is there


def test_the_demo_cameras_have_zones_masks_and_a_still_and_load_once(
    db: Any, media: Path, commander_polres: Any, monkeypatch: Any
) -> None:
    from kamtibmas.cctv.demo import CAMERAS, load_demo_cameras

    assert load_demo_cameras(seed=5) == CAMERAS
    assert load_demo_cameras(seed=5) == 0  # a second call adds nothing
    cameras = list(Camera.objects.filter(name__startswith="demo-cctv-"))
    assert len(cameras) == CAMERAS
    first = {c.name: (c.unit_id, c.zones, c.privacy_masks, c.bearing) for c in cameras}
    for camera in cameras:
        assert zones.clean_zones(camera.zones, camera.width, camera.height)[1] == []
        assert (media / camera.still).is_file()
    Camera.objects.filter(name__startswith="demo-cctv-").delete()
    load_demo_cameras(seed=5)
    again = {c.name: (c.unit_id, c.zones, c.privacy_masks, c.bearing)
             for c in Camera.objects.filter(name__startswith="demo-cctv-")}  # fmt: skip
    assert again == first  # the same seed gives the same cameras
    text = logged_in(commander_polres).get("/petugas/cctv/cctv.yaml").content.decode()
    names = [c.name for c in cameras]
    assert len(_parsed(text, monkeypatch, names).cameras) == CAMERAS
