"""Staff pages: record the topics heard at an event, and a programme's outcome report (HTML, CSV,
PDF). Views stay thin: aspirations.py files, outcome.py counts, scoping decides who sees what."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from kamtibmas.accounts import audit
from kamtibmas.community import aspirations, scoping
from kamtibmas.community.forms_aspirations import AspirationRows, OutcomeFilterForm
from kamtibmas.community.models import Event, Programme
from kamtibmas.community.outcome import Outcome, period_bounds, programme_outcome
from kamtibmas.community.outcome_export import figures, outcome_csv, outcome_pdf, state_label
from kamtibmas.reports import intake
from kamtibmas.reports import scoping as report_scoping
from kamtibmas.reports.views_staff import officer_required


def _event(request: HttpRequest, pk: int) -> Event:
    return get_object_or_404(scoping.events_for(request.user), pk=pk)


def _programme(request: HttpRequest, pk: int) -> Programme:
    return get_object_or_404(scoping.programmes_for(request.user), pk=pk)


def _form_page(
    request: HttpRequest, event: Event, rows: AspirationRows, status: int
) -> HttpResponse:
    context = {"event": event, "rows": rows, "refusal": aspirations.recording_refusal(event)}
    return render(request, "community/aspiration_form.html", context, status=status)


def _file(request: HttpRequest, event: Event, rows: AspirationRows) -> HttpResponse | None:
    """File the valid rows (all or none); None when a row was refused (errors are on it)."""
    filled = rows.filled()
    items = [form.item() for form in filled]
    problems = aspirations.check(event, items)
    if problems:
        rows.add_intake_errors(problems)
        return None
    try:
        filed = aspirations.file_all(event, items, request.user, batch_key=rows.batch)
    except intake.IntakeError as exc:  # a category switched off between check and filing
        rows.errors.extend(m for found in exc.errors.values() for m in found)
        return None
    count = len(filed)
    messages.success(
        request,
        ngettext(
            "%(count)d topic was filed in the report workflow.",
            "%(count)d topics were filed in the report workflow.",
            count,
        )
        % {"count": count},
    )
    return redirect_to_event(event)


def redirect_to_event(event: Event) -> HttpResponse:
    """Back to the staff event page (helper C's), or to this form when it is not there yet."""
    try:
        return redirect("community:event_detail", event.pk)
    except NoReverseMatch:
        return redirect("community:aspiration_create", event.pk)


@officer_required
@require_http_methods(["GET", "POST"])
def aspiration_create(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    if not scoping.can_edit(request.user, event.programme):
        raise PermissionDenied
    if request.method == "GET":
        return _form_page(request, event, AspirationRows(event), 200)
    rows = AspirationRows(event, request.POST)
    refusal = aspirations.recording_refusal(event)
    if refusal:
        rows.errors.append(refusal)
    elif rows.is_valid():
        done = _file(request, event, rows)
        if done is not None:
            return done
    return _form_page(request, event, rows, 400)


def _outcome(request: HttpRequest, pk: int) -> tuple[OutcomeFilterForm, Outcome]:
    programme = _programme(request, pk)
    form = OutcomeFilterForm(data=request.GET)
    start, end = form.period()
    return form, programme_outcome(programme, start, end)


def _audit_export(request: HttpRequest, outcome: Outcome, fmt: str) -> None:
    start, end = period_bounds(outcome)
    audit.record(
        request.user,
        "programme.outcome_export",
        outcome.programme,
        purpose="programme outcome report",
        format=fmt,
        start=start.isoformat() if start else "",
        end=end.isoformat() if end else "",
    )


@officer_required
@require_GET
def programme_outcome_page(request: HttpRequest, pk: int) -> HttpResponse:
    form, outcome = _outcome(request, pk)
    visible = set(
        report_scoping.reports_for(request.user)
        .filter(pk__in=[line.report.pk for line in outcome.topic_lines])
        .values_list("pk", flat=True)
    )
    context = {
        "form": form,
        "notices": form.notices(),
        "outcome": outcome,
        "figures": figures(outcome),
        "period": period_bounds(outcome),
        "topic_lines": [
            (line, line.report.pk in visible, state_label(line.state))
            for line in outcome.topic_lines
        ],
        "query": request.GET.urlencode(),
    }
    return render(request, "community/outcome.html", context)


def _file_name(outcome: Outcome, ext: str) -> str:
    start, end = period_bounds(outcome)
    span = f"-{start:%Y%m%d}-{end:%Y%m%d}" if start and end else ""
    return f"hasil-program-{outcome.programme.pk}{span}.{ext}"


@officer_required
@require_GET
def programme_outcome_csv(request: HttpRequest, pk: int) -> HttpResponse:
    _form, outcome = _outcome(request, pk)
    _audit_export(request, outcome, "csv")
    response = HttpResponse(outcome_csv(outcome), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_file_name(outcome, "csv")}"'
    return response


@officer_required
@require_GET
def programme_outcome_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    _form, outcome = _outcome(request, pk)
    _audit_export(request, outcome, "pdf")
    response = HttpResponse(outcome_pdf(outcome), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_file_name(outcome, "pdf")}"'
    return response
