"""Public pages: the calendar, an event's page with registration, the registrant's own page
(cancel, certificate), self check-in by QR code, and the iCal feed.

No account is needed. Registrants are never listed here. POSTs are rate-limited per client
address: registration and cancelling by ``EVENT_THROTTLE`` (default 30 per hour each), self
check-in by ``EVENT_ATTEND_THROTTLE`` per event (default 300 per hour: at a venue many phones
may share one Wi-Fi address)."""

from __future__ import annotations

import math
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kamtibmas import throttle
from kamtibmas.community import attendance, certificate, ical, registration
from kamtibmas.community import events as event_rules
from kamtibmas.community.forms_events import AttendForm, CalendarFilterForm, RegistrationForm
from kamtibmas.community.models import Event, Registration

SESSION_KEY = "event_registrations"
SESSION_KEEP = 20
PAST_LIMIT = 60
DEFAULT_THROTTLE = "30/h"
DEFAULT_ATTEND_THROTTLE = "300/h"


def _throttled(
    request: HttpRequest, scope: str, setting: str = "EVENT_THROTTLE", key: str = ""
) -> HttpResponse | None:
    default = DEFAULT_ATTEND_THROTTLE if setting == "EVENT_ATTEND_THROTTLE" else DEFAULT_THROTTLE
    rate = getattr(settings, setting, default)
    verdict = throttle.hit(scope, f"{throttle.client_ip(request)}:{key}", rate)
    if verdict.allowed:
        return None
    minutes = max(1, math.ceil(verdict.retry_after / 60))
    response = render(request, "reports/public/throttled.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(max(1, verdict.retry_after))
    return response


def _not_found(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "community/public/not_found.html", {"message": message}, status=404)


def _public_events() -> QuerySet[Event]:
    return Event.objects.filter(is_public=True).select_related(
        "programme", "programme__organising_unit", "kelurahan"
    )


def _remember(request: HttpRequest, token: str) -> None:
    kept = [t for t in request.session.get(SESSION_KEY, []) if t != token]
    request.session[SESSION_KEY] = [*kept, token][-SESSION_KEEP:]


@require_safe
def calendar(request: HttpRequest) -> HttpResponse:
    form = CalendarFilterForm(data=request.GET)
    now = timezone.now()
    rows = form.apply(_public_events())
    if form.past:
        rows = rows.filter(ends_at__lt=now).order_by("-starts_at")[:PAST_LIMIT]
    else:
        rows = rows.filter(ends_at__gte=now).order_by("starts_at")
    return render(request, "community/public/calendar.html", {"form": form, "events": rows})


def _find_event(uid: uuid.UUID) -> Event | None:
    return _public_events().filter(uid=uid).first()


def _detail_page(
    request: HttpRequest, event: Event, form: RegistrationForm, status: int = 200, refusal: str = ""
) -> HttpResponse:
    context = {
        "event": event,
        "form": form,
        "state": event_rules.registration_state(event),
        "seats_left": event_rules.seats_left(event),
        "refusal": refusal,
        "certificates": certificate.offers_certificates(event),
    }
    return render(request, "community/public/event.html", context, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def detail(request: HttpRequest, uid: uuid.UUID) -> HttpResponse:
    event = _find_event(uid)
    if event is None:
        return _not_found(request, _("There is no public event at this address."))
    if request.method != "POST":
        form = RegistrationForm(initial={"idempotency_key": uuid.uuid4().hex})
        return _detail_page(request, event, form)
    limited = _throttled(request, "event_register")
    if limited:
        return limited
    form = RegistrationForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, event, form, status=400)
    try:
        made, _created = registration.register(
            event, form.applicant(), form.cleaned_data.get("idempotency_key", "")
        )
    except registration.RegistrationError as exc:
        return _detail_page(request, event, form, status=409, refusal=str(exc))
    _remember(request, made.token)
    return redirect("events:registration", made.token)


def _registration(token: str) -> Registration | None:
    return (
        Registration.objects.select_related("event__programme__organising_unit", "event__kelurahan")
        .filter(token=token)
        .first()
    )


@never_cache
@require_safe
def registration_page(request: HttpRequest, token: str) -> HttpResponse:
    found = _registration(token)
    if found is None:
        return _not_found(request, _("This registration link is not valid."))
    context = {
        "registration": found,
        "event": found.event,
        "link": registration.registration_url(found),
        "certificate": certificate.is_eligible(found),
        "can_cancel": found.cancelled_at is None
        and found.attended_at is None
        and found.event.ends_at > timezone.now(),
    }
    response = render(request, "community/public/registration.html", context)
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_POST
def registration_cancel(request: HttpRequest, token: str) -> HttpResponse:
    limited = _throttled(request, "event_cancel")
    if limited:
        return limited
    found = _registration(token)
    if found is None:
        return _not_found(request, _("This registration link is not valid."))
    try:
        registration.cancel(found)
    except registration.RegistrationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your registration was cancelled; the seat is free again."))
    return redirect("events:registration", found.token)


@never_cache
@require_safe
def registration_certificate(request: HttpRequest, token: str) -> HttpResponse:
    found = _registration(token)
    if found is None or not certificate.is_eligible(found):
        return _not_found(request, _("There is no certificate for this registration."))
    response = HttpResponse(certificate.certificate_pdf(found), content_type="application/pdf")
    number = found.certificate_number.replace("/", "-")
    response["Content-Disposition"] = f'inline; filename="sertifikat-{number}.pdf"'
    return response


def _attend_page(
    request: HttpRequest, event: Event, form: AttendForm, status: int = 200, **extra: Any
) -> HttpResponse:
    mine = request.session.get(SESSION_KEY, [])
    context = {
        "event": event,
        "form": form,
        "open": event_rules.self_check_in_open(event),
        "window": event_rules.attendance_window_shown(event),
        "known": event.registrations.filter(token__in=mine, cancelled_at__isnull=True).first(),
        **extra,
    }
    return render(request, "community/public/attend.html", context, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def attend(request: HttpRequest, token: str) -> HttpResponse:
    event = Event.objects.select_related("programme").filter(attendance_token=token).first()
    if event is None:
        return _not_found(
            request, _("This attendance code is not valid. Ask the organisers for the current one.")
        )
    if request.method != "POST":
        return _attend_page(request, event, AttendForm())
    limited = _throttled(request, "event_attend", "EVENT_ATTEND_THROTTLE", str(event.pk))
    if limited:
        return limited
    form = AttendForm(request.POST)
    if not form.is_valid():
        return _attend_page(request, event, form, status=400)
    try:
        checked = attendance.self_check_in(event, form.cleaned_data["code"], form.applicant())
    except attendance.AttendanceError as exc:
        return _attend_page(request, event, form, status=409, refusal=str(exc))
    if checked.own:
        _remember(request, checked.registration.token)
    return _attend_page(request, event, AttendForm(), done=checked)


@require_safe
def ics(request: HttpRequest) -> HttpResponse:
    body = ical.calendar(ical.feed_events())
    response = HttpResponse(body.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="kegiatan-polres-balikpapan.ics"'
    response["Cache-Control"] = "public, max-age=900"
    return response
