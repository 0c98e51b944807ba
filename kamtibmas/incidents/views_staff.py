"""Staff pages of incident records: list with filters and export, detail with audit trail,
create and edit. Views stay thin: scoping decides what is visible, services change things."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kamtibmas.incidents import filters, scoping, services
from kamtibmas.incidents.export import iter_export
from kamtibmas.incidents.forms import IncidentFilterForm, IncidentForm, offence_label
from kamtibmas.incidents.models import Incident
from kamtibmas.reports import scoping as report_scoping
from kamtibmas.reports.scoping import can_read_audit_log
from kamtibmas.reports.views_staff import officer_required

PER_PAGE = 50
EXPORT_TYPES = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "geojson": ("application/geo+json", "geojson"),
}


def _scope(request: HttpRequest) -> QuerySet[Incident]:
    return scoping.incidents_for(request.user)


def _incident(request: HttpRequest, pk: int) -> Incident:
    """The incident if it is in the user's scope; 404 otherwise (never leak existence)."""
    qs = _scope(request).select_related("kelurahan", "unit", "source_report", "import_batch")
    return get_object_or_404(qs, pk=pk)


def detail_url(incident: Incident) -> str:
    return reverse("incidents:detail", args=[incident.pk])


def _filtered(request: HttpRequest) -> tuple[IncidentFilterForm, QuerySet[Incident]]:
    form = IncidentFilterForm(data=request.GET)
    qs = _scope(request).select_related("kelurahan", "unit")
    return form, filters.apply_filters(qs, form.filters())


def _query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@officer_required
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    form, qs = _filtered(request)
    for notice in form.notices():
        messages.warning(request, notice)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    with_point, without_point = filters.location_counts(qs)
    labels = dict(form.fields["category"].choices)  # type: ignore[attr-defined]
    return render(
        request,
        "incidents/list.html",
        {
            "form": form,
            "page": page,
            "rows": [(i, labels.get(i.category, i.category)) for i in page],
            "counts": filters.status_counts(qs),
            "with_point": with_point,
            "without_point": without_point,
            "query": _query(request),
            "can_create": scoping.can_create(request.user),
            "can_import": scoping.can_import(request.user),
            "can_read_audit_log": can_read_audit_log(request.user),
        },
    )


@officer_required
@require_GET
def export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The filtered, scoped set as CSV or GeoJSON (no personal data: incidents hold none)."""
    if fmt not in EXPORT_TYPES:
        raise Http404
    _form, qs = _filtered(request)
    content_type, extension = EXPORT_TYPES[fmt]
    # Streamed chunk by chunk: a million rows never sit in memory at once.
    response = StreamingHttpResponse(iter_export(qs, fmt), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="kejadian.{extension}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _events(incident: Incident) -> QuerySet[Any]:
    return incident.events.select_related("actor").all()


@officer_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    report = incident.source_report
    return render(
        request,
        "incidents/detail.html",
        {
            "incident": incident,
            "category_label": offence_label(incident.category),
            "events": _events(incident),
            "report_visible": report is not None and report_scoping.can_view(request.user, report),
            "can_edit": scoping.can_edit(request.user, incident),
            "can_import": scoping.can_import(request.user),
            "can_read_audit_log": can_read_audit_log(request.user),
        },
    )


def _form_kwargs(request: HttpRequest) -> dict[str, Any]:
    return {
        "unit_ids": scoping.allowed_unit_ids(request.user),
        "fallback_unit": request.user.unit,  # type: ignore[union-attr]
    }


def _render_form(
    request: HttpRequest,
    form: IncidentForm,
    incident: Incident | None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "incident": incident,
        "error": error,
        "can_read_audit_log": can_read_audit_log(request.user),
    }
    return render(request, "incidents/form.html", context, status=status)


@officer_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    if not scoping.can_create(request.user):
        raise PermissionDenied
    if request.method != "POST":
        return _render_form(request, IncidentForm(**_form_kwargs(request)), None)
    form = IncidentForm(request.POST, **_form_kwargs(request))
    if not form.is_valid():
        return _render_form(request, form, None, _("Please correct the marked fields."), 400)
    incident = services.create_incident(form.values(), request.user)
    messages.success(request, _("Incident record #%(id)s was created.") % {"id": incident.pk})
    return redirect(detail_url(incident))


@officer_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    if not scoping.can_edit(request.user, incident):
        raise PermissionDenied
    if request.method != "POST":
        return _render_form(
            request, IncidentForm(incident=incident, **_form_kwargs(request)), incident
        )
    form = IncidentForm(request.POST, incident=incident, **_form_kwargs(request))
    if not form.is_valid():
        return _render_form(request, form, incident, _("Please correct the marked fields."), 400)
    changes = form.changes()
    version = form.cleaned_data.get("version") or incident.version
    try:
        services.update_incident(incident, request.user, changes, expected_version=version)
    except services.IncidentError as exc:
        status = 409 if isinstance(exc, services.StaleIncidentError) else 400
        return _render_form(request, form, incident, exc.message, status)
    messages.success(
        request, _("The changes were saved.") if changes else _("Nothing was changed.")
    )
    return redirect(detail_url(incident))
