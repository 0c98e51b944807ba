"""Admin for the CCTV models: cameras editable with the registry's checks and audit rows,
alerts and the append-only camera log read-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import AuditEvent
from kamtibmas.cctv.models import Alert, Camera, CctvEvent
from tests.conftest import SELATAN_KELURAHAN, make_user
from tests.test_cctv_registry import form_data, make_camera

BASE = "/admin/cctv"


@pytest.fixture
def admin_client(db: Any) -> Client:
    root = make_user("root", roles.ADMIN, "polres-balikpapan", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    return client


@pytest.fixture
def camera(db: Any) -> Camera:
    return make_camera("pasar-klandasan", SELATAN_KELURAHAN, "polsek-balikpapan-selatan")


@pytest.fixture
def alert(camera: Camera) -> Alert:
    from django.utils import timezone

    return Alert.objects.create(camera=camera, event_id="pasar-klandasan-e1", rule="intrusion",
                                started_at=timezone.now())  # fmt: skip


def admin_form(**overrides: Any) -> dict[str, Any]:
    data = form_data(**overrides)
    return {k: ("" if v is None else v) for k, v in data.items()}


def test_the_admin_lists_cameras_alerts_and_the_camera_log(admin_client, camera, alert):
    CctvEvent.objects.create(camera=camera, action="created")
    for model in ("camera", "alert", "cctvevent"):
        page = admin_client.get(f"{BASE}/{model}/")
        assert page.status_code == 200, model
    assert "pasar-klandasan" in admin_client.get(f"{BASE}/camera/").content.decode()


def test_a_camera_added_in_the_admin_is_checked_stripped_and_audited(admin_client):
    bad = admin_client.post(f"{BASE}/camera/add/", admin_form(bearing=400))
    assert bad.status_code == 200 and not Camera.objects.exists()  # the form again
    assert "400" in bad.content.decode()  # the value typed is kept
    response = admin_client.post(f"{BASE}/camera/add/", admin_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    camera = Camera.objects.get(name="kamera-baru")
    assert camera.stream_url == "rtsp://10.1.1.1/s"
    assert camera.kelurahan_code == SELATAN_KELURAHAN
    assert CctvEvent.objects.filter(camera=camera, action="created").exists()
    assert AuditEvent.objects.filter(action="cctv_camera_created", object_id=str(camera.pk))


def test_alerts_and_the_camera_log_cannot_be_changed_in_the_admin(admin_client, camera, alert):
    row = CctvEvent.objects.create(camera=camera, action="created")
    assert admin_client.get(f"{BASE}/cctvevent/add/").status_code == 403
    assert admin_client.get(f"{BASE}/alert/add/").status_code == 403
    assert admin_client.post(f"{BASE}/alert/{alert.pk}/change/", {"state": "dismissed"}
                             ).status_code == 403  # fmt: skip
    assert admin_client.post(f"{BASE}/cctvevent/{row.pk}/delete/", {"post": "yes"}
                             ).status_code == 403  # fmt: skip
    alert.refresh_from_db()
    assert alert.state == Alert.State.NEW and CctvEvent.objects.filter(pk=row.pk).exists()
    assert admin_client.get(f"{BASE}/alert/{alert.pk}/change/").status_code == 200  # view only
