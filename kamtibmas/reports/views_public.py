"""Public pages: the report form, the receipt and the status page by tracking code.

No account is needed. Nothing here shows a reporter's identity, contact, exact place or photos,
and only public timeline events; lookups by code are throttled per client address.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from kamtibmas import throttle
from kamtibmas.reports import codes, intake
from kamtibmas.reports.forms import ReportForm, TrackForm
from kamtibmas.reports.models import EventKind, Report, ReportEvent, Status

SESSION_KEY = "filed_reports"
SESSION_KEEP = 20
PUBLIC_EVENT_KINDS = (EventKind.CREATED, EventKind.STATUS, EventKind.PUBLIC_NOTE)
STATUS_HELP = {
    Status.RECEIVED: _(
        "Your report has arrived and is waiting to be checked by the front desk (SPKT)."
    ),
    Status.VERIFIED: _(
        "An officer has checked your report and it will be handed to the unit responsible."
    ),
    Status.ASSIGNED: _("The responsible unit has taken your report and will follow it up."),
    Status.IN_PROGRESS: _("Officers are working on your report. Progress notes appear below."),
    Status.RESOLVED: _("The police have finished handling your report."),
    Status.REJECTED: _("The report could not be followed up. The reason is shown below."),
    Status.DUPLICATE: _(
        "The same event had already been reported; it is handled in the other report."
    ),
    Status.REFERRED: _("The matter belongs to another agency and was passed on to it."),
}


# --- helpers -------------------------------------------------------------------------------


def _throttle_response(request: HttpRequest, verdict: throttle.Verdict) -> HttpResponse:
    minutes = max(1, math.ceil(verdict.retry_after / 60))
    response = render(request, "reports/public/throttled.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(max(1, verdict.retry_after))
    return response


def _check_throttle(request: HttpRequest, scope: str, rate: str) -> HttpResponse | None:
    verdict = throttle.hit(scope, throttle.client_ip(request), rate)
    return None if verdict.allowed else _throttle_response(request, verdict)


def _track_rate() -> str:
    return settings.TRACK_THROTTLE


def _remember(request: HttpRequest, code: str) -> None:
    filed = [c for c in request.session.get(SESSION_KEY, []) if c != code]
    request.session[SESSION_KEY] = [*filed, code][-SESSION_KEEP:]


def _filed_here(request: HttpRequest, code: str) -> bool:
    return code in request.session.get(SESSION_KEY, [])


def _public_events(report: Report) -> QuerySet[ReportEvent]:
    return report.events.filter(is_public=True, kind__in=PUBLIC_EVENT_KINDS).order_by("at", "pk")


def _event_title(event: ReportEvent) -> str:
    if event.kind == EventKind.STATUS and event.new_value in Status.values:
        return str(_("Status: %(status)s") % {"status": Status(event.new_value).label})
    return str(EventKind(event.kind).label)


def _timeline(report: Report) -> list[dict[str, Any]]:
    """Only public events, with a title a resident understands; never who did it."""
    return [
        {"at": e.at, "kind": e.kind, "title": _event_title(e), "text": e.text}
        for e in _public_events(report)
    ]


def _find(code: str) -> Report | None:
    return (
        Report.objects.select_related("category", "kelurahan", "assigned_unit")
        .filter(tracking_code=code)
        .first()
    )


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/public/not_found.html", {"form": TrackForm()}, status=404)


# --- the report form -------------------------------------------------------------------------


def _form_context(form: ReportForm, submitted: bool) -> dict[str, Any]:
    return {
        "form": form,
        "problems": form.problems() if submitted else {},
        "submitted": submitted,
        "max_photos": settings.REPORT_PHOTO_MAX_COUNT,
        "max_photo_bytes": settings.REPORT_PHOTO_MAX_BYTES,
        "max_photo_mb": settings.REPORT_PHOTO_MAX_BYTES // (1024 * 1024),
        "map_center": settings.LEAFLET_CONFIG["DEFAULT_CENTER"],
        "map_zoom": settings.LEAFLET_CONFIG["DEFAULT_ZOOM"],
    }


def _photos(request: HttpRequest) -> list[tuple[str, Any]]:
    return [(upload.name or "photo", upload) for upload in request.FILES.getlist("photos")]


def _submit(request: HttpRequest, form: ReportForm) -> Report | None:
    """File the report, or put the messages on the form and return None."""
    photos = _photos(request)
    form_ok = form.is_valid()
    draft = form.draft()
    if not form_ok or form.intake_errors:
        try:
            intake.validate(draft, photos)
        except intake.IntakeError as exc:
            form.add_intake_errors(exc.errors)
        return None
    try:
        return intake.submit(
            draft,
            photos,
            channel="web",
            user=request.user,
            idempotency_key=form.cleaned_data["idempotency_key"] or None,
        )
    except intake.IntakeError as exc:
        form.add_intake_errors(exc.errors)
        return None


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def new_report(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "reports/public/form.html", _form_context(ReportForm(), False))
    refused = _check_throttle(request, "report_web", settings.REPORT_THROTTLE)
    if refused is not None:
        return refused
    form = ReportForm(request.POST)
    report = _submit(request, form)
    if report is None:
        return render(request, "reports/public/form.html", _form_context(form, True), status=400)
    _remember(request, report.tracking_code)
    return redirect("reports:receipt", code=report.tracking_code)


# --- receipt and status ----------------------------------------------------------------------


@never_cache
@require_safe
def receipt(request: HttpRequest, code: str) -> HttpResponse:
    normal = codes.normalize(code)
    if not normal or not _filed_here(request, normal):
        return redirect("reports:track", code=normal or code)
    report = _find(normal)
    if report is None:
        return _not_found(request)
    status_url = request.build_absolute_uri(reverse("reports:track", args=[normal]))
    return render(
        request, "reports/public/receipt.html", {"report": report, "status_url": status_url}
    )


@never_cache
@require_safe
def track_form(request: HttpRequest) -> HttpResponse:
    if "code" not in request.GET:
        return render(request, "reports/public/track_form.html", {"form": TrackForm()})
    refused = _check_throttle(request, "report_track", _track_rate())
    if refused is not None:
        return refused
    form = TrackForm(request.GET)
    if not form.is_valid():
        return render(request, "reports/public/track_form.html", {"form": form}, status=400)
    if Report.objects.filter(tracking_code=form.cleaned_data["code"]).exists():
        return redirect("reports:track", code=form.cleaned_data["code"])
    form.add_error(
        "code", _("No report has this tracking code. Check the code on your receipt and try again.")
    )
    return render(request, "reports/public/track_form.html", {"form": form}, status=404)


@never_cache
@require_safe
def track(request: HttpRequest, code: str) -> HttpResponse:
    refused = _check_throttle(request, "report_track", _track_rate())
    if refused is not None:
        return refused
    normal = codes.normalize(code)
    if not normal:
        return _not_found(request)
    if normal != code:
        return HttpResponseRedirect(reverse("reports:track", args=[normal]))
    report = _find(normal)
    if report is None:
        return _not_found(request)
    return render(
        request,
        "reports/public/status.html",
        {
            "report": report,
            "events": _timeline(report),
            "status_help": STATUS_HELP.get(Status(report.status), ""),
            "filed_here": _filed_here(request, normal),
        },
    )


urlpatterns: list[URLPattern] = [
    path("lapor/", new_report, name="new"),
    path("lapor/tanda-terima/<str:code>/", receipt, name="receipt"),
    path("lacak/", track_form, name="track_form"),
    path("lacak/<str:code>/", track, name="track"),
]
