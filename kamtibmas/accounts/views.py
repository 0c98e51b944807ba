"""Login (with lockout), logout (POST only) and the global audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kamtibmas.accounts import roles
from kamtibmas.accounts.forms import AuditFilterForm, LoginForm, day_end, day_start
from kamtibmas.accounts.models import AuditEvent, User
from kamtibmas.reports import scoping
from kamtibmas.reports.models import EventKind, Report, ReportEvent

AUDIT_PER_PAGE = 50


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        """Each officer lands where their daily work is: the Bhabinkamtibmas on the Siskamling
        dashboard, public relations on the public content, everyone else on the inbox."""
        user = self.request.user
        if not isinstance(user, User) or not user.is_officer:
            return "/"
        codes = user.role_codes()
        if codes == {roles.COMMUNITY_OFFICER}:
            return reverse("siskamling:dashboard")
        if codes == {roles.PUBLIC_RELATIONS}:
            return reverse("portal:content_list")
        return reverse("reports:inbox")


class LogoutView(auth_views.LogoutView):
    """Django's LogoutView accepts POST only (a GET cannot sign anyone out)."""


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    actor: Any
    unit: Any
    action: str
    report_code: str
    detail: str


def _filtered_audit(user: Any, values: dict[str, Any]) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.select_related("actor", "actor_unit")
    unit_ids = scoping.audit_unit_ids(user)
    if unit_ids is not None:
        qs = qs.filter(actor_unit_id__in=unit_ids)
    if values["user"]:
        qs = qs.filter(actor__username__iexact=values["user"].strip())
    if values["action"]:
        qs = qs.filter(action=values["action"].strip())
    return _by_date(qs, values)


def _filtered_events(user: Any, values: dict[str, Any]) -> QuerySet[ReportEvent]:
    qs = ReportEvent.objects.filter(report__in=scoping.reports_for(user)).select_related(
        "actor", "actor__unit", "report"
    )
    if values["user"]:
        qs = qs.filter(actor__username__iexact=values["user"].strip())
    if values["action"]:
        qs = qs.filter(kind=values["action"].strip())
    return _by_date(qs, values)


def _by_date(qs: Any, values: dict[str, Any]) -> Any:
    if values["date_from"]:
        qs = qs.filter(at__gte=day_start(values["date_from"]))
    if values["date_to"]:
        qs = qs.filter(at__lt=day_end(values["date_to"]))
    return qs.order_by("-at", "-pk")


def _audit_row(event: AuditEvent, codes: dict[str, str]) -> AuditRow:
    code = codes.get(event.object_id, "") if event.object_type == "report" else ""
    detail = event.purpose or f"{event.object_type}:{event.object_id}"
    return AuditRow(event.at, event.actor, event.actor_unit, event.action, code, detail)


def _event_row(event: ReportEvent) -> AuditRow:
    label = str(EventKind(event.kind).label) if event.kind in EventKind.values else event.kind
    change = f"{event.field}: {event.old_value} → {event.new_value}" if event.field else ""
    unit = getattr(event.actor, "unit", None)
    return AuditRow(
        event.at, event.actor, unit, label, event.report.tracking_code, change or event.new_value
    )


def audit_rows(user: Any, values: dict[str, Any], page: int) -> tuple[list[AuditRow], bool]:
    """One page of audit events and report events merged newest first; and whether more."""
    limit = page * AUDIT_PER_PAGE + 1
    audits = list(_filtered_audit(user, values)[:limit])
    report_ids = {a.object_id for a in audits if a.object_type == "report"}
    codes = {
        str(pk): code
        for pk, code in Report.objects.filter(
            pk__in=[i for i in report_ids if i.isdigit()]
        ).values_list("pk", "tracking_code")
    }
    rows = [_audit_row(a, codes) for a in audits]
    rows += [_event_row(e) for e in _filtered_events(user, values)[:limit]]
    rows.sort(key=lambda r: r.at, reverse=True)
    start = (page - 1) * AUDIT_PER_PAGE
    return rows[start : start + AUDIT_PER_PAGE], len(rows) > start + AUDIT_PER_PAGE


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(1000, int(raw or "1")))
    except ValueError:
        return 1


@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not scoping.can_read_audit_log(request.user):
        raise PermissionDenied
    form = AuditFilterForm(data=request.GET)
    page = _page_number(request.GET.get("page"))
    rows, has_next = audit_rows(request.user, form.values(), page)
    query = request.GET.copy()
    query.pop("page", None)
    notices = [
        _("The filter “%(name)s” had an invalid value and was ignored.")
        % {"name": form.fields[name].label}
        for name in form.errors
    ]
    return render(
        request,
        "accounts/audit_log.html",
        {
            "form": form,
            "rows": rows,
            "page": page,
            "has_next": has_next,
            "query": query.urlencode(),
            "notices": notices,
            "can_read_audit_log": True,
        },
    )
