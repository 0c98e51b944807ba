"""The Bhabinkamtibmas dashboard and the door-to-door visit log (staff pages)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kamtibmas.geo.models import Kelurahan
from kamtibmas.reports.views_staff import officer_required
from kamtibmas.siskamling import dashboard, scoping, visits
from kamtibmas.siskamling.forms_roster import DoorVisitForm, KelurahanFilterForm, VisitFilterForm

VISITS_PER_PAGE = 30


@officer_required
@require_GET
def dashboard_page(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    form = KelurahanFilterForm(
        request.GET or None, kelurahan=dashboard.dashboard_kelurahan(request.user)
    )
    chosen = form.selected() if form.is_bound else None
    rows = [dashboard.post_row(p, now) for p in dashboard.dashboard_posts(request.user, chosen)]
    latest, month_count = dashboard.latest_visits(request.user, now)
    context = {
        "form": form,
        "rows": rows,
        "totals": dashboard.totals(rows),
        "latest_visits": latest,
        "visits_this_month": month_count,
        "can_log_visits": visits.can_log_visits(request.user),
        "can_add_post": scoping.can_edit(request.user),
    }
    return render(request, "siskamling/dashboard.html", context)


def _visit_context(request: HttpRequest, form: DoorVisitForm | None) -> dict[str, Any]:
    filters = VisitFilterForm(request.GET or None, kelurahan=_filter_kelurahan(request))
    qs = scoping.door_visits_for(request.user)
    if filters.is_valid():
        if filters.cleaned_data.get("kelurahan"):
            qs = qs.filter(kelurahan=filters.cleaned_data["kelurahan"])
        if filters.cleaned_data.get("month"):
            qs = visits.in_month(qs, *filters.cleaned_data["month"])
    page = Paginator(qs, VISITS_PER_PAGE).get_page(request.GET.get("page"))
    return {
        "filters": filters,
        "page": page,
        "form": form,
        "can_log_visits": visits.can_log_visits(request.user),
    }


def _filter_kelurahan(request: HttpRequest) -> QuerySet[Kelurahan]:
    """Kelurahan with visits in the user's scope and those the user may log visits in."""
    ids = set(scoping.door_visits_for(request.user).values_list("kelurahan_id", flat=True))
    ids |= set(visits.visit_kelurahan(request.user).values_list("pk", flat=True))
    return Kelurahan.objects.filter(pk__in=ids).order_by("name")


@officer_required
@require_http_methods(["GET", "POST"])
def visit_list(request: HttpRequest) -> HttpResponse:
    """The visit log (scoped) with its filters; community officers add visits here."""
    may_log = visits.can_log_visits(request.user)
    if request.method == "POST" and not may_log:
        raise PermissionDenied
    form = None
    if may_log:
        form = DoorVisitForm(request.POST or None, kelurahan=visits.visit_kelurahan(request.user))
    if request.method == "POST" and form is not None:
        if form.is_valid():
            visits.record_visit(form.save(commit=False), request.user)
            messages.success(request, _("The visit was added to the log."))
            return redirect("siskamling:visit_list")
        messages.error(request, _("The visit was not saved: please correct the marked fields."))
    status = 400 if request.method == "POST" else 200
    return render(
        request, "siskamling/visit_list.html", _visit_context(request, form), status=status
    )
