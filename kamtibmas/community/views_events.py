"""Staff pages of programmes and events (/petugas/kegiatan/). Views stay thin: scoping decides
what is visible and who may change it; programmes.py, events.py, attendance.py and
certificate.py change things (and audit them)."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kamtibmas.community import attendance, certificate, programmes, scoping
from kamtibmas.community import events as event_rules
from kamtibmas.community.forms_events import EventForm, ProgrammeForm, WalkInForm
from kamtibmas.community.models import Event, Programme
from kamtibmas.reports.views_staff import officer_required


def _programme(request: HttpRequest, pk: int) -> Programme:
    return get_object_or_404(scoping.programmes_for(request.user), pk=pk)


def _event(request: HttpRequest, pk: int) -> Event:
    qs = scoping.events_for(request.user).select_related("programme__organising_unit")
    return get_object_or_404(qs, pk=pk)


def _require_edit(request: HttpRequest, programme: Programme | None) -> None:
    if not scoping.can_edit(request.user, programme):
        raise PermissionDenied


@officer_required
@require_GET
def programme_list(request: HttpRequest) -> HttpResponse:
    rows = scoping.programmes_for(request.user).annotate(
        coming=Count("events", filter=Q(events__ends_at__gte=timezone.now())
                     & ~Q(events__status=Event.Status.CANCELLED)),
        held=Count("events", filter=Q(events__status=Event.Status.HELD)),
    ).order_by("-is_active", "name")  # fmt: skip
    coming = (
        scoping.events_for(request.user)
        .filter(ends_at__gte=timezone.now())
        .exclude(status=Event.Status.CANCELLED)
        .order_by("starts_at")[:10]
    )
    context = {"programmes": rows, "coming": coming, "can_create": scoping.can_edit(request.user)}
    return render(request, "community/programme_list.html", context)


def _programme_form(request: HttpRequest, programme: Programme | None) -> HttpResponse:
    _require_edit(request, programme)
    units = programmes.organising_units(request.user)
    form = ProgrammeForm(request.POST or None, instance=programme, units=units)
    if request.method == "POST" and form.is_valid():
        saved = programmes.save_programme(form, request.user)
        messages.success(request, _("The programme was saved."))
        return redirect("community:programme_detail", saved.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "programme": programme}
    return render(request, "community/programme_form.html", context, status=status)


@officer_required
@require_http_methods(["GET", "POST"])
def programme_create(request: HttpRequest) -> HttpResponse:
    return _programme_form(request, None)


@officer_required
@require_http_methods(["GET", "POST"])
def programme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _programme_form(request, _programme(request, pk))


@officer_required
@require_GET
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    now = timezone.now()
    rows = programme.events.select_related("kelurahan").annotate(
        registered=Count("registrations", filter=Q(registrations__cancelled_at__isnull=True)),
        attended=Count("registrations", filter=Q(registrations__attended_at__isnull=False)),
    )  # fmt: skip
    context = {
        "programme": programme,
        "coming": rows.filter(ends_at__gte=now).order_by("starts_at"),
        "past": rows.filter(ends_at__lt=now).order_by("-starts_at"),
        "counts": programmes.event_counts(programme),
        "can_edit": scoping.can_edit(request.user, programme),
    }
    return render(request, "community/programme_detail.html", context)


def _event_form(request: HttpRequest, programme: Programme, event: Event | None) -> HttpResponse:
    _require_edit(request, programme)
    instance = event or Event(programme=programme)
    form = EventForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = event_rules.save_event(form, request.user)
        messages.success(request, _("The event was saved."))
        return redirect("community:event_detail", saved.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "programme": programme, "event": event}
    return render(request, "community/event_form.html", context, status=status)


@officer_required
@require_http_methods(["GET", "POST"])
def event_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _event_form(request, _programme(request, pk), None)


@officer_required
@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    return _event_form(request, event.programme, event)


def _event_page(
    request: HttpRequest, event: Event, walk_in: WalkInForm | None = None, status: int = 200
) -> HttpResponse:
    registrations = event.registrations.select_related("kelurahan").order_by(
        "cancelled_at", "created_at"
    )
    context = {
        "event": event,
        "registrations": registrations,
        "seats_taken": event_rules.seats_taken(event),
        "seats_left": event_rules.seats_left(event),
        "attended": registrations.filter(attended_at__isnull=False).count(),
        "can_edit": scoping.can_edit(request.user, event.programme),
        "walk_in": walk_in or WalkInForm(),
        "window": event_rules.attendance_window_shown(event),
        # Ticking and walk-ins only from the event's day (attendance.py refuses them before).
        "attendance_open": timezone.now() >= event_rules.attendance_window(event)[0],
        "certificates": certificate.offers_certificates(event),
        "statuses": Event.Status,
    }
    return render(request, "community/event_detail.html", context, status=status)


@officer_required
@require_GET
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _event_page(request, _event(request, pk))


def _editable_event(request: HttpRequest, pk: int) -> Event:
    event = _event(request, pk)
    _require_edit(request, event.programme)
    return event


@officer_required
@require_POST
def event_status(request: HttpRequest, pk: int) -> HttpResponse:
    event = _editable_event(request, pk)
    try:
        event_rules.set_status(event, request.POST.get("status", ""), request.user)
    except event_rules.EventError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The status of the event was changed."))
    return redirect("community:event_detail", event.pk)


@officer_required
@require_POST
def event_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """Tick (present=1) or untick (present=0) one registrant."""
    event = _editable_event(request, pk)
    try:
        registration = event.registrations.get(pk=int(request.POST.get("registration", "")))
    except (ValueError, event.registrations.model.DoesNotExist):
        messages.error(request, _("That registration is not part of this event."))
        return redirect("community:event_detail", event.pk)
    try:
        if request.POST.get("present") == "1":
            attendance.mark_present(registration, request.user)
        else:
            attendance.mark_absent(registration, request.user)
    except attendance.AttendanceError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("community:event_detail", args=[event.pk]) + "#registrations")


@officer_required
@require_POST
def event_walk_in(request: HttpRequest, pk: int) -> HttpResponse:
    event = _editable_event(request, pk)
    form = WalkInForm(request.POST)
    if not form.is_valid():
        return _event_page(request, event, walk_in=form, status=400)
    try:
        attendance.add_walk_in(event, form.applicant(), request.user)
    except attendance.AttendanceError as exc:
        form.add_error(None, str(exc))
        return _event_page(request, event, walk_in=form, status=400)
    messages.success(request, _("The walk-in was added and marked present."))
    return redirect("community:event_detail", event.pk)


@officer_required
@require_POST
def event_rotate_qr(request: HttpRequest, pk: int) -> HttpResponse:
    event = _editable_event(request, pk)
    event_rules.rotate_attendance_token(event, request.user)
    messages.success(request, _("A new attendance QR code was made; the old one no longer works."))
    return redirect("community:event_qr", event.pk)


@officer_required
@require_GET
def event_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable attendance sheet: the QR code (SVG) and the link under it."""
    event = _editable_event(request, pk)
    url = event_rules.attend_url(event)
    svg = segno.make(url, error="m").svg_inline(scale=8, title=_("Attendance QR code"))
    context = {
        "event": event,
        "url": url,
        "svg": svg,
        "window": event_rules.attendance_window_shown(event),
    }
    response = render(request, "community/event_qr.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


@officer_required
@require_GET
def event_certificate(request: HttpRequest, pk: int, registration: int) -> HttpResponse:
    event = _event(request, pk)
    found = event.registrations.filter(pk=registration).first()
    if found is None or not certificate.is_eligible(found):
        raise Http404
    return _pdf(certificate.certificate_pdf(found, request.user), found)


def _pdf(data: bytes, registration: Any) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    number = registration.certificate_number.replace("/", "-")
    response["Content-Disposition"] = f'inline; filename="sertifikat-{number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
