"""Errors of the JSON API: one shape, ``{"code", "message", "fields"}``, with a stable code.

Every exception an endpoint can meet is mapped here to a status and a translated message, so a
client never sees a traceback. Validation errors are 400 (never 422) across the whole API.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from kamtibmas.reports.intake import IntakeError
from kamtibmas.reports.photos import PhotoError
from kamtibmas.reports.workflow import StaleReportError, WorkflowError

logger = logging.getLogger(__name__)

# Field names of the intake validator -> names of the API's request body.
INTAKE_FIELD_NAMES = {
    "reporter_name": "reporter.name",
    "reporter_phone": "reporter.phone",
    "reporter_email": "reporter.email",
}


class ApiError(Exception):
    """Raised by endpoints and auth: becomes ``{code, message, fields}`` with ``status``."""

    def __init__(
        self, status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}


class RateLimited(ApiError):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(429, "throttled", throttled_message(self.retry_after))


def throttled_message(seconds: int) -> str:
    return _("Too many requests. Try again in %(seconds)d seconds.") % {"seconds": seconds}


def payload(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "fields": fields or {}}


def not_found() -> ApiError:
    return ApiError(404, "not_found", _("Not found."))


def invalid(fields: dict[str, list[str]]) -> ApiError:
    return ApiError(400, "invalid", _("Some fields are not valid."), fields)


# --- pydantic / ninja validation errors -> translated field messages ---------------------------


def _type_message(kind: str) -> str:
    if kind == "missing":
        return _("This field is required.")
    if kind.startswith(("datetime", "timezone", "date")):
        return _(
            "Enter a date and time in ISO 8601 with a time-zone offset, "
            "e.g. 2025-01-31T20:15:00+08:00."
        )
    if kind.startswith(("float", "int", "decimal", "finite")):
        return _("Enter a number.")
    if kind.startswith("bool"):
        return _("Enter true or false.")
    if kind.startswith(("greater", "less", "too_")) or kind == "string_too_long":
        return _("This value is out of range or too long.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind in ("literal_error", "enum"):
        return _("This is not one of the allowed values.")
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return _("Expected a JSON object.")
    return _("This value is not valid.")


# pydantic names the member of a union that failed, e.g. ("extra", "a", "list[str]").
UNION_MEMBER = re.compile(r"^(str|int|float|bool|none|[a-z]+\[.*\])$")


def _field_name(loc: Iterable[Any]) -> tuple[str, bool]:
    """The dotted field name, and whether the error came from a member of a union."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "form", "cookie", "file"):
        source = parts.pop(0)
        if source == "body" and parts:
            parts.pop(0)  # the name of the body parameter (payload)
    kept = [p for p in parts if not UNION_MEMBER.match(p)]
    return ".".join(kept) or "body", len(kept) != len(parts)


def validation_fields(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        name, in_union = _field_name(error.get("loc", ()))
        kind = "union" if in_union else str(error.get("type", ""))
        message = _type_message(kind)
        if message not in fields.setdefault(name, []):
            fields[name].append(message)
    return fields


# --- handlers ---------------------------------------------------------------------------------

HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "throttled",
}


def _http_message(status: int) -> str:
    messages = {
        400: _("The request is not valid."),
        401: _("Authentication required: send an API key (Authorization: Bearer kmt_…) or log in."),
        403: _("You are not allowed to do this."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        413: _("The request is too large."),
    }
    return messages.get(status, _("The request could not be handled."))


def _respond(
    api: NinjaAPI, request: HttpRequest, status: int, body: dict[str, Any]
) -> HttpResponse:
    logger.info("api error %s %s", status, body["code"])
    return api.create_response(request, body, status=status)


def register(api: NinjaAPI) -> None:
    """Install the handlers on ``api`` (replacing ninja's defaults)."""

    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        response = _respond(api, request, exc.status, payload(exc.code, exc.message, exc.fields))
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response

    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = validation_fields(list(exc.errors))
        return _respond(
            api, request, 400, payload("invalid", _("Some fields are not valid."), fields)
        )

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc, Throttled):
            wait = int(exc.wait or 1)
            return _respond(api, request, 429, payload("throttled", throttled_message(wait)))
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            return _respond(
                api,
                request,
                400,
                payload("malformed_json", _("The request body is not valid JSON.")),
            )
        if isinstance(exc.__cause__, RequestDataTooBig):
            return _respond(api, request, 413, payload("too_large", _http_message(413)))
        status = exc.status_code
        return _respond(
            api, request, status, payload(HTTP_CODES.get(status, "error"), _http_message(status))
        )

    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = _respond(api, request, 401, payload("not_authenticated", _http_message(401)))
        response["WWW-Authenticate"] = 'Bearer realm="kamtibmas"'
        return response

    def on_intake(request: HttpRequest, exc: IntakeError) -> HttpResponse:
        fields = {INTAKE_FIELD_NAMES.get(k, k): v for k, v in exc.errors.items()}
        return _respond(
            api, request, 400, payload("invalid", _("Some fields are not valid."), fields)
        )

    def on_stale(request: HttpRequest, exc: StaleReportError) -> HttpResponse:
        return _respond(api, request, 409, payload(exc.code, exc.message))

    def on_workflow(request: HttpRequest, exc: WorkflowError) -> HttpResponse:
        return _respond(api, request, 400, payload(exc.code, exc.message))

    def on_photo(request: HttpRequest, exc: PhotoError) -> HttpResponse:
        return _respond(
            api, request, 400, payload(exc.code, exc.message, {"photos": [exc.message]})
        )

    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _respond(api, request, 404, payload("not_found", _http_message(404)))

    def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return _respond(api, request, 413, payload("too_large", _http_message(413)))

    handlers: dict[type[Exception], Callable[[HttpRequest, Any], HttpResponse]] = {
        ApiError: on_api_error,
        ValidationError: on_validation,
        HttpError: on_http_error,
        AuthenticationError: on_authentication,
        IntakeError: on_intake,
        StaleReportError: on_stale,
        WorkflowError: on_workflow,
        PhotoError: on_photo,
        Http404: on_404,
        RequestDataTooBig: on_too_big,
    }
    for exc_class, handler in handlers.items():
        api.add_exception_handler(exc_class, handler)
