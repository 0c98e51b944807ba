"""Staff pages of the CCTV registry (list/map, detail, create/edit) and the alert inbox.
Views stay thin: scoping decides what is visible, services change things."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kamtibmas.cctv import scoping, services
from kamtibmas.cctv.forms import AlertFilterForm, CameraForm
from kamtibmas.cctv.geometry import sector_polygon
from kamtibmas.cctv.models import Alert, Camera
from kamtibmas.cctv.worker_config import env_name
from kamtibmas.forecasts import access
from kamtibmas.media import media_path_response
from kamtibmas.reports.views_staff import officer_required

PER_PAGE = 50


def _camera(request: HttpRequest, pk: int) -> Camera:
    return get_object_or_404(scoping.cameras_for(request.user), pk=pk)


def _alert(request: HttpRequest, pk: int) -> Alert:
    return get_object_or_404(scoping.alerts_for(request.user), pk=pk)


@officer_required
@require_GET
def camera_list(request: HttpRequest) -> HttpResponse:
    cameras = scoping.cameras_for(request.user)
    units = list(access.units_for(request.user).values_list("pk", "name"))
    own = getattr(request.user, "unit_id", None)
    risk_unit = own if any(pk == own for pk, _name in units) else (units[0][0] if units else None)
    context = {
        "cameras": cameras,
        "can_edit": scoping.can_edit(request.user),
        "risk_units": units,
        "risk_unit": risk_unit,
    }
    return render(request, "cctv/camera_list.html", context)


def feature(camera: Camera) -> dict[str, Any]:
    """A camera as a GeoJSON feature: its sector polygon with display properties."""
    ring = sector_polygon(
        camera.lat, camera.lon, camera.bearing, camera.fov_angle, camera.fov_range_m
    )
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {
            "id": camera.pk,
            "name": camera.name,
            "owner": camera.get_owner_kind_display(),
            "online": camera.online,
            "lat": camera.lat,
            "lon": camera.lon,
        },
    }


@officer_required
@require_GET
def cameras_geojson(request: HttpRequest) -> JsonResponse:
    features = [feature(c) for c in scoping.cameras_for(request.user).filter(is_active=True)]
    return JsonResponse({"type": "FeatureCollection", "features": features})


@officer_required
@require_GET
def camera_detail(request: HttpRequest, pk: int) -> HttpResponse:
    camera = _camera(request, pk)
    context = {
        "camera": camera,
        "events": camera.events.select_related("actor").order_by("-at", "-pk")[:50],
        "alerts": camera.alerts.all()[:20],
        "can_edit": scoping.can_edit(request.user, camera),
        "worker_env": env_name(camera.name),
    }
    return render(request, "cctv/camera_detail.html", context)


def _edit(request: HttpRequest, camera: Camera | None) -> HttpResponse:
    if not scoping.can_edit(request.user, camera):
        raise PermissionDenied
    unit_ids = scoping.editable_unit_ids(request.user)
    form = CameraForm(request.POST or None, instance=camera, unit_ids=unit_ids)
    if request.method == "POST" and form.is_valid():
        saved = services.save_camera(form, request.user)
        messages.success(request, _("The camera was saved."))
        return redirect("cctv:camera_detail", saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "cctv/camera_form.html", {"form": form, "camera": camera}, status=status)


@officer_required
@require_http_methods(["GET", "POST"])
def camera_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@officer_required
@require_http_methods(["GET", "POST"])
def camera_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, _camera(request, pk))


@officer_required
@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    form = AlertFilterForm(data=request.GET)
    qs = form.apply(scoping.alerts_for(request.user))
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "cctv/alert_list.html", {"form": form, "page": page})


@officer_required
@require_GET
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = _alert(request, pk)
    context = {
        "alert": alert,
        "events": alert.events.select_related("actor").order_by("at", "pk"),
        "can_act": scoping.can_handle_alerts(request.user),
    }
    return render(request, "cctv/alert_detail.html", context)


@officer_required
@require_GET
def alert_snapshot(request: HttpRequest, pk: int) -> FileResponse:
    """The alert's snapshot, to staff who may see the alert (never a public URL)."""
    return media_path_response(_alert(request, pk).snapshot)


@officer_required
@require_POST
def alert_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    alert = _alert(request, pk)
    if not scoping.can_handle_alerts(request.user):
        raise PermissionDenied
    try:
        services.act_on_alert(alert, action, request.user, request.POST.get("target", ""))
    except services.ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The alert was updated."))
    return redirect("cctv:alert_detail", alert.pk)
