"""The worker's ``cctv.yaml`` for registered cameras, ready for ``kamtibmas-cctv run --config``.

Never holds a credential: each camera's stream comes from ``${CAM_<NAME>_URL}`` and the API key
from ``${KAMTIBMAS_API_KEY}``, both set in the worker's environment (the registered stream
address, without user and password, is named in a comment).

>>> env_name("pasar-klandasan")
'CAM_PASAR_KLANDASAN_URL'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import yaml
from django.utils import timezone

from kamtibmas.cctv.models import Camera
from kamtibmas.cctv.streams import strip_credentials

API_KEY_ENV = "KAMTIBMAS_API_KEY"


def env_name(camera_name: str) -> str:
    """The environment variable holding the camera's stream URL (with its credentials)."""
    return "CAM_" + re.sub(r"[^A-Z0-9]+", "_", camera_name.upper()).strip("_") + "_URL"


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


class _Flow(list[Any]):
    """A list written on one line (a polygon, a rule), as the docs' examples show them."""


class _FlowDict(dict[str, Any]):
    """A mapping written on one line (a rule)."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Flow, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, True)
)


_Dumper.add_representer(
    _FlowDict,
    lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, True),
)


def _points(polygon: list[list[float]]) -> _Flow:
    return _Flow([_number(x), _number(y)] for x, y in polygon)


def _rule(rule: dict[str, Any]) -> _FlowDict:
    return _FlowDict((k, _number(v) if isinstance(v, float) else v) for k, v in rule.items())


def camera_section(camera: Camera) -> dict[str, Any]:
    """One entry of ``cameras:`` (the worker's ``Camera`` model)."""
    section: dict[str, Any] = {"name": camera.name, "url": f"${{{env_name(camera.name)}}}"}
    if camera.fps:
        section["fps"] = _number(camera.fps)
    if camera.privacy_masks:
        section["privacy_masks"] = [_points(mask) for mask in camera.privacy_masks]
    section["zones"] = [
        {
            "name": zone["name"],
            "polygon": _points(zone["polygon"]),
            "rules": [_rule(rule) for rule in zone.get("rules", [])],
        }  # fmt: skip
        for zone in camera.zones or []
    ]
    return section


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


def _camera_block(camera: Camera) -> str:
    registered = strip_credentials(camera.stream_url) or "(none registered)"
    size = f"{camera.width}x{camera.height}" if camera.width and camera.height else "unknown"
    header = (
        f"  # {camera.name}: registered stream {registered} (frame {size} pixels).\n"
        f"  # Set {env_name(camera.name)} to the stream address with its user and password.\n"
    )
    body = _dump([camera_section(camera)])
    return header + "".join(f"  {line}\n" for line in body.splitlines())


def render(cameras: Iterable[Camera], server_url: str) -> str:
    """The YAML document for ``cameras`` delivering to ``server_url``."""
    cameras = list(cameras)
    names = ", ".join([API_KEY_ENV, *(env_name(c.name) for c in cameras)])
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M %z")
    parts = [
        f"# Kamtibmas CCTV worker configuration, generated {stamp} from the camera registry.\n",
        "# 1. Make a read-write API key at /akun/kunci-api/ for a user who may see these "
        "cameras.\n",
        f"# 2. Set the environment variables {names}.\n",
        "# 3. Run: kamtibmas-cctv run --config cctv.yaml\n",
        "# Zones and privacy masks are in pixels of the source frame; edit them on the\n",
        "# camera's zone page, not here, so the server and the worker agree.\n",
        "cameras:\n",
        *(_camera_block(camera) for camera in cameras),
        _dump({"server": {"url": server_url.rstrip("/"), "api_key": f"${{{API_KEY_ENV}}}"}}),
        "# Uncomment to publish events on an MQTT broker as well:\n",
        "# mqtt:\n#   host: 127.0.0.1\n#   port: 1883\n#   topic_prefix: kamtibmas/cctv\n",
    ]
    return "".join(parts)
