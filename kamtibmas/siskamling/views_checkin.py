"""The post coordinator's pages (/pos/<token>/): record the night's round, report something
suspicious. No account: the secret token is the key, and an unknown or revoked one gets a 404
that does not say whether a post exists. Phone-first, no script needed; POSTs are rate-limited
per client address.

The page may be reached from a QR code stuck on the post, so it shows the post's name and
tonight's duty list only: never the coordinator's contact."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from kamtibmas.reports import intake
from kamtibmas.reports.views_public import _check_throttle
from kamtibmas.siskamling import checkin
from kamtibmas.siskamling.forms_checkin import RoundForm, SuspiciousForm
from kamtibmas.siskamling.models import CheckIn, Post, RosterNight

ROUND_RATE = "30/h"


def _private(response: HttpResponse) -> HttpResponse:
    """The token is in the address: keep it out of caches and other sites' referrers.
    Same-origin rather than no-referrer: with no-referrer a browser sends "Origin: null" on
    the form's POST and the CSRF check refuses it."""
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> (
        HttpResponse):  # fmt: skip
    return _private(render(request, template, context, status=status))


def _invalid(request: HttpRequest) -> HttpResponse:
    return _page(request, "siskamling/checkin_invalid.html", {}, status=404)


def _choice(request: HttpRequest, now: datetime) -> str:
    """The night asked for (a link on GET, the hidden field on POST), else the default.

    A GET for last night after ``LATE_ENTRY_UNTIL`` falls back to the default; a POST keeps
    its choice so the form can say why it is refused without losing what was typed."""
    source = request.POST if request.method == "POST" else request.GET
    raw = str(source.get("which_night", ""))
    if raw not in checkin.NIGHT_CHOICES:
        return checkin.default_choice(now)
    if request.method != "POST" and not checkin.choice_allowed(raw, now):
        return checkin.default_choice(now)
    return raw


def _round_form(request: HttpRequest, post: Post) -> tuple[RoundForm, RosterNight | None]:
    now = timezone.now()
    choice = _choice(request, now)
    night_of = checkin.chosen_night(choice, now)
    night = checkin.roster_night(post, night_of)
    members = [str(m) for m in (night.members if night else [])]
    data = request.POST if request.method == "POST" else None
    form = RoundForm(data, night=night_of, members=members, now=now, choice=choice)
    return form, night


def _choice_context(form: RoundForm) -> dict[str, Any]:
    """What the page needs to offer tonight / last night as plain links."""
    return {
        "night_of": form.night,
        "choice": form.choice,
        "is_last_night": form.is_last_night,
        # Also after a refused late "last night": the way back to tonight's round.
        "offer_choice": checkin.late_entry_open(form.now)
        or not checkin.choice_allowed(form.choice, form.now),
        "late_entry_open": checkin.late_entry_open(form.now),
        "late_entry_until": checkin.LATE_ENTRY_UNTIL,
    }


@require_http_methods(["GET", "POST"])
def checkin_page(request: HttpRequest, token: str) -> HttpResponse:
    post = checkin.find_post(token)
    if post is None:
        return _invalid(request)
    if request.method == "POST":
        refused = _check_throttle(request, "siskamling_round", ROUND_RATE)
        if refused is not None:
            return _private(refused)
    form, night = _round_form(request, post)
    if request.method == "POST" and form.is_valid():
        done = checkin.record_round(post, form.round(), form.cleaned_data["key"], night)
        context = {"post": post, "checkin": done, "token": token}
        return _page(request, "siskamling/checkin_done.html", context)
    status = 400 if request.method == "POST" else 200
    context = {"post": post, "form": form, "night": night, "token": token,
               **_choice_context(form)}  # fmt: skip
    return _page(request, "siskamling/checkin.html", context, status=status)


def _own_round(post: Post, raw: Any) -> CheckIn | None:
    """The round a report belongs to: only one of this post's rounds."""
    text = str(raw or "")
    if not text.isdigit() or len(text) > 12:
        return None
    return CheckIn.objects.filter(post=post, pk=int(text)).first()


@require_http_methods(["GET", "POST"])
def report_page(request: HttpRequest, token: str) -> HttpResponse:
    post = checkin.find_post(token)
    if post is None:
        return _invalid(request)
    now = timezone.now()
    night = checkin.night_date(now)
    if request.method == "POST":
        refused = _check_throttle(request, "siskamling_report", settings.REPORT_THROTTLE)
        if refused is not None:
            return _private(refused)
    data = request.POST if request.method == "POST" else None
    initial = {"round": _own_round(post, request.GET.get("round")) and request.GET["round"]}
    form = SuspiciousForm(data, night=night, now=now, initial=initial)
    if request.method == "POST" and form.is_valid():
        linked = _own_round(post, form.cleaned_data.get("round"))
        try:
            report = checkin.file_report(
                post, checkin.report_draft(post, **form.draft_values()),
                form.cleaned_data["key"], linked,
            )  # fmt: skip
        except intake.IntakeError as exc:
            form.add_intake_errors(exc.errors)
        else:
            context = {"post": post, "report": report, "token": token}
            return _page(request, "siskamling/checkin_report_done.html", context)
    status = 400 if request.method == "POST" else 200
    context = {"post": post, "form": form, "token": token}
    return _page(request, "siskamling/checkin_report.html", context, status=status)
