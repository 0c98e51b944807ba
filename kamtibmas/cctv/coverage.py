"""Which cameras could have seen a place in a time window: the sector covers the point, the
camera was registered and online at some time in the window (by its heartbeat log), and its
retention still holds footage of the window's end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from kamtibmas.cctv.geometry import METRES_PER_DEGREE, sector_contains
from kamtibmas.cctv.models import Camera

MAX_RANGE_M = 2000.0


@dataclass(frozen=True)
class Coverage:
    camera: Camera
    was_online: bool | None  # None: no heartbeat known for the window
    footage_kept: bool


def online_during(camera: Camera, start: datetime, end: datetime) -> bool | None:
    """Whether the camera was online at some time in [start, end] by its heartbeat log."""
    state: bool | None = None
    for stamp, online in camera.online_log:
        at = datetime.fromisoformat(stamp)
        if at <= start:
            state = bool(online)
        elif at <= end:
            if online or state:
                return True
            state = False
    return state


def _bbox(qs: QuerySet[Camera], lat: float, lon: float) -> QuerySet[Camera]:
    pad = MAX_RANGE_M / METRES_PER_DEGREE
    return qs.filter(lat__range=(lat - pad, lat + pad), lon__range=(lon - 2 * pad, lon + 2 * pad))


def cameras_covering(
    lat: float,
    lon: float,
    start: datetime,
    end: datetime | None = None,
    cameras: QuerySet[Camera] | None = None,
    now: datetime | None = None,
) -> list[Coverage]:
    """Cameras (of ``cameras``, default all) whose sector holds the point and that were not
    known offline through the window; ``footage_kept`` when retention still covers it."""
    end = end or start
    now = now or timezone.now()
    qs = _bbox(cameras if cameras is not None else Camera.objects.all(), lat, lon)
    found = []
    for camera in qs.filter(is_active=True):
        if not sector_contains(
            camera.lat, camera.lon, camera.bearing, camera.fov_angle, camera.fov_range_m, lat, lon
        ):
            continue
        was_online = online_during(camera, start, end)
        if was_online is False:
            continue
        kept = end >= now - timedelta(days=camera.retention_days)
        found.append(Coverage(camera, was_online, kept))
    return found
