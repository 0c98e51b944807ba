"""Reports in the JSON API (/api/v1/reports): public filing and tracking, staff triage.

Thin: validation and rules live in ``intake``, ``workflow`` and ``scoping``."""

from __future__ import annotations

from typing import IO, Any, cast

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja import Status as Reply

from kamtibmas.accounts import audit
from kamtibmas.accounts.api_auth import STAFF_AUTH, IpThrottle, Principal, require_write
from kamtibmas.api_errors import ApiError, invalid, not_found
from kamtibmas.geo.models import Unit
from kamtibmas.open311.questions import clean_answers
from kamtibmas.reports import codes, intake, scoping, workflow
from kamtibmas.reports.models import Channel, Report, Status
from kamtibmas.reports.schemas import (
    CreatedOut,
    ErrorOut,
    NoteIn,
    NoteOut,
    PublicReportOut,
    ReportDetailOut,
    ReportFilters,
    ReportIn,
    ReportPageOut,
    TransitionIn,
    public_view,
    staff_detail,
    staff_event,
    staff_summary,
    status_url,
)

router = Router(tags=["reports"])

REPORT_THROTTLE = IpThrottle("report_api", "REPORT_THROTTLE")
TRACK_THROTTLE = IpThrottle("track_api", "API_THROTTLE")
IDEMPOTENCY_PREFIX = "api:"
IDEMPOTENCY_MAX = 80 - len(IDEMPOTENCY_PREFIX)

ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    429: ErrorOut,
}

CREATE_OPENAPI = {
    "parameters": [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "schema": {"type": "string", "maxLength": IDEMPOTENCY_MAX},
            "description": "Same key, same report: a retry returns 200 with the code already "
            "issued instead of filing a second report.",
        }
    ],
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["data"],
                    "properties": {
                        "data": {"type": "string", "description": "the ReportIn JSON document"},
                        "photos": {
                            "type": "array",
                            "maxItems": 5,
                            "items": {"type": "string", "format": "binary"},
                        },
                    },
                }
            }
        }
    },
}


# --- public -----------------------------------------------------------------------------------


def _idempotency_key(request: HttpRequest) -> str | None:
    raw = request.headers.get("Idempotency-Key", "").strip()
    if not raw:
        return None
    if len(raw) > IDEMPOTENCY_MAX or not raw.isascii() or not raw.isprintable():
        raise invalid(
            {
                "Idempotency-Key": [
                    _("Use at most %(max)d printable ASCII characters, e.g. a UUID.")
                    % {"max": IDEMPOTENCY_MAX}
                ]
            }
        )
    return IDEMPOTENCY_PREFIX + raw


def _draft(payload: ReportIn) -> intake.Draft:
    reporter = payload.reporter
    return intake.Draft(
        kind=payload.kind,
        category_code=payload.category,
        description=payload.description,
        occurred_from=payload.occurred_from,
        occurred_to=payload.occurred_to,
        lat=payload.lat,
        lon=payload.lon,
        location_accuracy_m=payload.location_accuracy_m,
        address_text=payload.address_text,
        kelurahan_code=payload.kelurahan_code,
        rt=payload.rt,
        rw=payload.rw,
        reporter_name=reporter.name if reporter else "",
        reporter_phone=reporter.phone if reporter else "",
        reporter_email=reporter.email if reporter else "",
        keep_anonymous=payload.keep_anonymous,
        extra=_answers(payload),
    )


def _answers(payload: ReportIn) -> dict[str, Any]:
    category = intake.find_category(payload.kind, payload.category)
    if category is None:
        return {}  # intake reports the unknown category
    clean, errors = clean_answers(category, dict(payload.extra))
    if errors:
        raise invalid({f"extra.{code}": messages for code, messages in errors.items()})
    return clean


def _created(report: Report) -> dict[str, str]:
    return {
        "tracking_code": report.tracking_code,
        "status": report.status,
        "status_url": status_url(report.tracking_code),
    }


@router.post(
    "",
    auth=None,
    throttle=[REPORT_THROTTLE],
    openapi_extra=CREATE_OPENAPI,
    response={200: CreatedOut, 201: CreatedOut, **ERRORS},
    summary="File a report",
)
def create_report(request: HttpRequest, payload: ReportIn) -> Reply[dict[str, str]]:
    """Public, no account needed. Returns the tracking code (201), or the code already issued
    for the same ``Idempotency-Key`` (200). Throttled per IP address."""
    key = _idempotency_key(request)
    if key is not None:
        existing = Report.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return Reply(200, _created(existing))
    photos = [
        (upload.name or "photo", cast(IO[bytes], upload))
        for upload in request.FILES.getlist("photos")
    ]
    report = intake.submit(_draft(payload), photos, channel=Channel.API, idempotency_key=key)
    return Reply(201, _created(report))


@router.get(
    "/track/{code}",
    auth=None,
    throttle=[TRACK_THROTTLE],
    response={200: PublicReportOut, **ERRORS},
    summary="Track a report by its code",
)
def track_report(request: HttpRequest, code: str) -> dict[str, Any]:
    """The public status of a report: no reporter data, no internal notes, no exact place."""
    report = _by_code(Report.objects.select_related("category", "kelurahan", "assigned_unit"), code)
    return public_view(report)


# --- staff ------------------------------------------------------------------------------------


def _by_code(queryset: Any, code: str) -> Report:
    """The report with this tracking code in ``queryset``, or a 404 error."""
    normalized = codes.normalize(code)
    report = queryset.filter(tracking_code=normalized).first() if normalized else None
    if report is None:
        raise not_found()
    return report  # type: ignore[no-any-return]


def _visible(user: Any, code: str) -> Report:
    related = ("category", "kelurahan", "assigned_unit", "assignee", "duplicate_of")
    return _by_code(scoping.reports_for(user).select_related(*related), code)


def _detail(user: Any, report: Report) -> dict[str, Any]:
    show = scoping.can_see_reporter(user, report)
    if show:
        audit.record(user, "read_reporter", report, purpose="api")
    allowed = workflow.allowed_targets(report) if scoping.can_triage(user, report) else []
    return staff_detail(report, show_reporter=show, allowed=allowed)


def _filtered(qs: QuerySet[Report], f: ReportFilters) -> QuerySet[Report]:
    if f.status:
        if f.status not in Status.values:
            raise invalid({"status": [_("This is not one of the allowed values.")]})
        qs = qs.filter(status=f.status)
    lookups = {
        "kind": f.kind,
        "category__code": f.category,
        "assigned_unit__code": f.unit,
        "kelurahan_code": f.kelurahan_code,
    }
    qs = qs.filter(**{k: v for k, v in lookups.items() if v})
    if f.updated_since is not None:
        qs = qs.filter(updated_at__gte=f.updated_since)
    return qs


@router.get(
    "",
    auth=STAFF_AUTH,
    response={200: ReportPageOut, **ERRORS},
    summary="List reports in your scope",
    url_name="report_list",
)
def list_reports(request: HttpRequest, filters: Query[ReportFilters]) -> dict[str, Any]:
    """Reports your unit may see, newest first. Reporter data is never in the list."""
    principal: Principal = request.auth  # type: ignore[attr-defined]
    qs = _filtered(scoping.reports_for(principal.user), filters)
    qs = qs.select_related("category", "kelurahan", "assigned_unit").order_by("-created_at", "-pk")
    page = qs[filters.offset : filters.offset + filters.limit]
    return {
        "count": qs.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [staff_summary(r) for r in page],
    }


@router.get(
    "/{code}", auth=STAFF_AUTH, response={200: ReportDetailOut, **ERRORS}, summary="One report"
)
def get_report(request: HttpRequest, code: str) -> dict[str, Any]:
    """404 outside your scope. The reporter's identity and contact appear only for the roles
    that need them, and each such read is audited."""
    principal: Principal = request.auth  # type: ignore[attr-defined]
    return _detail(principal.user, _visible(principal.user, code))


def _transition_extra(user: Any, payload: TransitionIn) -> dict[str, Any]:
    extra: dict[str, Any] = {"referred_to": payload.referred_to}
    if payload.duplicate_of:
        code = codes.normalize(payload.duplicate_of)
        original = scoping.reports_for(user).filter(tracking_code=code).first() if code else None
        if original is None:
            raise invalid({"duplicate_of": [_("No report with this code in your scope.")]})
        extra["duplicate_of"] = original
    if payload.unit:
        unit = Unit.objects.filter(code=payload.unit, is_active=True).first()
        if unit is None:
            raise invalid({"unit": [_("Unknown unit.")]})
        extra["unit"] = unit
    return extra


def _forbidden() -> ApiError:
    return ApiError(403, "forbidden", _("Your role may not do this with this report."))


@router.post(
    "/{code}/transitions",
    auth=STAFF_AUTH,
    response={200: ReportDetailOut, **ERRORS},
    summary="Change a report's status",
)
def transition_report(request: HttpRequest, code: str, payload: TransitionIn) -> dict[str, Any]:
    """Needs a read-write key (or a session) and a triage role. Send ``expected_version`` to
    get 409 instead of overwriting someone else's change."""
    principal: Principal = request.auth  # type: ignore[attr-defined]
    report = _visible(principal.user, code)
    require_write(principal)
    if not scoping.can_triage(principal.user, report):
        raise _forbidden()
    if payload.to not in Status.values:
        raise invalid({"to": [_("This is not one of the allowed values.")]})
    workflow.transition(
        report,
        payload.to,
        principal.user,
        reason=payload.reason,
        expected_version=payload.expected_version,
        **_transition_extra(principal.user, payload),
    )
    return _detail(principal.user, report)


@router.post(
    "/{code}/notes",
    auth=STAFF_AUTH,
    response={201: NoteOut, **ERRORS},
    summary="Add a progress note (public) or an internal note",
)
def add_note(request: HttpRequest, code: str, payload: NoteIn) -> Reply[dict[str, Any]]:
    """A public note reaches the reporter (SP2HP); an internal note never does."""
    principal: Principal = request.auth  # type: ignore[attr-defined]
    report = _visible(principal.user, code)
    require_write(principal)
    if not scoping.can_add_notes(principal.user, report):
        raise _forbidden()
    event = workflow.add_note(
        report,
        principal.user,
        payload.text,
        public=payload.public,
        expected_version=payload.expected_version,
    )
    return Reply(201, {"version": report.version, "event": staff_event(event)})
