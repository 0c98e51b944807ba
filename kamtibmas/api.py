"""Assembly of the JSON API (/api/v1/): each app contributes its router.

Errors everywhere are ``{"code", "message", "fields"}`` (see ``kamtibmas.api_errors``)."""

from __future__ import annotations

import json
from typing import Any, cast

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.parser import Parser

from kamtibmas import api_errors
from kamtibmas.cctv.api import router as cctv_router
from kamtibmas.forecasts.api import router as forecasts_router
from kamtibmas.patrols.api import router as patrols_router
from kamtibmas.portal.api import router as public_router
from kamtibmas.reports.api import router as reports_router


class MalformedBody(ValueError):
    """The body is not the JSON document expected (ninja turns it into HttpError 400)."""


class JsonOrMultipartParser(Parser):
    """JSON bodies, or multipart/form-data whose ``data`` part holds the JSON document (so a
    report can carry photos in the same request)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        content_type = request.content_type or ""
        if content_type.startswith("multipart/form-data"):
            raw: str | bytes = request.POST.get("data", "")
            if not raw:
                return {}
        else:
            raw = request.body
        try:
            return cast(dict[str, Any], json.loads(raw))
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedBody(str(exc)) from None


api = NinjaAPI(
    title="Kamtibmas API",
    version="1",
    description=(
        "Residents' reports and triage for Polres Balikpapan.\n\n"
        "Public: `POST /reports` (file a report, throttled per IP, `Idempotency-Key` header) "
        "and `GET /reports/track/{code}`. Staff: list, detail, transitions and notes with a "
        "personal API key (`Authorization: Bearer kmt_…` or `X-API-Key`), scope read or "
        "read_write, or a logged-in session (send `X-CSRFToken` on writes). Staff also read "
        "forecasts (`/forecasts`) and patrol plans (`/patrols/plans`), scoped to their unit; "
        "CCTV workers post events and status to `/cctv` with a read_write key.\n\n"
        "Open data, no key: `GET /public/crime-stats.geojson` (delayed, counts under 3 shown "
        "as `<3`).\n\n"
        'Errors: `{"code", "message", "fields"}` with a stable code; 400 for invalid '
        "input (also malformed JSON, code `malformed_json`), 401, 403, 404, 409 (`stale`: "
        "someone changed the report; reload), 413, 429 with `Retry-After`. Messages follow "
        "`Accept-Language` (Indonesian by default). Times are ISO 8601 with offset (+08:00)."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=JsonOrMultipartParser(),
)
api_errors.register(api)
api.add_router("/reports", reports_router)
api.add_router("/cctv", cctv_router)
api.add_router("/public", public_router)
api.add_router("/forecasts", forecasts_router)
api.add_router("/patrols", patrols_router)
