"""Zones and privacy masks drawn on a camera's picture, validated as the worker validates them.

Coordinates are pixels of the camera's source frame (``width`` x ``height`` of the registry).
The server checks what the worker checks (``kamtibmas_cctv.config.Zone``: a name, a polygon of
at least three points, rules ``loitering``/``intrusion``/``crowd`` with their fields) and what
only the server knows: every point inside the frame, polygons that do not cross themselves, at
most ``MAX_ZONES`` zones of at most ``MAX_POINTS`` points, unique names. Every problem comes
back as a message for the operator, so the editor can show them all at once.

>>> zones, errors = clean_zones([{"name": "parkir", "polygon": [[0, 0], [10, 0], [10, 10]],
...     "rules": [{"kind": "loitering", "seconds": 30}]}], 100, 100)
>>> errors, zones[0]["rules"]
([], [{'kind': 'loitering', 'seconds': 30.0}])
"""

from __future__ import annotations

import math
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from pydantic import ValidationError
from shapely.geometry import Polygon

from kamtibmas.accounts import audit
from kamtibmas.cctv.models import Camera, CctvEvent
from kamtibmas_cctv.config import Zone as WorkerZone
from kamtibmas_cctv.config import parse_hours

MAX_ZONES = 20
MAX_MASKS = 20
MAX_POINTS = 50
MAX_NAME = 60
MAX_SECONDS = 86_400.0
MAX_OBJECTS = 500
MIN_FRAME, MAX_FRAME = 16, 10_000
RULE_FIELDS = {
    "loitering": {"seconds"},
    "intrusion": {"hours", "min_seconds", "rearm_seconds"},
    "crowd": {"min_objects"},
}

Errors = list[str]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def clean_polygon(
    raw: Any, width: int, height: int, label: str, errors: Errors
) -> list[list[float]] | None:
    """Points ``[[x, y], ...]`` inside the frame forming a simple polygon with an area."""
    if not isinstance(raw, list) or len(raw) < 3:
        errors.append(_("%(label)s: a polygon needs at least three points.") % {"label": label})
        return None
    if len(raw) > MAX_POINTS:
        errors.append(_("%(label)s: at most %(max)d points.") % {"label": label, "max": MAX_POINTS})
        return None
    points = []
    for point in raw:
        x, y = (_number(v) for v in point) if isinstance(point, list) and len(point) == 2 else (
            None, None)  # fmt: skip
        if x is None or y is None:
            errors.append(_("%(label)s: each point is [x, y] in pixels.") % {"label": label})
            return None
        if not (0 <= x <= width and 0 <= y <= height):
            errors.append(
                _("%(label)s: the point (%(x)d, %(y)d) is outside the %(w)d×%(h)d frame.")
                % {"label": label, "x": x, "y": y, "w": width, "h": height}
            )
            return None
        points.append([round(x, 1), round(y, 1)])
    shape = Polygon(points)
    if not shape.is_valid or shape.area <= 0:
        errors.append(_("%(label)s: the polygon crosses itself or has no area.") % {"label": label})
        return None
    return points


def _bounded(value: Any, low: float, high: float, *, strict_low: bool) -> float | None:
    number = _number(value)
    if number is None or number > high or (number <= low if strict_low else number < low):
        return None
    return number


def _clean_loitering(raw: dict[str, Any], label: str, errors: Errors) -> dict[str, Any] | None:
    seconds = _bounded(raw.get("seconds"), 0, MAX_SECONDS, strict_low=True)
    if seconds is None:
        errors.append(_("%(label)s: loitering needs seconds above 0.") % {"label": label})
        return None
    return {"kind": "loitering", "seconds": seconds}


def _clean_intrusion(raw: dict[str, Any], label: str, errors: Errors) -> dict[str, Any] | None:
    rule: dict[str, Any] = {"kind": "intrusion"}
    hours = raw.get("hours")
    if hours not in (None, ""):
        try:
            parse_hours(str(hours))
        except ValueError:
            errors.append(_("%(label)s: intrusion hours look like 22:00-05:00.") % {"label": label})
            return None
        rule["hours"] = str(hours).strip()
    for key in ("min_seconds", "rearm_seconds"):
        if raw.get(key) in (None, ""):
            continue
        value = _bounded(raw[key], 0, MAX_SECONDS, strict_low=False)
        if value is None:
            errors.append(_("%(label)s: intrusion seconds cannot be negative.") % {"label": label})
            return None
        rule[key] = value
    return rule


def _clean_crowd(raw: dict[str, Any], label: str, errors: Errors) -> dict[str, Any] | None:
    value = raw.get("min_objects")
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_OBJECTS:
        errors.append(
            _("%(label)s: a crowd needs a whole number of objects from 1 to %(max)d.")
            % {"label": label, "max": MAX_OBJECTS}
        )
        return None
    return {"kind": "crowd", "min_objects": value}


CLEANERS = {"loitering": _clean_loitering, "intrusion": _clean_intrusion, "crowd": _clean_crowd}


def clean_rule(raw: Any, label: str, errors: Errors) -> dict[str, Any] | None:
    kind = raw.get("kind") if isinstance(raw, dict) else None
    if kind not in CLEANERS:
        errors.append(
            _("%(label)s: unknown rule “%(kind)s” (loitering, intrusion or crowd).")
            % {"label": label, "kind": str(kind)[:30]}
        )
        return None
    unknown = set(raw) - RULE_FIELDS[kind] - {"kind"}
    if unknown:
        errors.append(
            _("%(label)s: unknown field %(field)s in the %(kind)s rule.")
            % {"label": label, "field": ", ".join(sorted(str(k)[:30] for k in unknown)),
               "kind": kind}
        )  # fmt: skip
        return None
    return CLEANERS[kind](raw, label, errors)


def _clean_rules(raw: Any, label: str, errors: Errors) -> list[dict[str, Any]]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        errors.append(_("%(label)s: the rules must be a list.") % {"label": label})
        return []
    rules = [rule for item in raw if (rule := clean_rule(item, label, errors)) is not None]
    kinds = [rule["kind"] for rule in rules]
    if len(set(kinds)) != len(kinds):
        errors.append(_("%(label)s: each kind of rule at most once.") % {"label": label})
    return rules


def _clean_name(raw: Any, index: int, errors: Errors) -> str:
    name = raw.strip() if isinstance(raw, str) else ""
    if not name or len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
        errors.append(
            _("Zone %(number)d: give a name of 1 to %(max)d characters.")
            % {"number": index + 1, "max": MAX_NAME}
        )
    return name[:MAX_NAME]


def clean_zone(raw: Any, index: int, width: int, height: int, errors: Errors) -> dict[str, Any]:
    """One zone; problems are appended to ``errors``."""
    if not isinstance(raw, dict):
        errors.append(_("Zone %(number)d is not a zone.") % {"number": index + 1})
        return {}
    unknown = set(raw) - {"name", "polygon", "rules"}
    name = _clean_name(raw.get("name"), index, errors)
    label = _("Zone “%(name)s”") % {"name": name} if name else _("Zone %(n)d") % {"n": index + 1}
    if unknown:
        errors.append(
            _("%(label)s: unknown field %(field)s.")
            % {"label": label, "field": ", ".join(sorted(str(k)[:30] for k in unknown))}
        )
    polygon = clean_polygon(raw.get("polygon"), width, height, label, errors)
    rules = _clean_rules(raw.get("rules"), label, errors)
    return {"name": name, "polygon": polygon, "rules": rules}


def _agrees_with_worker(zone: dict[str, Any]) -> bool:
    try:
        WorkerZone.model_validate(zone)
    except ValidationError:
        return False
    return True


def clean_zones(raw: Any, width: int, height: int) -> tuple[list[dict[str, Any]], Errors]:
    """The zones in the worker's shape and the messages of every problem (empty when valid)."""
    errors: Errors = []
    if raw in (None, ""):
        return [], errors
    if not isinstance(raw, list):
        return [], [_("The zones must be a list.")]
    if len(raw) > MAX_ZONES:
        return [], [_("At most %(max)d zones per camera.") % {"max": MAX_ZONES}]
    zones = [clean_zone(item, index, width, height, errors) for index, item in enumerate(raw)]
    names = [str(zone["name"]) for zone in zones if zone.get("name")]
    for name in sorted({n for n in names if names.count(n) > 1}):
        errors.append(_("Two zones are named “%(name)s”.") % {"name": name})
    if not errors and not all(_agrees_with_worker(zone) for zone in zones):
        errors.append(_("The worker would not accept these zones."))
    return (zones if not errors else []), errors


def clean_masks(raw: Any, width: int, height: int) -> tuple[list[list[list[float]]], Errors]:
    """Privacy masks: polygons inside the frame, blacked out by the worker before anything."""
    errors: Errors = []
    if raw in (None, ""):
        return [], errors
    if not isinstance(raw, list):
        return [], [_("The privacy masks must be a list.")]
    if len(raw) > MAX_MASKS:
        return [], [_("At most %(max)d privacy masks per camera.") % {"max": MAX_MASKS}]
    masks = []
    for index, polygon in enumerate(raw):
        label = _("Privacy mask %(number)d") % {"number": index + 1}
        cleaned = clean_polygon(polygon, width, height, label, errors)
        if cleaned is not None:
            masks.append(cleaned)
    return (masks if not errors else []), errors


def clean_frame(width: Any, height: Any) -> tuple[tuple[int, int] | None, Errors]:
    """The source frame size in pixels (what the polygons are measured in)."""
    try:
        size = (int(str(width).strip()), int(str(height).strip()))
    except ValueError:
        return None, [_("Give the frame size in whole pixels, e.g. 1920 × 1080.")]
    if not all(MIN_FRAME <= v <= MAX_FRAME for v in size):
        return None, [
            _("The frame size is %(min)d to %(max)d pixels on each side.")
            % {"min": MIN_FRAME, "max": MAX_FRAME}
        ]
    return size, []


def outside_frame(polygons: list[list[list[float]]], width: int, height: int) -> bool:
    """Whether any point of ``polygons`` lies outside a ``width`` x ``height`` frame."""
    return any(not (0 <= x <= width and 0 <= y <= height) for p in polygons for x, y in p)


def save_drawing(
    camera: Camera,
    user: Any,
    zones: list[dict[str, Any]],
    masks: list[list[list[float]]],
    frame: tuple[int, int],
) -> bool:
    """Store validated zones, masks and frame size; one CctvEvent and one audit row when
    anything changed (zone names and counts only). Returns whether anything changed."""
    before = (camera.zones, camera.privacy_masks, (camera.width, camera.height))
    if before == (zones, masks, frame):
        return False
    with transaction.atomic():
        camera.zones, camera.privacy_masks = zones, masks
        camera.width, camera.height = frame
        camera.save(update_fields=["zones", "privacy_masks", "width", "height"])
        detail: dict[str, Any] = {
            "zones": [zone["name"] for zone in zones],
            "masks": len(masks),
            "frame": f"{frame[0]}x{frame[1]}",
        }
        CctvEvent.objects.create(camera=camera, actor=user, action="zones_changed", detail=detail)
        audit.record(user, "cctv_camera_zones_changed", camera, **detail)
    return True
