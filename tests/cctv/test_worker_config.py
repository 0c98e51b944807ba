"""The worker's YAML config: shape, clear errors naming the bad key, ${ENV} in URLs."""

from __future__ import annotations

import pytest

from kamtibmas_cctv.cli import main
from kamtibmas_cctv.config import ConfigError, load_config, parse_config
from kamtibmas_cctv.rules import in_hours

GOOD = """
cameras:
  - name: pasar-klandasan
    url: rtsp://${CAM_USER}:${CAM_PASS}@10.0.0.5/stream1
    fps: 5
    privacy_masks: [[[0, 0], [50, 0], [50, 50]]]
    zones:
      - name: parking
        polygon: [[100, 400], [600, 400], [600, 700], [100, 700]]
        rules:
          - {kind: loitering, seconds: 30}
          - {kind: intrusion, hours: "22:00-05:00"}
          - {kind: crowd, min_objects: 8}
server: {url: "https://polres.example/api", api_key: "${KAMTIBMAS_KEY}"}
mqtt: {host: 127.0.0.1, port: 1883, topic_prefix: kamtibmas/cctv}
"""


def write(tmp_path, text):
    path = tmp_path / "cctv.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("CAM_USER", "op")
    monkeypatch.setenv("CAM_PASS", "s3cret")
    monkeypatch.setenv("KAMTIBMAS_KEY", "k-123")


def test_it_loads_the_issue_example_and_expands_env(tmp_path, env):
    cfg = load_config(write(tmp_path, GOOD))
    cam = cfg.camera("pasar-klandasan")
    assert cam.url == "rtsp://op:s3cret@10.0.0.5/stream1"
    assert [r.kind for r in cam.zones[0].rules] == ["loitering", "intrusion", "crowd"]
    assert cam.detector.kind == "hog" and cam.fps == 5
    assert cfg.server is not None and cfg.server.api_key == "k-123"
    assert cfg.mqtt is not None and cfg.mqtt.port == 1883


@pytest.mark.parametrize(
    "change,message",
    [
        (("zones:", "zonez:"), "cameras.0.zonez: unknown key"),
        (("seconds: 30", "seconds: -1"), "seconds"),
        (('"22:00-05:00"', '"22-05"'), "hours must look like 22:00-05:00"),
        (("min_objects: 8", "min_objects: 0"), "min_objects"),
        (("{kind: crowd", "{kind: riot"), "rules.2"),
        ((", [600, 700], [100, 700]]", "]"), "polygon needs at least 3 points"),
        (("port: 1883", "port: 1883, tls: yes"), "mqtt.tls: unknown key"),
    ],
)
def test_it_names_the_bad_key(tmp_path, env, change, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        load_config(write(tmp_path, GOOD.replace(*change)))


def test_it_says_which_environment_variable_is_missing(tmp_path, monkeypatch):
    monkeypatch.delenv("CAM_PASS", raising=False)
    monkeypatch.setenv("CAM_USER", "op")
    monkeypatch.setenv("KAMTIBMAS_KEY", "k")
    with pytest.raises(ConfigError, match="CAM_PASS is not set"):
        load_config(write(tmp_path, GOOD))


def test_it_rejects_duplicate_cameras_and_empty_files(tmp_path):
    cam = {"name": "a", "url": "x.avi"}
    with pytest.raises(ConfigError, match="unique: a"):
        parse_config({"cameras": [cam, cam]})
    with pytest.raises(ConfigError, match="mapping"):
        load_config(write(tmp_path, ""))
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path, "cameras: [\n"))
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="onnx detector needs 'model'"):
        parse_config({"cameras": [{**cam, "detector": {"kind": "onnx"}}]})


def test_it_checks_the_config_from_the_command_line(tmp_path, env, capsys):
    assert main(["run", "--config", str(write(tmp_path, GOOD)), "--check-config"]) == 0
    assert "config OK: 1 camera" in capsys.readouterr().out
    bad = write(tmp_path, GOOD.replace("zones:", "zonez:"))
    assert main(["run", "--config", str(bad), "--check-config"]) == 2
    err = capsys.readouterr().err
    assert "zonez: unknown key" in err and "Traceback" not in err
    assert "s3cret" not in err


def test_it_reads_hours_across_midnight_in_local_time():
    # 2026-01-05 15:30 UTC is 23:30 WITA
    t = 1767627000.0
    assert in_hours(t, "22:00-05:00", "Asia/Makassar")
    assert not in_hours(t, "22:00-05:00", "UTC")
    assert in_hours(t, "15:00-16:00", "UTC")
    assert in_hours(None, "22:00-05:00", "Asia/Makassar")  # unknown time: the rule holds
