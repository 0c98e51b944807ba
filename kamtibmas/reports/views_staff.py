"""Staff pages: the inbox, its map, a report's detail with timeline and audit, and the triage
actions. Views stay thin: scoping decides what is visible, workflow changes things."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kamtibmas.accounts import audit
from kamtibmas.accounts.models import AuditEvent
from kamtibmas.media import stored_file_response
from kamtibmas.reports import incident_link, queries, scoping, workflow
from kamtibmas.reports.models import Report, Status
from kamtibmas.reports.sources import report_source
from kamtibmas.reports.staff_forms import (
    EditForm,
    InboxFilterForm,
    MergeForm,
    NoteForm,
    RevealForm,
    TransitionForm,
)

PER_PAGE = 25
View = Callable[..., HttpResponseBase]


def officer_required(view: View) -> View:
    """Anonymous visitors go to the login page; signed-in non-officers get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not getattr(user, "is_officer", False):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _scope(request: HttpRequest) -> QuerySet[Report]:
    return scoping.reports_for(request.user)


def _report(request: HttpRequest, code: str) -> Report:
    """The report if it is in the user's scope; 404 otherwise (never leak existence)."""
    qs = _scope(request).select_related(
        "category", "kelurahan", "assigned_unit", "assignee", "duplicate_of"
    )
    return get_object_or_404(qs, tracking_code=code)


def detail_url(report: Report) -> str:
    return reverse("reports:detail", args=[report.tracking_code])


# ---- inbox -------------------------------------------------------------------------------


def _filtered(request: HttpRequest) -> tuple[InboxFilterForm, QuerySet[Report]]:
    form = InboxFilterForm(data=request.GET)
    qs = _scope(request).select_related("category", "kelurahan", "assigned_unit")
    return form, queries.apply_filters(qs, form.filters())


@officer_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    form, qs = _filtered(request)
    for notice in form.notices():
        messages.warning(request, notice)
    scope = _scope(request)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reports/staff/inbox.html",
        {
            "form": form,
            "page": Paginator(qs, PER_PAGE).get_page(request.GET.get("page")),
            "counts": queries.status_counts(scope),
            "overdue_total": queries.overdue_count(scope),
            "query": query.urlencode(),
            "map_url": reverse("reports:inbox_map"),
            "can_read_audit_log": scoping.can_read_audit_log(request.user),
        },
    )


@officer_required
@require_GET
def inbox_map(request: HttpRequest) -> HttpResponse:
    _form, qs = _filtered(request)
    return JsonResponse(queries.map_features(qs, detail_url))


# ---- detail ------------------------------------------------------------------------------


@dataclass
class Failed:
    """A form that was refused, re-shown with what the officer typed."""

    key: str
    form: forms.Form
    message: str = ""
    status: int = 400


def _transition_forms(
    report: Report, visible: QuerySet[Report], failed: Failed | None
) -> list[tuple[str, str, forms.Form, str]]:
    out = []
    for target in workflow.allowed_targets(report):
        key = f"transition:{target}"
        if failed is not None and failed.key == key:
            out.append((target, str(Status(target).label), failed.form, failed.message))
            continue
        initial = {
            "to": target,
            "version": report.version,
            "unit": report.assigned_unit_id,
            "assignee": report.assignee_id,
        }
        out.append(
            (
                target,
                str(Status(target).label),
                TransitionForm(initial=initial, visible=visible),
                "",
            )
        )
    return out


def _form(failed: Failed | None, key: str, default: forms.Form) -> tuple[forms.Form, str]:
    if failed is not None and failed.key == key:
        return failed.form, failed.message
    return default, ""


def _orphan_transition_error(report: Report, failed: Failed | None) -> str:
    """The message of a refused transition whose form is not on the page (target not
    allowed from the current status)."""
    if failed is None or not failed.key.startswith("transition:"):
        return ""
    shown = failed.key.removeprefix("transition:") in workflow.allowed_targets(report)
    return "" if shown else failed.message


def _permissions(user: Any, report: Report) -> dict[str, bool]:
    return {
        "can_triage": scoping.can_triage(user, report),
        "can_add_notes": scoping.can_add_notes(user, report),
        "can_see_reporter": scoping.can_see_reporter(user, report),
        "can_create_incident": scoping.can_triage(user, report)
        and incident_link.can_create_incident(report),
    }


def _audit_rows(report: Report) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type="report", object_id=str(report.pk)).select_related(
        "actor", "actor_unit"
    )


def _detail_context(
    request: HttpRequest, report: Report, failed: Failed | None = None, revealed: bool = False
) -> dict[str, Any]:
    visible = _scope(request)
    note_form, note_error = _form(failed, "note", NoteForm(initial={"version": report.version}))
    edit_form, edit_error = _form(failed, "edit", EditForm(report=report))
    reveal_form, reveal_error = _form(failed, "reveal", RevealForm())
    status_error = _orphan_transition_error(report, failed)
    incident_error = failed.message if failed is not None and failed.key == "incident" else ""
    merge_error = failed.message if failed is not None and failed.key == "merge" else ""
    return {
        "report": report,
        "photos": report.photos.all(),
        "events": report.events.select_related("actor").all(),
        "audit_rows": _audit_rows(report),
        "now_overdue": report.is_overdue(),
        "hints": queries.duplicate_hints(report, visible),
        "can_merge": Status.DUPLICATE in workflow.allowed_targets(report),
        "transition_forms": _transition_forms(report, visible, failed),
        "note_form": note_form,
        "note_error": note_error,
        "edit_form": edit_form,
        "edit_error": edit_error,
        "reveal_form": reveal_form,
        "reveal_error": reveal_error,
        "revealed": revealed,
        "incident_error": incident_error,
        "status_error": status_error,
        "can_read_audit_log": scoping.can_read_audit_log(request.user),
        "merge_error": merge_error,
        "incident": incident_link.incident_of(report),
        "source": report_source(report),
        "answers": _answers(report),
        **_permissions(request.user, report),
    }


def _answers(report: Report) -> list[tuple[str, Any]]:
    """Answers to the category's extra questions, labelled in the page's language; keys that are
    no question of the category (internal or stale) are not shown."""
    english = translation.get_language() == "en"
    labels = {
        q["code"]: q.get("description_en" if english else "description_id") or q["code"]
        for q in report.category.questions or []
        if isinstance(q, dict) and "code" in q
    }
    return [(labels[key], value) for key, value in (report.extra or {}).items() if key in labels]


def _render_detail(
    request: HttpRequest, report: Report, failed: Failed | None = None, revealed: bool = False
) -> HttpResponse:
    status = failed.status if failed is not None else 200
    context = _detail_context(request, report, failed, revealed)
    return render(request, "reports/staff/detail.html", context, status=status)


@officer_required
@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    return _render_detail(request, _report(request, code))


@officer_required
@require_GET
def photo(request: HttpRequest, code: str, pk: int) -> FileResponse:
    """Photos are served only through this permission-checked view, never from /media/."""
    return stored_file_response(get_object_or_404(_report(request, code).photos, pk=pk).image)


# ---- actions -----------------------------------------------------------------------------

Handler = Callable[[HttpRequest, Report], "Failed | str"]


def _refused(key: str, form: forms.Form, exc: workflow.WorkflowError) -> Failed:
    status = 409 if isinstance(exc, workflow.StaleReportError) else 400
    return Failed(key, form, exc.message, status)


def _invalid(key: str, form: forms.Form) -> Failed:
    return Failed(key, form, _("Please correct the marked fields."))


def do_transition(request: HttpRequest, report: Report) -> Failed | str:
    form = TransitionForm(request.POST, visible=_scope(request))
    key = f"transition:{request.POST.get('to', '')}"
    if not form.is_valid():
        return _invalid(key, form)
    to, version = form.cleaned_data["to"], form.cleaned_data["version"]
    original = form.cleaned_data.get("duplicate_of")
    try:
        if to == Status.DUPLICATE and original is not None:
            workflow.merge_duplicate(report, original, request.user, expected_version=version)
        else:
            workflow.transition(
                report,
                to,
                request.user,
                reason=form.cleaned_data["reason"],
                expected_version=version,
                **form.extra(),
            )
    except workflow.WorkflowError as exc:
        return _refused(key, form, exc)
    return _("The report is now “%(status)s”.") % {"status": Status(to).label}


def do_merge(request: HttpRequest, report: Report) -> Failed | str:
    form = MergeForm(request.POST)
    if not form.is_valid():
        return Failed("merge", form, _("Choose the report this one duplicates."))
    original = _scope(request).filter(tracking_code=form.cleaned_data["original"]).first()
    if original is None or original.pk == report.pk:
        return Failed("merge", form, _("Choose the report this one duplicates."))
    try:
        workflow.merge_duplicate(
            report, original, request.user, expected_version=form.cleaned_data["version"]
        )
    except workflow.WorkflowError as exc:
        return _refused("merge", form, exc)
    return _("Merged as a duplicate of %(code)s.") % {"code": original.tracking_code}


def do_note(request: HttpRequest, report: Report) -> Failed | str:
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _invalid("note", form)
    try:
        workflow.add_note(
            report,
            request.user,
            form.cleaned_data["text"],
            public=form.is_public,
            expected_version=form.cleaned_data["version"],
        )
    except workflow.WorkflowError as exc:
        return _refused("note", form, exc)
    if form.is_public:
        return _("The progress note was sent to the reporter.")
    return _("The internal note was saved.")


def do_edit(request: HttpRequest, report: Report) -> Failed | str:
    form = EditForm(request.POST, report=report)
    if not form.is_valid():
        return _invalid("edit", form)
    changes = form.changes()
    if not changes:
        return _("Nothing was changed.")
    try:
        workflow.update_fields(
            report, request.user, changes, expected_version=form.cleaned_data["version"]
        )
    except workflow.WorkflowError as exc:
        return _refused("edit", form, exc)
    return _("The changes were saved.")


def do_incident(request: HttpRequest, report: Report) -> Failed | str:
    try:
        incident = incident_link.create_incident(report, request.user)
    except workflow.WorkflowError as exc:
        return _refused("incident", forms.Form(), exc)
    return _("Incident record #%(id)s was created.") % {"id": incident.pk}


ACTIONS: dict[str, tuple[Handler, Callable[[Any, Report], bool]]] = {
    "transition": (do_transition, scoping.can_triage),
    "merge": (do_merge, scoping.can_triage),
    "edit": (do_edit, scoping.can_triage),
    "incident": (do_incident, scoping.can_triage),
    "note": (do_note, scoping.can_add_notes),
}


@officer_required
@require_POST
def action(request: HttpRequest, code: str, name: str) -> HttpResponse:
    report = _report(request, code)
    if name not in ACTIONS:
        raise Http404
    handler, allowed = ACTIONS[name]
    if not allowed(request.user, report):
        raise PermissionDenied
    outcome = handler(request, report)
    if isinstance(outcome, Failed):
        return _render_detail(request, _report(request, code), outcome)
    messages.success(request, outcome)
    return redirect(detail_url(report))


@officer_required
@require_POST
def reveal_reporter(request: HttpRequest, code: str) -> HttpResponse:
    """Show the reporter's identity once, for a stated purpose; every read is audited."""
    report = _report(request, code)
    if not scoping.can_see_reporter(request.user, report):
        raise PermissionDenied
    form = RevealForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, report, _invalid("reveal", form))
    audit.record(request.user, "view_reporter", report, purpose=form.cleaned_data["purpose"])
    return _render_detail(request, report, revealed=True)


urlpatterns = [
    path("petugas/laporan/", inbox, name="inbox"),
    path("petugas/laporan/peta.json", inbox_map, name="inbox_map"),
    path("petugas/laporan/<str:code>/", detail, name="detail"),
    path("petugas/laporan/<str:code>/foto/<int:pk>/", photo, name="staff_photo"),
    path("petugas/laporan/<str:code>/pelapor/", reveal_reporter, name="reveal_reporter"),
    path("petugas/laporan/<str:code>/aksi/<slug:name>/", action, name="action"),
]
