"""The status heartbeat carries a small masked thumbnail of the frame every few minutes: the
picture an operator draws zones on. Never unmasked, at most 640 px wide, sent once when due."""

from __future__ import annotations

import base64

import cv2
import numpy as np
import pytest

from kamtibmas_cctv.config import ConfigError, parse_config
from kamtibmas_cctv.status import THUMBNAIL_WIDTH, CameraStatus, thumbnail_jpeg

MASK = [[0, 0], [640, 0], [640, 360], [0, 360]]  # the top-left quarter of a 1280x720 frame


def white_frame() -> np.ndarray:
    return np.full((720, 1280, 3), 255, dtype=np.uint8)


def decoded(body: dict[str, object]) -> np.ndarray:
    raw = base64.b64decode(str(body["thumbnail_jpeg"]))
    image = cv2.imdecode(np.frombuffer(raw, dtype=np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def test_a_thumbnail_is_masked_before_it_is_scaled() -> None:
    jpeg = thumbnail_jpeg(white_frame(), [MASK])
    assert jpeg is not None and len(jpeg) < 30_000
    image = cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), cv2.IMREAD_COLOR)
    assert image.shape[:2] == (360, THUMBNAIL_WIDTH)
    assert image[20:160, 20:300].max() < 30  # the masked quarter is black
    assert image[200:340, 340:620].min() > 225  # the rest is the picture
    small = thumbnail_jpeg(np.zeros((240, 320, 3), dtype=np.uint8), [])
    assert small is not None
    assert cv2.imdecode(np.frombuffer(small, np.uint8), cv2.IMREAD_COLOR).shape[:2] == (240, 320)


def test_the_heartbeat_carries_a_thumbnail_when_due_and_once() -> None:
    status = CameraStatus("gate", masks=[MASK], thumbnail_every_s=300)
    status.frame(1000.0, white_frame())
    first = status.report(now=1001.0)
    assert (first["frame_width"], first["frame_height"]) == (1280, 720)
    assert decoded(first)[20:160, 20:300].max() < 30  # never unmasked
    status.frame(1100.0, white_frame())
    assert "thumbnail_jpeg" not in status.report(now=1101.0)  # sent once, next not yet due
    status.frame(1300.0, white_frame())
    assert "thumbnail_jpeg" in status.report(now=1301.0)
    status.frame(1700.0)  # a frame without its image keeps the counters only
    assert "thumbnail_jpeg" not in status.report(now=1701.0)


def test_thumbnails_can_be_switched_off() -> None:
    status = CameraStatus("gate", thumbnail_every_s=0)
    status.frame(1000.0, white_frame())
    assert "thumbnail_jpeg" not in status.report(now=1001.0)


def test_the_config_has_thumbnail_every_s() -> None:
    cam = parse_config({"cameras": [{"name": "c", "url": "x.avi"}]}).cameras[0]
    assert cam.thumbnail_every_s == 300.0
    with pytest.raises(ConfigError, match="thumbnail_every_s"):
        parse_config({"cameras": [{"name": "c", "url": "x.avi", "thumbnail_every_s": -1}]})
