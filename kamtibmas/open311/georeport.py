"""Open311 GeoReport v2 on top of reports: services from categories, requests from reports.

What the public may see of a request: status, status notes, service, responsible unit, times,
a kelurahan-level address and a position rounded to about 100 m. Never the reporter, never
photos, never the description (residents' own words may name people); no place at all for
sensitive categories, for reporters who asked to stay anonymous and for tips. Tips are also left
out of lists (they can only be read by their code).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kamtibmas.accounts.models import ApiKey
from kamtibmas.open311.questions import clean_answers, localized, options, questions_of
from kamtibmas.reports import codes, intake
from kamtibmas.reports.models import (
    OPEN_STATUSES,
    Category,
    Channel,
    EventKind,
    Kind,
    Report,
)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2025-01-01T00:00:00+08:00"
JURISDICTION = "balikpapan"
SENSITIVE_CATEGORIES = frozenset({"domestic_violence", "sexual_offence", "assault", "homicide"})
WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
GEOMASK_DECIMALS = 3  # 0.001° ≈ 111 m
IDEMPOTENCY_NAMESPACE = "open311:"  # tokens are stored as idempotency keys
ATTRIBUTE_RE = re.compile(r"^attribute\[([^\[\]]{1,40})\](\[\])?$")


class Open311Error(Exception):
    """An error in Open311's format: HTTP ``status`` and one description per problem."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(status, descriptions)
        self.status = status
        self.descriptions = list(descriptions)


def param(params: QueryDict, name: str) -> str:
    """One form or query value as text ("" when absent)."""
    value = params.get(name, "")
    return value.strip() if isinstance(value, str) else ""


# --- jurisdiction, discovery, services -------------------------------------------------------


def jurisdictions() -> set[str]:
    host = urlsplit(settings.PUBLIC_BASE_URL).hostname or ""
    return {JURISDICTION, host} - {""}


def check_jurisdiction(value: str | None) -> None:
    if value and value.strip().lower() not in jurisdictions():
        raise Open311Error(404, _("jurisdiction_id not found; use “%s”.") % JURISDICTION)


def iso(value: datetime | None) -> str | None:
    """W3C/ISO 8601 with the WITA offset, e.g. 2025-01-31T20:15:00+08:00."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def discovery() -> dict[str, Any]:
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return {
        "changeset": CHANGESET,
        "contact": _("Polres Balikpapan, e-mail %s. Emergency: call 110.")
        % settings.DEFAULT_FROM_EMAIL,
        "key_service": _(
            "Reading is open to all. To post requests, a staff member creates a "
            "read-and-write API key at %s/akun/kunci-api/."
        )
        % base,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base}/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def active_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("kind", "order", "code")


def find_service(service_code: str) -> Category | None:
    kind, _sep, code = service_code.strip().partition(".")
    if kind not in Kind.values or not code:
        return None
    return active_categories().filter(kind=kind, code=code).first()


def _description(category: Category) -> str:
    lang_en = (get_language() or "id").startswith("en")
    text = category.description_en if lang_en else category.description_id
    return text or category.label


def service(category: Category) -> dict[str, Any]:
    kind_label = str(Kind(category.kind).label)
    return {
        "service_code": category.service_code,
        "service_name": category.label,
        "description": _description(category),
        "metadata": bool(questions_of(category)),
        "type": "realtime",
        "keywords": ", ".join([category.code, category.kind, kind_label]),
        "group": kind_label,
    }


def services() -> list[dict[str, Any]]:
    return [service(c) for c in active_categories()]


def _attribute(order: int, question: dict[str, Any]) -> dict[str, Any]:
    return {
        "variable": bool(question.get("variable", True)),
        "code": question["code"],
        "datatype": question.get("datatype", "string"),
        "required": bool(question.get("required", False)),
        "datatype_description": localized(question, "datatype_description"),
        "order": int(question.get("order", order)),
        "description": localized(question, "description"),
        "values": [{"key": key, "name": name} for key, name in options(question)],
    }


def service_definition(service_code: str) -> dict[str, Any]:
    category = find_service(service_code)
    if category is None:
        raise Open311Error(404, _("service_code “%s” not found.") % service_code[:60])
    attributes = [_attribute(i, q) for i, q in enumerate(questions_of(category), start=1)]
    return {"service_code": category.service_code, "attributes": attributes}


# --- requests out ----------------------------------------------------------------------------


def shows_place(report: Report) -> bool:
    return not (
        report.category.code in SENSITIVE_CATEGORIES
        or report.keep_anonymous
        or report.kind == Kind.TIP
    )


def _status_notes(report: Report) -> str | None:
    event = (
        report.events.filter(is_public=True, kind__in=(EventKind.STATUS, EventKind.PUBLIC_NOTE))
        .exclude(text="")
        .order_by("-at", "-pk")
        .first()
    )
    return event.text if event is not None else None


def _address(report: Report) -> tuple[str | None, str | None]:
    kel = report.kelurahan
    if kel is None or not shows_place(report):
        return None, None
    return f"{kel.name}, {kel.kecamatan.name}, Kota Balikpapan", kel.code


def _point(report: Report) -> tuple[float | None, float | None]:
    if report.lat is None or report.lon is None or not shows_place(report):
        return None, None
    return round(report.lat, GEOMASK_DECIMALS), round(report.lon, GEOMASK_DECIMALS)


def request_view(report: Report) -> dict[str, Any]:
    address, address_id = _address(report)
    lat, lon = _point(report)
    return {
        "service_request_id": report.tracking_code,
        "status": "open" if report.is_open else "closed",
        "status_notes": _status_notes(report),
        "service_name": report.category.label,
        "service_code": report.category.service_code,
        "description": None,
        "agency_responsible": report.assigned_unit.name if report.assigned_unit else None,
        "service_notice": None,
        "requested_datetime": iso(report.created_at),
        "updated_datetime": iso(report.updated_at),
        "expected_datetime": iso(report.due_at()),  # type: ignore[arg-type]
        "address": address,
        "address_id": address_id,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": None,
    }


def _reports() -> QuerySet[Report]:
    return Report.objects.select_related("category", "assigned_unit", "kelurahan__kecamatan")


def get_request(request_id: str) -> dict[str, Any]:
    code = codes.normalize(request_id)
    report = _reports().filter(tracking_code=code).first() if code else None
    if report is None:
        raise Open311Error(404, _("service_request_id “%s” not found.") % request_id[:40])
    return request_view(report)


def _parse_time(name: str, value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError:
        raise Open311Error(
            400, _("%s is not an ISO 8601 date and time, e.g. 2025-01-31T20:15:00+08:00.") % name
        ) from None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def window(start_text: str, end_text: str) -> Window:
    """The spec's default: the last 90 days; a range may not span more than 90 days."""
    start = _parse_time("start_date", start_text) if start_text else None
    end = _parse_time("end_date", end_text) if end_text else None
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        assert end is not None
        start = end - WINDOW
    if end is None:
        end = start + WINDOW
    if end < start:
        raise Open311Error(400, _("end_date is before start_date."))
    if end - start > WINDOW:
        raise Open311Error(400, _("start_date and end_date may not span more than 90 days."))
    return Window(start, end)


def _status_filter(qs: QuerySet[Report], text: str) -> QuerySet[Report]:
    wanted = {s.strip().lower() for s in text.split(",") if s.strip()}
    if not wanted <= {"open", "closed"}:
        raise Open311Error(400, _("status must be open, closed or both (comma separated)."))
    if wanted == {"open"}:
        return qs.filter(status__in=OPEN_STATUSES)
    if wanted == {"closed"}:
        return qs.exclude(status__in=OPEN_STATUSES)
    return qs


def _service_filter(qs: QuerySet[Report], text: str) -> QuerySet[Report]:
    ids = [c.pk for code in text.split(",") if (c := find_service(code)) is not None]
    return qs.filter(category_id__in=ids)


def find_requests(params: QueryDict) -> list[dict[str, Any]]:
    """GET requests: by ``service_request_id`` (comma list, overrides the rest), else by
    service_code, start_date/end_date and status, newest first, at most 1000."""
    ids = param(params, "service_request_id")
    if ids:
        wanted = [c for c in (codes.normalize(t) for t in ids.split(",")[:MAX_RESULTS]) if c]
        found = _reports().filter(tracking_code__in=wanted)
        return [request_view(r) for r in found.order_by("-created_at")]
    span = window(param(params, "start_date"), param(params, "end_date"))
    qs = (
        _reports()
        .exclude(kind=Kind.TIP)
        .filter(created_at__gte=span.start, created_at__lte=span.end)
    )
    if param(params, "service_code"):
        qs = _service_filter(qs, param(params, "service_code"))
    if param(params, "status"):
        qs = _status_filter(qs, param(params, "status"))
    return [request_view(r) for r in qs.order_by("-created_at", "-pk")[:MAX_RESULTS]]


def token_lookup(token: str) -> dict[str, Any]:
    report = Report.objects.filter(idempotency_key=IDEMPOTENCY_NAMESPACE + token[:70]).first()
    if report is None:
        raise Open311Error(404, _("token not found."))
    return {"service_request_id": report.tracking_code, "token": token}


# --- requests in -----------------------------------------------------------------------------


def check_api_key(raw: str) -> ApiKey:
    key = ApiKey.authenticate(raw.strip()) if raw.strip() else None
    if key is None or not key.can_write:
        raise Open311Error(
            403,
            _(
                "api_key is missing or not valid (a read-and-write API key "
                "is needed to post requests)."
            ),
        )
    return key


def _float(params: QueryDict, name: str) -> float | None:
    text = param(params, name)
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise Open311Error(400, _("%s must be a number.") % name) from None


def _attributes(params: QueryDict) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for key in params:
        match = ATTRIBUTE_RE.match(key)
        if match:
            values = params.getlist(key)
            answers[match.group(1)] = values if match.group(2) else values[-1]
    return answers


def _kelurahan_code(address_id: str) -> str:
    digits = address_id.replace(".", "").strip()
    if len(digits) == 10 and digits.isdigit():
        return f"{digits[:2]}.{digits[2:4]}.{digits[4:6]}.{digits[6:]}"
    return address_id.strip()


def _draft(category: Category, params: QueryDict) -> intake.Draft:
    clean, errors = clean_answers(category, _attributes(params))
    if errors:
        raise Open311Error(
            400, *[f"attribute[{code}]: {' '.join(msgs)}" for code, msgs in errors.items()]
        )
    if param(params, "media_url"):
        clean["media_url"] = param(params, "media_url")[:500]
    name = " ".join(p for p in (param(params, "first_name"), param(params, "last_name")) if p)
    return intake.Draft(
        kind=category.kind,
        category_code=category.code,
        description=param(params, "description"),
        lat=_float(params, "lat"),
        lon=_float(params, "long"),
        address_text=param(params, "address_string")[:300],
        kelurahan_code=_kelurahan_code(param(params, "address_id")),
        reporter_name=name,
        reporter_phone=param(params, "phone"),
        reporter_email=param(params, "email"),
        keep_anonymous=param(params, "anonymous").lower() in ("1", "true", "yes"),
        extra=clean,
    )


def create_request(params: QueryDict) -> list[dict[str, Any]]:
    """POST requests: needs a read-and-write api_key and a known service_code; the tracking
    code is the service_request_id (realtime), a token is returned as well."""
    check_api_key(param(params, "api_key"))
    service_code = param(params, "service_code")
    if not service_code:
        raise Open311Error(400, _("service_code is required."))
    category = find_service(service_code)
    if category is None:
        raise Open311Error(400, _("service_code “%s” not found.") % service_code[:60])
    draft = _draft(category, params)
    token = secrets.token_urlsafe(16)
    try:
        report = intake.submit(
            draft, channel=Channel.OPEN311, idempotency_key=IDEMPOTENCY_NAMESPACE + token
        )
    except intake.IntakeError as exc:
        raise Open311Error(
            400, *[f"{field}: {msg}" for field, msgs in exc.errors.items() for msg in msgs]
        ) from None
    notice = _("Report received. Keep the code %(code)s to follow it.") % {
        "code": report.tracking_code
    }
    return [
        {
            "service_request_id": report.tracking_code,
            "token": token,
            "service_notice": notice,
            "account_id": None,
        }
    ]
