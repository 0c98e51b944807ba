"""The whole CCTV chain as an operator sets it up: a registered camera, the worker pointed at its
stream with a loitering zone, the alert with its snapshot on the server and on MQTT."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client

from kamtibmas.accounts.models import ApiKey
from kamtibmas.cctv.models import Alert
from kamtibmas_cctv import cli
from tests.cctv.test_comms_mqtt import Listener, _require_broker  # noqa: F401 (fixture)
from tests.cctv.test_worker_rules import stay
from tests.cctv.worker_videos import write_video
from tests.conftest import SELATAN_KELURAHAN
from tests.test_cctv_registry import make_camera

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_a_loitering_alert_reaches_the_inbox_and_mqtt_with_its_snapshot(
    live_server: Any, live_reference: None, officer_selatan: Any, tmp_path: Path
) -> None:
    camera = make_camera("meja-depan", SELATAN_KELURAHAN, "polsek-balikpapan-selatan")
    key = ApiKey.issue(officer_selatan, "cctv worker", scope="read_write")[1]
    video = write_video(tmp_path / "stay.avi", 12, stay(1.0, 10.0))
    prefix = f"kamtibmas-test-{uuid.uuid4().hex[:8]}"
    config = {
        "cameras": [
            {
                "name": camera.name,
                "url": str(video),
                "detector": {"kind": "none"},
                "zones": [
                    {
                        "name": "meja",
                        "polygon": [[160, 0], [320, 0], [320, 240], [160, 240]],
                        "rules": [{"kind": "loitering", "seconds": 3}],
                    }
                ],
            }
        ],
        "server": {"url": live_server.url, "api_key": "${TEST_WORKER_KEY}"},
        "mqtt": {"host": "127.0.0.1", "port": 1883, "topic_prefix": prefix},
    }
    path = tmp_path / "cctv.yaml"
    path.write_text(yaml.safe_dump(config))
    listener = Listener(prefix)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("TEST_WORKER_KEY", key)
            assert cli.main(["run", "--config", str(path), "--check-config"]) == 0
            outbox = str(tmp_path / "outbox.sqlite3")
            out = str(tmp_path / "events.jsonl")
            assert cli.main(["run", "--config", str(path), "--buffer", outbox, "--out", out]) == 0
        assert '"rule":"loitering"' in Path(out).read_text()
        got: dict[str, list[tuple[bytes, bool]]] = {}
        while (
            len(got.get(f"{prefix}/events", [])) < 2
            or f"{prefix}/{camera.name}/loitering/snapshot" not in got
        ):
            topic, payload, retain = listener.messages.get(timeout=10)
            got.setdefault(topic, []).append((payload, retain))
    finally:
        listener.stop()
    mqtt_events = [json.loads(payload) for payload, _r in got[f"{prefix}/events"]]
    [(snapshot, _retain)] = got[f"{prefix}/{camera.name}/loitering/snapshot"]

    alert = Alert.objects.get(camera=camera, rule="loitering")
    assert alert.zone == "meja" and alert.ended_at is not None
    assert alert.snapshot and 5.5 <= (alert.start_s or 0) <= 7.0
    assert mqtt_events[0]["type"] == "new" and mqtt_events[0]["after"]["camera"] == camera.name
    assert mqtt_events[0]["after"]["id"] == alert.event_id
    assert snapshot.startswith(b"\xff\xd8")  # a JPEG (kept retained: tests/cctv)
    camera.refresh_from_db()
    assert camera.last_frame_at is not None  # the worker reported its status

    client = Client()
    client.force_login(officer_selatan)
    page = client.get(f"/petugas/cctv/peringatan/{alert.pk}/")
    assert page.status_code == 200 and "meja" in page.content.decode()
