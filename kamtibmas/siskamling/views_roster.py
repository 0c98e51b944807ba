"""Staff pages of a post's roster: the weekly template, making a week's nights, swapping a
night's members, the past and coming nights with their rounds, and the printable week (PDF).
Views stay thin: ``roster`` holds the rules, ``scoping`` decides who sees and who changes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kamtibmas.accounts import audit
from kamtibmas.reports.views_staff import officer_required
from kamtibmas.siskamling import roster, scoping
from kamtibmas.siskamling.forms_roster import MakeWeekForm, NightForm, slot_forms
from kamtibmas.siskamling.models import Post
from kamtibmas.siskamling.pdf import roster_pdf as build_pdf
from kamtibmas.siskamling.reminders import checkin_url

PAST_WEEKS = 4
COMING_WEEKS = 2


def _post(request: HttpRequest, pk: int) -> Post:
    return get_object_or_404(scoping.posts_for(request.user), pk=pk)


def _context(request: HttpRequest, post: Post, **forms: Any) -> dict[str, Any]:
    now = timezone.now()
    today = timezone.localdate(now)
    statuses = roster.night_statuses(
        post, today - timedelta(weeks=PAST_WEEKS), today + timedelta(weeks=COMING_WEEKS), now
    )
    editable = scoping.can_edit(request.user, post)
    context = {
        "post": post,
        "can_edit": editable,
        "coming": [s for s in statuses if not s.is_past],
        "past": [s for s in reversed(statuses) if s.is_past],
        "participation": roster.participation(post, now),
        "slot_forms": forms.get("slot_forms") or slot_forms(post),
        "week_form": forms.get("week_form") or MakeWeekForm(today=today),
        **_night_edit(forms.get("night_form")),
        "pdf_weeks": [roster.week_start(today) + timedelta(weeks=k) for k in range(2)],
    }
    return context


def _night_edit(form: NightForm | None) -> dict[str, Any]:
    """What was entered in a night's swap that failed, to show it again with its errors."""
    if form is None:
        return {}
    try:
        night_id = int(form.data.get("night", ""))
    except ValueError:
        return {}
    return {
        "edit_night_id": night_id,
        "edit_night_text": form.data.get("members", ""),
        "edit_night_errors": form.errors.get("members") or form.non_field_errors(),
    }


def _save_template(request: HttpRequest, post: Post) -> HttpResponse | dict[str, Any]:
    forms = slot_forms(post, request.POST)
    if not all(f.is_valid() for f in forms):
        messages.error(request, _("The roster was not saved: please correct the marked fields."))
        return {"slot_forms": forms}
    roster.save_template(post, [f.as_input() for f in forms], request.user)
    messages.success(request, _("The weekly roster was saved."))
    return redirect("siskamling:roster", post.pk)


def _make_week(request: HttpRequest, post: Post) -> HttpResponse | dict[str, Any]:
    form = MakeWeekForm(request.POST, today=timezone.localdate())
    if not form.is_valid():
        messages.error(request, _("Choose one of the weeks offered."))
        return {"week_form": form}
    if not post.roster_slots.exists():
        messages.error(request, _("Fill in the weekly roster first."))
        return {"week_form": form}
    created = roster.make_week(post, form.monday(), timezone.now())
    audit.record(
        request.user,
        "roster_make_week",
        post,
        purpose="siskamling roster",
        week=form.monday().isoformat(),
        nights=len(created),
    )
    messages.success(
        request, _("Nights made: %(n)d (existing nights were kept).") % {"n": len(created)}
    )
    return redirect("siskamling:roster", post.pk)


def _edit_night(request: HttpRequest, post: Post) -> HttpResponse | dict[str, Any]:
    form = NightForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The night was not changed: please correct the marked fields."))
        return {"night_form": form}
    night = get_object_or_404(post.nights, pk=form.cleaned_data["night"])
    try:
        roster.update_night(night, form.cleaned_data["members"], request.user, timezone.now())
    except roster.NightLocked:
        messages.error(request, _("This night has started or passed and can no longer change."))
        return {"night_form": form}
    messages.success(request, _("The night of %(day)s was changed.") % {"day": night.date})
    return redirect("siskamling:roster", post.pk)


ACTIONS = {"template": _save_template, "week": _make_week, "night": _edit_night}


@officer_required
@require_http_methods(["GET", "POST"])
def roster_page(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
    forms: dict[str, Any] = {}
    if request.method == "POST":
        if not scoping.can_edit(request.user, post):
            raise PermissionDenied
        action = ACTIONS.get(request.POST.get("action", ""))
        if action is None:
            messages.error(request, _("Unknown action."))
        else:
            result = action(request, post)
            if isinstance(result, HttpResponse):
                return result
            forms = result
    status = 400 if request.method == "POST" else 200
    return render(
        request, "siskamling/roster.html", _context(request, post, **forms), status=status
    )


def _week(request: HttpRequest) -> date:
    raw = request.GET.get("week", "")
    try:
        return roster.week_start(date.fromisoformat(raw))
    except ValueError:
        return roster.week_start(timezone.localdate())


@officer_required
@require_GET
def roster_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable week (``?week=YYYY-MM-DD``, default this week); a week not made yet is
    printed as the template would make it."""
    post = _post(request, pk)
    monday = _week(request)
    body = build_pdf(post, monday, checkin_url(post))
    audit.record(
        request.user, "roster_pdf", post, purpose="print siskamling roster", week=monday.isoformat()
    )
    response = HttpResponse(body, content_type="application/pdf")
    name = f"jadwal-siskamling-{post.pk}-{monday:%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response
