"""Worker event ingest (/api/v1/cctv/events, /status): API key, folding, idempotency, bad
payloads, snapshots kept private; the alert inbox actions with their audit rows."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings
from PIL import Image

from kamtibmas.accounts.models import ApiKey, AuditEvent
from kamtibmas.cctv.models import Alert, Camera, CctvEvent
from kamtibmas.incidents.models import Incident
from kamtibmas_cctv.events import Event
from tests.conftest import SELATAN_KELURAHAN, UTARA_KELURAHAN
from tests.test_cctv_registry import make_camera


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "blue").save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def media(tmp_path: Path) -> Any:
    with override_settings(MEDIA_ROOT=tmp_path):
        yield tmp_path


@pytest.fixture
def camera(db: Any) -> Camera:
    return make_camera("pasar-klandasan", SELATAN_KELURAHAN, "polsek-balikpapan-selatan")


@pytest.fixture
def worker_key(officer_selatan: Any) -> str:
    return ApiKey.issue(officer_selatan, "cctv worker", scope="read_write")[1]


def event(type_: str = "new", **extra: Any) -> Event:
    values: dict[str, Any] = {
        "type": type_, "id": "pasar-klandasan-7-loitering-12.0", "camera": "pasar-klandasan",
        "zone": "parking", "rule": "loitering", "track_id": 7, "start_s": 12.0, "end_s": None,
        "box": (10, 20, 50, 120), "start_time": 1_790_000_000.0, "label": "person",
    }  # fmt: skip
    values.update(extra)
    return Event(**values)


def post(key: str | None, body: Any, path: str = "/api/v1/cctv/events") -> Any:
    headers = {"HTTP_X_API_KEY": key} if key else {}
    data = body if isinstance(body, str) else json.dumps(body)
    return Client().post(path, data=data, content_type="application/json", **headers)


def test_it_requires_an_api_key(camera: Camera) -> None:
    assert post(None, event().to_dict()).status_code == 401
    assert post("kmt_nope_nothing", event().to_dict()).status_code == 401
    assert not Alert.objects.exists()


def test_it_refuses_a_read_only_key(camera: Camera, officer_selatan: Any) -> None:
    key = ApiKey.issue(officer_selatan, "read only")[1]
    response = post(key, event().to_dict())
    assert response.status_code == 403
    assert response.json()["code"] == "read_only_key"


def test_it_folds_new_update_end_into_one_alert(
    camera: Camera, worker_key: str, media: Path
) -> None:
    first = post(worker_key, event().to_dict())
    assert first.status_code == 201
    snap = base64.b64encode(jpeg_bytes()).decode()
    update = {**event("update", end_s=20.0, box=(12, 22, 52, 122)).to_dict(), "snapshot_jpeg": snap}
    assert post(worker_key, update).status_code == 200
    end = event("end", end_s=31.5, end_time=1_790_000_019.5, box=None).to_dict()
    assert post(worker_key, end).status_code == 200
    alert = Alert.objects.get()
    assert (alert.rule, alert.zone, alert.track_id, alert.label) == ("loitering", "parking", 7,
                                                                    "person")  # fmt: skip
    assert alert.box == [12, 22, 52, 122]
    assert (alert.start_s, alert.end_s, alert.updates) == (12.0, 31.5, 1)
    assert alert.ended_at is not None and alert.ended_at.timestamp() == 1_790_000_019.5
    assert alert.started_at.timestamp() == 1_790_000_000.0
    assert alert.state == Alert.State.NEW
    assert (media / alert.snapshot).read_bytes() == jpeg_bytes()
    assert alert.snapshot.startswith("cctv/pasar-klandasan/")


def test_it_never_duplicates_a_retried_delivery(camera: Camera, worker_key: str) -> None:
    update = event("update", end_s=20.0).to_dict()
    for body in (event().to_dict(), event().to_dict(), update, update):
        assert post(worker_key, body).status_code in (200, 201)
    retry = post(worker_key, update).json()
    assert retry["duplicate"] is True and retry["created"] is False
    alert = Alert.objects.get()
    assert alert.updates == 1
    assert CctvEvent.objects.filter(action="alert_new").count() == 1


def test_it_accepts_an_end_before_its_new(camera: Camera, worker_key: str) -> None:
    assert post(worker_key, event("end", end_s=30.0).to_dict()).status_code == 201
    assert post(worker_key, event().to_dict()).status_code == 200
    alert = Alert.objects.get()
    assert alert.ended_at is not None and alert.end_s == 30.0


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[]",
        {"type": "new"},
        {**event().to_dict(), "type": "begin"},
        {**event().to_dict(), "box": [1, 2, 3]},
        {**event().to_dict(), "start_s": "soon"},
        {**event().to_dict(), "snapshot_jpeg": "***"},
        {**event().to_dict(), "snapshot_jpeg": base64.b64encode(b"GIF89a").decode()},
        {**event().to_dict(), "start_time": 1e30},
        {**event().to_dict(), "id": ""},
        {**event().to_dict(), "rule": "x" * 21},
    ],
)
def test_it_answers_bad_payloads_with_a_message(camera: Camera, worker_key: str, body: Any) -> None:
    response = post(worker_key, body)
    assert response.status_code in (400, 422), response.content
    assert response.json()["message"]
    assert not Alert.objects.exists()


def test_it_answers_an_unknown_or_foreign_camera_with_404(worker_key: str, db: Any) -> None:
    make_camera("simpang-rapak", UTARA_KELURAHAN, "polsek-balikpapan-utara")
    foreign = event(camera="simpang-rapak", id="x-1").to_dict()
    assert post(worker_key, foreign).status_code == 404
    assert post(worker_key, event(camera="nowhere").to_dict()).status_code == 404


def test_it_records_worker_heartbeats(camera: Camera, worker_key: str) -> None:
    body = {"camera": camera.name, "online": True, "last_frame_at": "2026-11-29T02:00:00Z",
            "measured_fps": 12.5}  # fmt: skip
    assert post(worker_key, body, "/api/v1/cctv/status").status_code == 200
    assert post(worker_key, body, "/api/v1/cctv/status").status_code == 200
    camera.refresh_from_db()
    assert camera.online and camera.measured_fps == 12.5
    assert camera.last_frame_at is not None and camera.last_frame_at.hour == 2
    assert [e.action for e in CctvEvent.objects.filter(camera=camera)] == ["online"]
    bad = {**body, "measured_fps": -3}
    assert post(worker_key, bad, "/api/v1/cctv/status").status_code == 400


def test_it_serves_snapshots_only_to_staff_who_see_the_camera(
    camera: Camera, worker_key: str, media: Path, officer_utara: Any, officer_selatan: Any
) -> None:
    body = {**event().to_dict(), "snapshot_jpeg": base64.b64encode(jpeg_bytes()).decode()}
    post(worker_key, body)
    alert = Alert.objects.get()
    client = Client()
    client.force_login(officer_selatan)
    response = client.get(f"/petugas/cctv/peringatan/{alert.pk}/foto.jpg")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == jpeg_bytes()
    client.force_login(officer_utara)
    assert client.get(f"/petugas/cctv/peringatan/{alert.pk}/foto.jpg").status_code == 404
    assert Client().get(f"/media/{alert.snapshot}").status_code == 404


def test_it_acknowledges_dismisses_and_links_alerts_with_audit(
    camera: Camera, worker_key: str, officer_selatan: Any, make_report: Any
) -> None:
    post(worker_key, event().to_dict())
    alert = Alert.objects.get()
    client = Client()
    client.force_login(officer_selatan)
    base = f"/petugas/cctv/peringatan/{alert.pk}/aksi"
    assert client.post(f"{base}/acknowledge/").status_code == 302
    alert.refresh_from_db()
    assert alert.state == Alert.State.ACKNOWLEDGED
    report = make_report()
    client.post(f"{base}/link/", {"target": report.tracking_code.lower()})
    alert.refresh_from_db()
    assert (alert.state, alert.report) == (Alert.State.LINKED, report)
    incident = Incident.objects.create(category="curanmor", unit=camera.unit)
    client.post(f"{base}/link/", {"target": str(incident.pk)})
    alert.refresh_from_db()
    assert alert.incident == incident and alert.report is None
    client.post(f"{base}/link/", {"target": "NOPE"})
    alert.refresh_from_db()
    assert alert.incident == incident  # unchanged, with a message
    client.post(f"{base}/dismiss/")
    alert.refresh_from_db()
    assert alert.state == Alert.State.DISMISSED
    assert client.post(f"{base}/explode/").status_code == 302
    actions = list(CctvEvent.objects.filter(alert=alert).values_list("action", flat=True))
    assert actions == ["alert_new", "acknowledge", "link", "link", "dismiss"]
    assert AuditEvent.objects.filter(action__startswith="cctv_alert_").count() == 4


def test_it_scopes_the_alert_inbox(camera: Camera, worker_key: str, officer_utara: Any,
                                   officer_selatan: Any) -> None:  # fmt: skip
    post(worker_key, event().to_dict())
    alert = Alert.objects.get()
    client = Client()
    client.force_login(officer_utara)
    assert client.get(f"/petugas/cctv/peringatan/{alert.pk}/").status_code == 404
    assert "loitering" not in client.get("/petugas/cctv/peringatan/").content.decode()
    client.force_login(officer_selatan)
    assert "loitering" in client.get("/petugas/cctv/peringatan/").content.decode()
    assert (
        "loitering" not in client.get("/petugas/cctv/peringatan/?state=dismissed").content.decode()
    )


def test_it_takes_the_workers_delivery_shape_and_dedupes_on_delivery_id(
    camera: Camera, worker_key: str
) -> None:
    """docs/cctv.md "Event delivery": Bearer key, Idempotency-Key = delivery_id, extra fields."""

    def deliver(body: dict[str, Any], delivery_id: str) -> Any:
        return Client().post(
            "/api/v1/cctv/events",
            data=json.dumps({**body, "delivery_id": delivery_id, "added_later": 1}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {worker_key}",
            HTTP_IDEMPOTENCY_KEY=delivery_id,
        )

    assert deliver(event().to_dict(), "a" * 32).status_code == 201
    same_content = event("update", end_s=14.0).to_dict()
    assert deliver(same_content, "b" * 32).json()["duplicate"] is False
    assert deliver(same_content, "b" * 32).json()["duplicate"] is True  # a retry
    assert deliver(same_content, "c" * 32).json()["duplicate"] is False  # a second update
    assert Alert.objects.get().updates == 2


def test_it_renders_the_alert_page_with_snapshot_and_actions(
    camera: Camera, worker_key: str, media: Path, officer_selatan: Any
) -> None:
    post(
        worker_key, {**event().to_dict(), "snapshot_jpeg": base64.b64encode(jpeg_bytes()).decode()}
    )
    alert = Alert.objects.get()
    client = Client()
    client.force_login(officer_selatan)
    page = client.get(f"/petugas/cctv/peringatan/{alert.pk}/").content.decode()
    assert f"/petugas/cctv/peringatan/{alert.pk}/foto.jpg" in page
    assert f"/petugas/cctv/peringatan/{alert.pk}/aksi/dismiss/" in page
