"""The zone editor (draw zones and privacy masks on the camera's picture), the camera's still,
and the worker's ``cctv.yaml`` downloads. Commanders and administrators who may edit the
camera (``scoping.can_edit``) draw and download; every staff member who sees it sees the still.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from PIL import Image

from kamtibmas.accounts import audit
from kamtibmas.cctv import scoping, stills, worker_config, zones
from kamtibmas.cctv.models import Camera
from kamtibmas.media import media_file, media_path_response
from kamtibmas.reports.photos import PhotoError
from kamtibmas.reports.views_staff import officer_required

DEFAULT_FRAME = (1920, 1080)
MAX_JSON_CHARS = 200_000


def _editable_camera(request: HttpRequest, pk: int) -> Camera:
    camera = get_object_or_404(scoping.cameras_for(request.user), pk=pk)
    if not scoping.can_edit(request.user, camera):
        raise PermissionDenied
    return camera


def _picture_size(camera: Camera) -> tuple[int, int] | None:
    source = stills.picture_source(camera)
    if source is None:
        return None
    relative = camera.still if source["kind"] == "still" else source["alert"].snapshot
    path = media_file(relative)
    try:
        with Image.open(path) as image:  # type: ignore[arg-type]
            return image.size
    except (OSError, ValueError, TypeError):
        return None


def default_frame(camera: Camera) -> tuple[int, int]:
    """The registry's resolution, else the size of the picture, else Full HD."""
    if camera.width and camera.height:
        return camera.width, camera.height
    return _picture_size(camera) or DEFAULT_FRAME


def _parse_json(text: str, what: str, errors: list[str]) -> Any:
    if len(text) > MAX_JSON_CHARS:
        errors.append(_("The %(what)s are too long.") % {"what": what})
        return None
    try:
        return json.loads(text) if text.strip() else []
    except ValueError:
        errors.append(_("The %(what)s are not valid JSON.") % {"what": what})
        return None


def _validate(post: Any) -> tuple[dict[str, Any], list[str]]:
    """The drawing posted by the editor, cleaned, with every message for the operator."""
    frame, errors = zones.clean_frame(post.get("width", ""), post.get("height", ""))
    raw_zones = _parse_json(post.get("zones", ""), _("zones"), errors)
    raw_masks = _parse_json(post.get("privacy_masks", ""), _("privacy masks"), errors)
    if frame is None or errors:
        return {}, errors
    cleaned_zones, zone_errors = zones.clean_zones(raw_zones, *frame)
    cleaned_masks, mask_errors = zones.clean_masks(raw_masks, *frame)
    errors = zone_errors + mask_errors
    return {"zones": cleaned_zones, "masks": cleaned_masks, "frame": frame}, errors


def _context(camera: Camera, post: Any = None, errors: list[str] | None = None) -> dict[str, Any]:
    width, height = default_frame(camera)
    values = {
        "width": width,
        "height": height,
        "zones": json.dumps(camera.zones or []),
        "privacy_masks": json.dumps(camera.privacy_masks or []),
    }
    if post is not None:
        values.update({k: post.get(k, "") for k in values})
    source = stills.picture_source(camera)
    return {
        "camera": camera,
        "values": values,
        "errors": errors or [],
        "picture": source,
        "yaml_name": worker_config.env_name(camera.name),
        "strings": editor_strings(),
    }


def editor_strings() -> dict[str, str]:
    """The editor script's words, translated here ({n}-style placeholders, filled in JS)."""
    return {
        "zoneNumber": _("Zone {n}"),
        "maskNumber": _("Privacy mask {n} ({points} points)"),
        "defaultName": _("zone-{n}"),
        "name": _("Name"),
        "loitering": _("Loitering"),
        "seconds": _("Alert after this many seconds in the zone"),
        "intrusion": _("Intrusion"),
        "hours": _("Only at these hours (e.g. 22:00-05:00; empty: always)"),
        "crowd": _("Crowd"),
        "objects": _("Alert from this many people or objects"),
        "redraw": _("Redraw the shape"),
        "deleteZone": _("Delete this zone"),
        "deleteMask": _("Delete this mask"),
        "deleted": _("Deleted. Save to keep the change."),
        "noZones": _("No zones yet."),
        "noMasks": _("No privacy masks."),
        "drawingZone": _("Drawing a zone: {n} points. Click the first point to finish."),
        "drawingMask": _("Drawing a privacy mask: {n} points. Click the first point to finish."),
        "needThree": _("A polygon needs at least three points."),
        "tooMany": _("At most 50 points."),
        "zoneAdded": _("Zone added: give it a name and choose its rules, then save."),
        "maskAdded": _("Privacy mask added. Save to keep it."),
        "cancelled": _("Drawing cancelled."),
        "chooseFirst": _("Press “Draw a zone” or “Draw a privacy mask” first."),
        "badJson": _("The coordinates below are not valid JSON: correct them."),
    }


def _upload(request: HttpRequest, camera: Camera) -> HttpResponse:
    """Keep the operator's screenshot as the camera's still; the drawing stays unsaved."""
    upload = request.FILES.get("picture")
    errors: list[str] = []
    if upload is None:
        errors.append(_("Choose a picture to upload."))
    else:
        try:
            size = stills.store_upload(camera, upload)
        except PhotoError as exc:
            errors.append(exc.message)
        else:
            audit.record(request.user, "cctv_camera_still_uploaded", camera, size=list(size))
            messages.success(request, _("The picture was uploaded. Your drawing is not saved yet."))
    post = request.POST.copy()
    if not errors and not (camera.width and camera.height):
        post["width"], post["height"] = str(size[0]), str(size[1])
    status = 400 if errors else 200
    return render(request, "cctv/camera_zones.html", _context(camera, post, errors), status=status)


@officer_required
@require_http_methods(["GET", "POST"])
def camera_zones(request: HttpRequest, pk: int) -> HttpResponse:
    camera = _editable_camera(request, pk)
    if request.method == "GET":
        return render(request, "cctv/camera_zones.html", _context(camera))
    if request.POST.get("action") == "upload":
        return _upload(request, camera)
    drawing, errors = _validate(request.POST)
    if errors:
        context = _context(camera, request.POST, errors)
        return render(request, "cctv/camera_zones.html", context, status=400)
    if zones.save_drawing(camera, request.user, drawing["zones"], drawing["masks"],
                          drawing["frame"]):  # fmt: skip
        messages.success(request, _("The zones and privacy masks were saved."))
    else:
        messages.info(request, _("Nothing changed."))
    return redirect("cctv:camera_zones", camera.pk)


@officer_required
@require_GET
def camera_still(request: HttpRequest, pk: int) -> FileResponse:
    """The camera's latest still, to staff who may see the camera (never a public URL)."""
    camera = get_object_or_404(scoping.cameras_for(request.user), pk=pk)
    return media_path_response(camera.still)


def _yaml_response(text: str) -> HttpResponse:
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cctv.yaml"'
    response["Cache-Control"] = "private, no-store"
    return response


@officer_required
@require_GET
def camera_worker_yaml(request: HttpRequest, pk: int) -> HttpResponse:
    """The worker's cctv.yaml for this camera (no credentials: environment variables)."""
    camera = _editable_camera(request, pk)
    audit.record(request.user, "cctv_worker_config", camera, purpose="worker configuration")
    return _yaml_response(worker_config.render([camera], settings.PUBLIC_BASE_URL))


@officer_required
@require_GET
def worker_yaml_all(request: HttpRequest) -> HttpResponse:
    """One cctv.yaml for every active camera the user may edit."""
    if not scoping.can_edit(request.user):
        raise PermissionDenied
    cameras = list(scoping.cameras_for(request.user).filter(is_active=True))
    if not cameras:
        raise Http404
    for camera in cameras:
        audit.record(request.user, "cctv_worker_config", camera, purpose="worker configuration")
    return _yaml_response(worker_config.render(cameras, settings.PUBLIC_BASE_URL))
