"""The worker's YAML config: cameras, zones, rules, privacy masks, server and MQTT sections.

Pydantic models with ``extra="forbid"`` so a typo names the bad key; ``${ENV}`` in URLs and
the server API key is expanded from the environment so credentials stay out of the file.

>>> cfg = parse_config({"cameras": [{"name": "c1", "url": "clip.avi", "zones": [
...     {"name": "z", "polygon": [[0, 0], [10, 0], [10, 10]],
...      "rules": [{"kind": "loitering", "seconds": 5}]}]}]})
>>> cfg.cameras[0].zones[0].rules[0].seconds
5.0
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ENV_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ConfigError(ValueError):
    """A config that cannot be used; the message names the key and the problem."""


def expand_env(text: str) -> str:
    """Replace ``${NAME}`` by the environment variable NAME (an error when it is not set)."""

    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ValueError(f"environment variable {name} is not set")
        return os.environ[name]

    return ENV_PATTERN.sub(repl, text)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Point = tuple[float, float]


def _check_polygon(points: list[Point]) -> list[Point]:
    if len(points) < 3:
        raise ValueError("a polygon needs at least 3 points")
    return points


def parse_hours(text: str) -> tuple[int, int]:
    """``"22:00-05:00"`` as minutes of the day ``(1320, 300)``; the span may wrap midnight."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    if not match:
        raise ValueError(f"hours must look like 22:00-05:00, not {text!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59:
        raise ValueError(f"hours out of range: {text!r}")
    return h1 * 60 + m1, h2 * 60 + m2


class LoiteringRule(_Strict):
    kind: Literal["loitering"]
    seconds: float = Field(gt=0)


class IntrusionRule(_Strict):
    """Something entered the zone. It fires once an object that moved has been inside
    ``min_seconds`` (a motion fragment or a reflection lasts less) and holds while that object
    stays; other objects in the zone meanwhile start no new event, and after it ends the zone
    re-arms only ``rearm_seconds`` later, so one person stepping in and out (or split into
    several blobs) is one event, not a burst."""

    kind: Literal["intrusion"]
    hours: str | None = None
    min_seconds: float = Field(default=0.8, ge=0)
    rearm_seconds: float = Field(default=10.0, ge=0)

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        if value is not None:
            parse_hours(value)
        return value


class CrowdRule(_Strict):
    kind: Literal["crowd"]
    min_objects: int = Field(ge=1)


Rule = Annotated[LoiteringRule | IntrusionRule | CrowdRule, Field(discriminator="kind")]


class Zone(_Strict):
    name: str = Field(min_length=1)
    polygon: list[Point]
    rules: list[Rule] = Field(default_factory=list)

    _poly = field_validator("polygon")(_check_polygon)


ONNX_ONLY = ("labels", "class_names", "input_size")


class Detector(_Strict):
    """``labels``, ``class_names``, ``input_size`` and ``layout`` are for ``onnx`` only
    (docs/cctv.md, "ONNX detector"); the model itself is checked when the worker starts."""

    kind: Literal["hog", "onnx", "none"] = "hog"
    model: str | None = None
    min_score: float = 0.3
    labels: list[str] | None = Field(default=None, min_length=1)  # default: person
    class_names: list[str] | None = Field(default=None, min_length=1)
    input_size: int | None = Field(default=None, ge=32, le=4096)
    layout: Literal["auto", "yolo", "yolo_t", "yolov5", "boxes6", "boxes7"] = "auto"

    @model_validator(mode="after")
    def _model(self) -> Detector:
        if self.kind == "onnx" and not self.model:
            raise ValueError("an onnx detector needs 'model' (path to the .onnx file)")
        used = [k for k in ONNX_ONLY if getattr(self, k) is not None]
        if self.kind != "onnx" and (used or self.layout != "auto"):
            raise ValueError(f"{', '.join(used) or 'layout'}: only for an onnx detector")
        return self


class Tamper(_Strict):
    enabled: bool = True
    seconds: float = Field(default=3.0, gt=0)


class Camera(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    url: str = Field(min_length=1)
    fps: float | None = Field(default=None, gt=0)
    detect_every: int = Field(default=1, ge=1)  # run the detector on every n-th frame only
    timezone: str = "Asia/Makassar"
    zones: list[Zone] = Field(default_factory=list)
    privacy_masks: list[list[Point]] = Field(default_factory=list)
    detector: Detector = Field(default_factory=Detector)
    tamper: Tamper = Field(default_factory=Tamper)
    # A small masked picture of the frame with the status heartbeat every this many seconds,
    # for the server's zone editor (0: never).
    thumbnail_every_s: float = Field(default=300.0, ge=0)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return expand_env(value)

    @field_validator("privacy_masks")
    @classmethod
    def _masks(cls, value: list[list[Point]]) -> list[list[Point]]:
        return [_check_polygon(p) for p in value]


class Server(_Strict):
    url: str
    api_key: str | None = None

    @field_validator("url", "api_key")
    @classmethod
    def _env(cls, value: str | None) -> str | None:
        return None if value is None else expand_env(value)


class Mqtt(_Strict):
    host: str
    port: int = 1883
    topic_prefix: str = "kamtibmas/cctv"


class Config(_Strict):
    cameras: list[Camera] = Field(min_length=1)
    server: Server | None = None
    mqtt: Mqtt | None = None

    def camera(self, name: str) -> Camera:
        for cam in self.cameras:
            if cam.name == name:
                return cam
        names = ", ".join(c.name for c in self.cameras)
        raise ConfigError(f"no camera named {name!r} (cameras: {names})")

    @field_validator("cameras")
    @classmethod
    def _unique(cls, value: list[Camera]) -> list[Camera]:
        names = [c.name for c in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"camera names must be unique: {', '.join(dupes)}")
        return value


def _describe(err: ValidationError) -> str:
    lines = []
    for item in err.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(top)"
        msg = item["msg"]
        if item["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"{where}: {msg}")
    return "; ".join(lines)


def parse_config(data: Any) -> Config:
    """The config of a parsed YAML document; raises ConfigError naming every bad key."""
    if not isinstance(data, dict):
        raise ConfigError("the config must be a mapping with a 'cameras' list")
    try:
        return Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_describe(err)) from None


def load_config(path: str | Path) -> Config:
    """Read and validate the YAML file at ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read config {path}: {err.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError(f"config {path} is not valid YAML: {err}") from None
    return parse_config(data)
