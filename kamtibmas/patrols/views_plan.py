"""Patrol planning pages: tonight's plans per Polsek, a plan with its map and team lists,
commander adjustments, issuing, and the printable sheet. Views stay thin: ``plan_access``
decides what is visible, ``services``/``adjust`` change things."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kamtibmas.forecasts.explain import explanation_lines
from kamtibmas.forecasts.groups import CRIME_GROUPS, DEFAULT_GROUP, GROUP_LABELS
from kamtibmas.geo.models import Unit
from kamtibmas.patrols import adjust, nightly, plan_access, services
from kamtibmas.patrols.forms import DraftForm, resolve_shift, shift_choices
from kamtibmas.patrols.models import PatrolPlan, PatrolTeam, PlanStatus
from kamtibmas.reports.scoping import can_read_audit_log
from kamtibmas.reports.views_staff import officer_required

log = logging.getLogger(__name__)
FIELD_PAGE = "/petugas/patroli/tugas/"


def _plan(request: HttpRequest, pk: int) -> PatrolPlan:
    """The plan if the user may see it; 404 otherwise (never leak existence)."""
    qs = plan_access.plans_for(request.user).select_related("unit", "created_by", "issued_by")
    return get_object_or_404(qs, pk=pk)


@officer_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """Tonight's plans ("Rencana patroli malam ini"): each visible Polsek with its plan."""
    shift = resolve_shift(request.GET.get("shift"))
    if shift is None:
        messages.error(request, _("Unknown shift: showing tonight's plans instead."))
        shift = resolve_shift("tonight")
    assert shift is not None
    group = request.GET.get("group") or DEFAULT_GROUP
    if group not in CRIME_GROUPS:
        messages.error(request, _("Unknown crime group: showing 3C street crime."))
        group = DEFAULT_GROUP
    units = list(plan_access.visible_units(request.user))
    plans = {
        p.unit_id: p
        for p in plan_access.plans_for(request.user)
        .filter(shift_key=shift.key, group=group)
        .annotate(routed=Count("stops", filter=Q(stops__team__isnull=False)))
    }
    rows = [(u, plans.get(u.pk), plan_access.can_plan(request.user, u)) for u in units]
    return render(request, "patrols/plan_overview.html", {
        "shift": shift, "group": group, "group_label": GROUP_LABELS.get(group, group),
        "rows": rows, "shifts": shift_choices(), "groups": list(GROUP_LABELS.items()),
        "can_read_audit_log": can_read_audit_log(request.user),
        "can_plan_all": plan_access.can_plan_all(request.user),
        "missing": sum(1 for _u, p, ok in rows if p is None and ok),
    })  # fmt: skip


def draft_all(request: HttpRequest) -> HttpResponse:
    """Draft all ("Buat semua rencana", ``all`` in the draft form): a draft for every Polsek
    without a plan for the shift and group."""
    if not plan_access.can_plan_all(request.user):
        raise PermissionDenied
    shift = resolve_shift(request.POST.get("shift"))
    group = request.POST.get("group") or DEFAULT_GROUP
    back = reverse("patrols:plan_overview")
    if shift is None or group not in CRIME_GROUPS:
        messages.error(request, _("Unknown shift or crime group."))
        return redirect(back)
    units = list(plan_access.visible_units(request.user))
    result = nightly.draft_all([shift], group, request.user, units)
    messages.success(request, _("Draft plans made: %(made)s; already there: %(kept)s.")
                     % {"made": len(result.made), "kept": len(result.existing)})  # fmt: skip
    for reason in sorted(set(result.failed.values())):
        messages.error(request, reason)
    return redirect(f"{back}?shift={shift.key}&group={group}")


@officer_required
@require_POST
def draft(request: HttpRequest) -> HttpResponse:
    if request.POST.get("all"):
        return draft_all(request)
    form = DraftForm(request.POST)
    back = reverse("patrols:plan_overview")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    data = form.cleaned_data
    unit = Unit.objects.filter(code=data["unit"]).first()
    if unit is None:
        messages.error(request, _("Unknown unit."))
        return redirect(back)
    if not plan_access.can_plan(request.user, unit):
        raise PermissionDenied
    try:
        result = services.draft_plan(
            unit, data["shift"], data["group"], request.user, teams=data["teams"],
            dosage_min=data["dosage"] or 15, rebuild=data["rebuild"],
        )  # fmt: skip
    except services.PlanError as exc:
        messages.error(request, str(exc))
        return redirect(f"{back}?shift={data['shift'].key}&group={data['group']}")
    if result.created:
        messages.success(request, _("Draft plan made. Check it, adjust it, then issue it."))
    elif result.rebuilt:
        messages.success(request, _("The draft plan was made again from the forecast."))
    else:
        messages.info(request, _("This plan already exists: here it is."))
    return redirect("patrols:plan_detail", pk=result.plan.pk)


def _stop_view(plan: PatrolPlan, stop: Any) -> dict[str, Any]:
    arrivals = stop.reason.get("arrivals_min", []) if isinstance(stop.reason, dict) else []
    times = [plan.start + timedelta(minutes=float(m)) for m in arrivals]
    return {"stop": stop, "times": times, "why": explanation_lines(_expl(stop.reason))}


def _expl(reason: Any) -> dict[str, Any]:
    if not isinstance(reason, dict) or "near_m" not in reason:
        return {}
    return reason


def map_data(plan: PatrolPlan) -> dict[str, Any]:
    """Stops and route lines for the map: road paths where stored, straight lines otherwise."""
    teams: dict[int, dict[str, Any]] = {}
    candidates = []
    for stop in plan.stops.select_related("team").order_by("team_id", "order", "pk"):
        point = {"lat": stop.lat, "lon": stop.lon, "label": stop.label, "order": stop.order,
                 "rank": stop.rank, "minutes": stop.planned_minutes}  # fmt: skip
        if stop.team is None or stop.team_id is None:
            candidates.append(point)
            continue
        team = teams.setdefault(stop.team_id, {"name": stop.team.name, "stops": [], "line": []})
        team["stops"].append(point)
        team["line"] += stop.path or [[stop.lat, stop.lon]]
    return {"teams": list(teams.values()), "candidates": candidates}


@officer_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    stops = list(plan.stops.select_related("team", "kelurahan").order_by("order", "pk"))
    team_ids = sorted({s.team_id for s in stops if s.team_id is not None})
    team_rows = [(t, [_stop_view(plan, s) for s in stops if s.team_id == t.pk])
                 for t in PatrolTeam.objects.filter(pk__in=team_ids).order_by("name")]  # fmt: skip
    candidates = sorted((s for s in stops if s.team_id is None), key=lambda s: s.rank)
    planner = plan_access.can_plan(request.user, plan.unit)
    editable = plan.is_draft and planner
    closable = planner and plan.status == PlanStatus.ISSUED and timezone.now() >= plan.end
    return render(request, "patrols/plan_detail.html", {
        "plan": plan, "team_rows": team_rows, "candidates": candidates[:15],
        "editable": editable, "closable": closable,
        "events": plan.events.select_related("actor").order_by("-at")[:30],
        "unit_teams": PatrolTeam.objects.filter(unit=plan.unit, active=True).order_by("name"),
        "map_data": map_data(plan), "field_page": FIELD_PAGE,
        "shift_hours": (plan.end - plan.start).total_seconds() / 3600,
        "can_read_audit_log": can_read_audit_log(request.user),
        "road_legs": sum(1 for s in stops if s.path),
        "legs": max(0, sum(1 for s in stops if s.team_id is not None) - len(team_ids)),
    })  # fmt: skip


ACTIONS = {
    "remove": lambda plan, p, v, u: adjust.remove_stop(plan, p.get("stop"), v, u),
    "add": lambda plan, p, v, u: adjust.add_stop(plan, p.get("stop"), p.get("team"), v, u),
    "dosage": lambda plan, p, v, u: adjust.set_dosage(
        plan, p.get("stop"), p.get("minutes"), p.get("visits"), v, u
    ),
    "move": lambda plan, p, v, u: adjust.move_stop(plan, p.get("stop"), p.get("team"), v, u),
    "up": lambda plan, p, v, u: adjust.shift_order(plan, p.get("stop"), -1, v, u),
    "down": lambda plan, p, v, u: adjust.shift_order(plan, p.get("stop"), 1, v, u),
    "reroute": lambda plan, p, v, u: adjust.reroute(plan, v, u),
}


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@officer_required
@require_POST
def change(request: HttpRequest, pk: int) -> HttpResponse:
    """One commander adjustment of a draft (``action`` in ACTIONS), or issuing it."""
    plan = _plan(request, pk)
    if not plan_access.can_plan(request.user, plan.unit):
        raise PermissionDenied
    action, version = request.POST.get("action", ""), _version(request)
    if action == "close":
        _close(request, plan)
    elif action not in ACTIONS and action != "issue":
        messages.error(request, _("Unknown change."))
    elif version is None:
        messages.error(request, _("The form is missing the plan version: reload the page."))
    else:
        _apply(request, plan, action, version)
    return redirect("patrols:plan_detail", pk=plan.pk)


def _close(request: HttpRequest, plan: PatrolPlan) -> None:
    try:
        adjust.close(plan, request.user)
    except services.PlanError as exc:
        messages.error(request, str(exc))
        return
    messages.success(request, _("Plan closed."))


def _apply(request: HttpRequest, plan: PatrolPlan, action: str, version: int) -> None:
    try:
        if action == "issue":
            adjust.issue(plan, version, request.user)
            messages.success(request, _("Plan issued: the teams can now see it."))
            return
        overrun = ACTIONS[action](plan, request.POST, version, request.user)
    except services.PlanError as exc:
        messages.error(request, str(exc))
        return
    messages.success(request, _("Plan changed."))
    for team_id, minutes in overrun.items():
        team = PatrolTeam.objects.filter(pk=team_id).first()
        messages.warning(request, _("%(team)s's route runs %(minutes)s minutes past the shift.")
                         % {"team": team, "minutes": round(minutes)})  # fmt: skip


@officer_required
@require_GET
def sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable patrol sheet (PDF) of the plan, or of one team with ``?tim=ID``."""
    from kamtibmas.patrols.pdf import plan_pdf

    plan = _plan(request, pk)
    team = None
    if request.GET.get("tim"):
        team = PatrolTeam.objects.filter(pk=_int(request.GET["tim"]), unit=plan.unit).first()
        if team is None:
            messages.error(request, _("That team does not belong to this plan."))
            return redirect("patrols:plan_detail", pk=plan.pk)
    data = plan_pdf(plan, team, request.build_absolute_uri(FIELD_PAGE))
    response = HttpResponse(data, content_type="application/pdf")
    name = f"patroli-{plan.unit.code}-{plan.shift_key.replace('/', '-')}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0
