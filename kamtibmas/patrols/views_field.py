"""The officer's phone page: the issued plan of the current shift, its places in route order
on a map, arrived / left taps with GPS, notes and incidents seen; and the sync endpoint that
applies the phone's queued actions (``sync.apply_actions``). Views stay thin."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from kamtibmas.forecasts.groups import GROUP_LABELS
from kamtibmas.forecasts.shifts import shift_at
from kamtibmas.patrols import sync
from kamtibmas.patrols.models import PatrolPlan, PatrolStop, PatrolTeam, Visit
from kamtibmas.reports.models import Category, Kind

MAX_BODY_BYTES = 512 * 1024
SW_VERSION = "1"  # raise to drop the phones' cached copies


def _field_user(request: HttpRequest) -> HttpResponseBase | None:
    """A login redirect or 403 for users who may not log visits; None when they may."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not sync.can_log_visits(request.user):
        raise PermissionDenied
    return None


@dataclass(frozen=True)
class Assignment:
    """A plan and (optionally) one of its teams: what one phone page shows."""

    plan: PatrolPlan
    team: PatrolTeam | None

    @property
    def url(self) -> str:
        if self.team is None:
            return reverse("patrols:field_plan", args=[self.plan.pk])
        return reverse("patrols:field_team", args=[self.plan.pk, self.team.pk])


def _my_assignments(user: Any, plans: Any) -> list[Assignment]:
    """The (plan, team) pairs where the user is a member of a team with places in the plan;
    plans where none of the user's teams has a place come as (plan, None)."""
    found: list[Assignment] = []
    for plan in plans.select_related("unit"):
        teams = PatrolTeam.objects.filter(stops__plan=plan).distinct()
        mine = [t for t in teams if t.members.filter(pk=user.pk).exists()]
        found += [Assignment(plan, t) for t in mine] or [Assignment(plan, None)]
    return found


@never_cache
@ensure_csrf_cookie
@require_GET
def field_home(request: HttpRequest) -> HttpResponseBase:
    """The current shift's plans: straight to the page when there is exactly one."""
    denied = _field_user(request)
    if denied is not None:
        return denied
    shift = shift_at(timezone.now())
    plans = sync.field_plans(request.user).filter(shift_key=shift.key)
    assignments = _my_assignments(request.user, plans)
    mine = [a for a in assignments if a.team is not None]
    if len(mine) == 1 or (not mine and len(assignments) == 1):
        return redirect((mine or assignments)[0].url)
    return render(
        request,
        "patrols/field_choose.html",
        {"shift": shift, "assignments": mine or assignments, "group_labels": GROUP_LABELS},
    )


@never_cache
@ensure_csrf_cookie
@require_GET
def field_plan(request: HttpRequest, plan_id: int) -> HttpResponseBase:
    denied = _field_user(request)
    if denied is not None:
        return denied
    plan = _plan(request, plan_id)
    mine = [a for a in _my_assignments(request.user, PatrolPlan.objects.filter(pk=plan.pk))]
    if len(mine) == 1 and mine[0].team is not None:
        return redirect(mine[0].url)
    return _render_field(request, plan, None)


@never_cache
@ensure_csrf_cookie
@require_GET
def field_team(request: HttpRequest, plan_id: int, team_id: int) -> HttpResponseBase:
    denied = _field_user(request)
    if denied is not None:
        return denied
    plan = _plan(request, plan_id)
    team = PatrolTeam.objects.filter(pk=team_id, unit_id=plan.unit_id).first()
    if team is None:
        raise Http404
    return _render_field(request, plan, team)


def _plan(request: HttpRequest, plan_id: int) -> PatrolPlan:
    plan = sync.field_plans(request.user).select_related("unit").filter(pk=plan_id).first()
    if plan is None:
        raise Http404
    return plan


def _render_field(request: HttpRequest, plan: PatrolPlan, team: PatrolTeam | None) -> HttpResponse:
    stops = plan.stops.filter(team__isnull=False)  # candidates left off the routes: not shown
    stops = stops.select_related("team").order_by("team__name", "order", "pk")
    if team is not None:
        stops = stops.filter(team=team)
    stop_list = list(stops)
    teams = PatrolTeam.objects.filter(stops__plan=plan).distinct().order_by("name")
    context = {
        "plan": plan,
        "team": team,
        "teams": teams,
        "stops": stop_list,
        "group_label": GROUP_LABELS.get(plan.group, plan.group),
        "categories": Category.objects.filter(kind=Kind.CRIME, is_active=True).order_by(
            "order", "name_id"
        ),
        "field_data": _field_data(request, plan, team, stop_list),
        "field_i18n": field_i18n(),
    }
    return render(request, "patrols/field.html", context)


def _field_data(
    request: HttpRequest, plan: PatrolPlan, team: PatrolTeam | None, stops: list[PatrolStop]
) -> dict[str, Any]:
    """What field.js needs: the places, the officer's visits the server already has."""
    visits = Visit.objects.filter(plan=plan, officer_id=request.user.pk)
    if team is not None:
        visits = visits.filter(Q(team=team) | Q(stop__team=team) | Q(stop__isnull=True))
    return {
        "user": request.user.pk,
        "plan": plan.pk,
        "team": team.pk if team else None,
        "syncUrl": reverse("patrols:field_sync"),
        "stops": [
            {
                "id": s.pk,
                "order": s.order,
                "label": s.label,
                "lat": s.lat,
                "lon": s.lon,
                "minutes": s.planned_minutes,
                "path": s.path or [],
            }
            for s in stops
        ],  # fmt: skip
        "visits": [
            {
                "visit": str(v.client_id),
                "stop": v.stop_id,
                "arrived": v.arrived_at.isoformat(),
                "left": v.left_at.isoformat() if v.left_at else None,
            }
            for v in visits
        ],  # fmt: skip
    }


def field_i18n() -> dict[str, str]:
    """The texts field.js shows, translated on the server (the script has no catalogue)."""
    return {
        "waiting": _("%(n)s action(s) waiting to sync"),
        "synced": _("Everything is synced"),
        "syncing": _("Syncing…"),
        "offline": _("Offline: actions are kept on this phone"),
        "login": _("Log in again to sync (nothing is lost)."),
        "rejected": _("Not accepted by the server"),
        "notVisited": _("Not visited yet"),
        "onSite": _("On site since %(time)s"),
        "done": _("Visited %(from)s–%(to)s (%(minutes)s min)"),
        "noGps": _("without GPS"),
        "gpsAcc": _("GPS ± %(m)s m"),
        "gpsWait": _("Getting the GPS position…"),
        "saved": _("Saved on this phone"),
        "reported": _("Incident queued for the report desk"),
        "needText": _("Describe what you saw in at least 10 characters."),
        "needCategory": _("Choose a category."),
    }


# ---- sync endpoint ------------------------------------------------------------------------


def _json_error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@never_cache
@require_POST
def field_sync(request: HttpRequest) -> HttpResponseBase:
    """Apply the phone's queued actions; one result per action (JSON)."""
    if not request.user.is_authenticated:
        return _json_error(_("Your session has ended: log in again to sync."), 401)
    if not sync.can_log_visits(request.user):
        return _json_error(_("You may not log patrol visits."), 403)
    if len(request.body) > MAX_BODY_BYTES:
        return _json_error(_("Too many actions at once."), 413)
    try:
        payload = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _json_error(_("The request is not valid JSON."), 400)
    actions = payload.get("actions") if isinstance(payload, dict) else None
    try:
        results = sync.apply_actions(request.user, actions)
    except sync.ActionError as exc:
        return _json_error(str(exc), 400)
    return JsonResponse(
        {"results": [r.as_dict() for r in results], "server_time": timezone.now().isoformat()}
    )


@require_GET
def field_service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker that keeps the page shell for offline reloads (scope: the page)."""
    context = {"version": SW_VERSION, "STATIC_URL": settings.STATIC_URL}
    body = render_to_string("patrols/field_sw.js", context, request=request)
    response = HttpResponse(body, content_type="application/javascript")
    response["Service-Worker-Allowed"] = reverse("patrols:field_home")
    response["Cache-Control"] = "no-cache"
    return response
