"""Dosage report pages: planned against actual minutes on site per unit, plan and team, and
place; CSV of the per-place rows. Commanders, analysts and administrators; unit-scoped."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kamtibmas.forecasts.groups import GROUP_LABELS
from kamtibmas.patrols import dosage, plan_access

MAX_PLACE_ROWS = 500


def review_gate(request: HttpRequest) -> HttpResponseBase | None:
    """A login redirect or 403 for users who may not read patrol reviews; None when they may."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not dosage.can_review(request.user):
        raise PermissionDenied
    return None


def _selected(request: HttpRequest) -> tuple[dosage.DosageFilter, list[dosage.StopDosage]]:
    flt, notices = dosage.parse_filter(request.user, request.GET)
    for notice in notices:
        messages.warning(request, notice)
    return flt, dosage.stop_rows(dosage.plans_in(request.user, flt))


@require_GET
def dosage_report(request: HttpRequest) -> HttpResponseBase:
    denied = review_gate(request)
    if denied is not None:
        return denied
    flt, rows = _selected(request)
    context: dict[str, Any] = {
        "flt": flt,
        "units": plan_access.visible_units(request.user),
        "group_labels": GROUP_LABELS,
        "total": dosage.summarise(rows, lambda r: ("",), flt.top_k),
        "per_unit": dosage.summarise(rows, dosage.by_unit, flt.top_k),
        "per_plan": dosage.summarise(rows, dosage.by_plan_team, flt.top_k),
        "rows": rows[:MAX_PLACE_ROWS],
        "rows_cut": len(rows) > MAX_PLACE_ROWS,
        "query": request.GET.urlencode(),
    }
    return render(request, "patrols/dosage.html", context)


CSV_COLUMNS = (
    "shift", "unit", "team", "plan_id", "stop_id", "rank", "place", "planned_minutes",
    "planned_visits", "visits_made", "open_visits", "actual_minutes", "longest_visit_minutes",
    "covered",
)  # fmt: skip


@require_GET
def dosage_csv(request: HttpRequest) -> HttpResponseBase:
    denied = review_gate(request)
    if denied is not None:
        return denied
    flt, rows = _selected(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow([
            r.shift_key, r.unit, r.team, r.plan_id, r.stop_id or "", r.rank, r.label,
            r.planned_minutes, r.planned_visits, r.visits_made, r.open_visits,
            f"{r.actual_minutes:.1f}", f"{r.longest_minutes:.1f}", int(r.covered),
        ])  # fmt: skip
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"dosis-patroli-{flt.date_from:%Y%m%d}-{flt.date_to:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
