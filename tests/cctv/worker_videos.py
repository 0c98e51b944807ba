"""Synthetic test videos for the worker: a textured still background and a dark moving box."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

FPS = 10.0
W, H = 320, 240
OBJ_W, OBJ_H = 24, 60

# position(t) -> (x, y) of the object's top-left corner, or None when it is not in view
Path_ = Callable[[float], tuple[float, float] | None]


def background(seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.integers(90, 170, size=(H // 8, W // 8, 3), dtype=np.uint8)
    return cv2.resize(noise, (W, H), interpolation=cv2.INTER_NEAREST)


def write_video(
    path: Path,
    seconds: float,
    where: Path_,
    dark: Callable[[float], bool] = lambda t: False,
    seed: int = 7,
) -> Path:
    """An MJPG avi of ``seconds`` at 10 fps: sensor noise on a still background, a dark
    ``OBJ_W`` x ``OBJ_H`` box at ``where(t)``, and a black frame while ``dark(t)``."""
    rng = np.random.default_rng(seed + 1)
    bg = background(seed)
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (W, H))
    assert out.isOpened()
    for i in range(int(seconds * FPS)):
        t = i / FPS
        frame = bg.copy()
        pos = where(t)
        if pos is not None:
            x, y = int(pos[0]), int(pos[1])
            cv2.rectangle(frame, (x, y), (x + OBJ_W, y + OBJ_H), (30, 25, 20), -1)
        if dark(t):
            frame[:] = 3
        noise = rng.normal(0, 3, frame.shape)
        out.write(np.clip(frame + noise, 0, 255).astype(np.uint8))
    out.release()
    return path


def walk(t0: float, x0: float, x1: float, speed: float, y: float = 120) -> Path_:
    """Enter at ``t0`` at ``x0`` and walk at ``speed`` px/s to ``x1``, then leave the view."""

    def where(t: float) -> tuple[float, float] | None:
        if t < t0:
            return None
        x = x0 + (t - t0) * speed * (1 if x1 >= x0 else -1)
        if (x1 >= x0 and x > x1) or (x1 < x0 and x < x1):
            return None
        return (x, y)

    return where


def zone_config(rules: list[dict[str, object]], extra: dict[str, object] | None = None):
    """A one-camera config (dict) with the zone x >= 160 over the whole height."""
    cam: dict[str, object] = {
        "name": "test-cam",
        "url": "clip.avi",
        "detector": {"kind": "none"},
        "zones": [
            {
                "name": "yard",
                "polygon": [[160, 0], [320, 0], [320, 240], [160, 240]],
                "rules": rules,
            }  # fmt: skip
        ],
    }
    cam.update(extra or {})
    return {"cameras": [cam]}
