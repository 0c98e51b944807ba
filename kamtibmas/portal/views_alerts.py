"""Public alerts: the staff pages of public relations (draft, preview, publish, follow up) and
the public pages, the CAP 1.2 documents and the Atom feed. Rules live in ``alerts``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kamtibmas.portal import alert_states, alerts, atom, cap
from kamtibmas.portal.forms_alerts import AlertForm
from kamtibmas.portal.models import PublicAlert

View = Callable[..., HttpResponse]
FOLLOW_UPS = {"update": PublicAlert.MsgType.UPDATE, "cancel": PublicAlert.MsgType.CANCEL}
PER_PAGE = 50


def alert_reader_required(view: View) -> View:
    """Anonymous visitors go to the login page; those without a Humas, admin or commander
    role get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not alerts.can_read(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _require_editor(request: HttpRequest) -> None:
    if not alerts.can_edit(request.user):
        raise PermissionDenied


def localized(alert: PublicAlert) -> dict[str, str]:
    """Indonesian first; the English text when English is chosen and it was written."""
    english = (get_language() or "id").startswith("en") and bool(alert.headline_en)
    suffix = "en" if english else "id"
    return {
        **alerts.level_labels(alert),
        "lang": suffix,
        "headline": getattr(alert, f"headline_{suffix}"),
        "description": getattr(alert, f"description_{suffix}"),
        "instruction": getattr(alert, f"instruction_{suffix}") or alert.instruction_id,
    }


# --- staff -----------------------------------------------------------------------------------


@alert_reader_required
@require_safe
def staff_list(request: HttpRequest) -> HttpResponse:
    qs = PublicAlert.objects.prefetch_related("kelurahan").order_by("-created_at")
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    context = {"page": page, "rows": alert_states.with_states(page, now),
               "can_edit": alerts.can_edit(request.user), "now": now}  # fmt: skip
    return render(request, "portal/alert_staff_list.html", context)


def _form_page(request: HttpRequest, form: AlertForm, alert: PublicAlert | None) -> HttpResponse:
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "alert": alert}
    return render(request, "portal/alert_staff_form.html", context, status=status)


def _initial() -> dict[str, Any]:
    _start, end = alerts.default_window()
    return {"expires_at": timezone.localtime(end)}


@alert_reader_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_create(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    form = AlertForm(request.POST or None, initial=_initial())
    if request.method == "POST" and form.is_valid():
        saved = alerts.save_draft(
            PublicAlert(), form.cleaned_data, list(form.cleaned_data["kelurahan"]), request.user
        )
        messages.success(request, _("The draft was saved. Check the preview, then publish."))
        return redirect("portal:alert_staff_detail", saved.pk)
    return _form_page(request, form, None)


@alert_reader_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    alert = get_object_or_404(PublicAlert, pk=pk)
    if alert.status == PublicAlert.Status.PUBLISHED:
        messages.error(
            request, _("A published alert cannot be changed; issue an Update or a Cancel.")
        )
        return redirect("portal:alert_staff_detail", alert.pk)
    form = AlertForm(request.POST or None, instance=alert)
    if request.method == "POST" and form.is_valid():
        alerts.save_draft(
            alert, form.cleaned_data, list(form.cleaned_data["kelurahan"]), request.user
        )
        messages.success(request, _("The draft was saved. Check the preview, then publish."))
        return redirect("portal:alert_staff_detail", alert.pk)
    return _form_page(request, form, alert)


@alert_reader_required
@require_safe
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The preview: the alert as the public will see it, with the actions allowed now."""
    alert = get_object_or_404(PublicAlert.objects.prefetch_related("kelurahan"), pk=pk)
    follow_up = alerts.latest_follow_up(alert)
    published = alert.status == PublicAlert.Status.PUBLISHED
    context = {
        "alert": alert,
        "text": localized(alert),
        "can_edit": alerts.can_edit(request.user),
        "is_published": published,
        "can_follow_up": published and follow_up is None
        and alert.msg_type != PublicAlert.MsgType.CANCEL,
        "follow_up": follow_up,
        "earlier": alerts.chain(alert),
        "deliveries": alert.deliveries.count(),
    }  # fmt: skip
    return render(request, "portal/alert_staff_detail.html", context)


@alert_reader_required
@require_POST
def staff_publish(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    alert = get_object_or_404(PublicAlert, pk=pk)
    try:
        alerts.publish(alert, request.user)
    except (alerts.AlertInvalid, alerts.AlertLocked) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The alert is published and is being sent to subscribers."))
    return redirect("portal:alert_staff_detail", alert.pk)


@alert_reader_required
@require_POST
def staff_follow_up(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Start a draft Update or Cancel of a published alert (CAP's way of changing it)."""
    _require_editor(request)
    alert = get_object_or_404(PublicAlert, pk=pk)
    if kind not in FOLLOW_UPS:
        messages.error(request, _("Unknown kind of follow-up."))
        return redirect("portal:alert_staff_detail", alert.pk)
    try:
        draft = alerts.start_follow_up(alert, FOLLOW_UPS[kind], request.user)
    except alerts.AlertInvalid as exc:
        messages.error(request, str(exc))
        return redirect("portal:alert_staff_detail", alert.pk)
    messages.success(request, _("A draft follow-up was made: change it, then publish it."))
    return redirect("portal:alert_staff_edit", draft.pk)


# --- public ----------------------------------------------------------------------------------


def _published(uid: Any) -> PublicAlert:
    """A published alert; drafts are 404 to the public."""
    qs = alerts.published_alerts().prefetch_related("kelurahan").select_related("references")
    return get_object_or_404(qs, uid=uid)


@require_safe
def alert_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    active = [(a, localized(a)) for a in alerts.active_alerts(now)]
    past = [(a, localized(a)) for a in alerts.past_alerts(now)]
    return render(request, "portal/alert_list.html", {"active": active, "past": past})


def subscribe_link(alert: PublicAlert) -> str:
    codes = [("kelurahan", k.code) for k in alert.kelurahan.all()]
    return reverse("portal:subscribe") + "?" + urlencode(codes)


@require_safe
def alert_detail(request: HttpRequest, uid: Any) -> HttpResponse:
    alert = _published(uid)
    context = {
        "alert": alert,
        "text": localized(alert),
        "is_active": alerts.is_active(alert),
        "follow_up": alerts.latest_follow_up(alert),
        "subscribe_url": subscribe_link(alert),
    }
    return render(request, "portal/alert_detail.html", context)


@require_safe
def alert_cap(request: HttpRequest, uid: Any) -> HttpResponse:
    response = HttpResponse(cap.build(_published(uid)), content_type=cap.CONTENT_TYPE)
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_safe
def alerts_atom(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(atom.build(alerts.feed_alerts()), content_type=atom.CONTENT_TYPE)
    response["Cache-Control"] = "public, max-age=120"
    return response
