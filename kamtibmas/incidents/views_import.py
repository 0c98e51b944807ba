"""CSV import in the browser (Polres analysts, commanders, administrators):
1. upload a file (kept under MEDIA_ROOT/imports/, never served publicly);
2. preview the first rows and map columns (``importer.sniff`` and ``importer.preview``);
3. start: an ImportBatch is created and ``tasks.run_import_task`` runs it in the background;
   the batch page polls a small JSON endpoint for progress, then shows the result.

Every failure the analyst can cause (a bad file, a wrong encoding, an unknown column) is a
translated message on the page, never a server error."""

from __future__ import annotations

import csv
import dataclasses
import logging
import re
import uuid
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from types import ModuleType
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kamtibmas.incidents import scoping
from kamtibmas.incidents.forms import MappingForm, UploadForm, safe_file_name
from kamtibmas.incidents.models import BALIKPAPAN, ImportBatch
from kamtibmas.reports.scoping import can_read_audit_log

logger = logging.getLogger(__name__)

SESSION_KEY = "incident_imports"
KEEP_UPLOADS = 10
TOKEN = re.compile(r"^[0-9a-f]{32}$")
PREVIEW_ROWS = 20
REJECTED_SHOWN = 50
# Canonical fields offered for mapping when the importer does not list its own.
CANONICAL_FALLBACK = (
    "external_id", "category", "occurred_from", "occurred_to", "date", "time", "year",
    "month", "day", "hour", "minute", "lat", "lon", "x", "y", "lp_number", "premises_type",
    "modus_operandi", "status",
)  # fmt: skip
READ_ERRORS: tuple[type[BaseException], ...] = (
    ValueError, LookupError, UnicodeError, OSError, csv.Error, TypeError,
)  # fmt: skip
View = Callable[..., HttpResponseBase]


class ImporterMissing(Exception):
    pass


def importer_required(view: View) -> View:
    """Anonymous visitors go to the login page; everyone but Polres importers gets 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not scoping.can_import(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _importer() -> ModuleType:
    try:
        from kamtibmas.incidents import importer
    except ImportError as exc:
        raise ImporterMissing from exc
    return importer


def enqueue_import(batch_id: int) -> None:
    """Run the batch in the background (immediately under the tests' task backend)."""
    from kamtibmas.incidents.tasks import run_import_task

    run_import_task.enqueue(batch_id)


def _errors(module: ModuleType) -> tuple[type[BaseException], ...]:
    own = [
        getattr(module, name)
        for name in ("ImportFileError", "ImporterError", "ImportFailed", "ImportOptionsError")
        if isinstance(getattr(module, name, None), type)
    ]
    return READ_ERRORS + tuple(own)


def read_error_message(exc: BaseException) -> str:
    """A plain, translated message for a file the importer could not read."""
    own = getattr(exc, "message", None)
    if own:
        return str(own)[:500]  # the importer's own translated sentence
    if isinstance(exc, UnicodeError):
        return _("The file could not be read as text in UTF-8. Save it as CSV UTF-8 and try again.")
    return _("The file could not be read as CSV: %(detail)s") % {"detail": str(exc)[:300]}


# ---- uploads kept in the session -----------------------------------------------------------


def _imports_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def _store(upload: Any) -> tuple[str, str]:
    """Write the upload under MEDIA_ROOT/imports/<token>/; return (token, relative path)."""
    token = uuid.uuid4().hex
    folder = _imports_root() / token
    folder.mkdir(parents=True, exist_ok=True)
    name = safe_file_name(upload.name or "data.csv")
    with (folder / name).open("wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    return token, f"imports/{token}/{name}"


def _remember(request: HttpRequest, token: str, relative: str) -> None:
    uploads = dict(request.session.get(SESSION_KEY, {}))
    uploads[token] = relative
    request.session[SESSION_KEY] = dict(list(uploads.items())[-KEEP_UPLOADS:])


def _upload_path(request: HttpRequest, token: str) -> tuple[str, Path]:
    """The uploaded file of ``token`` if this session uploaded it; 404 otherwise."""
    relative = request.session.get(SESSION_KEY, {}).get(token) if TOKEN.match(token) else None
    if not relative:
        raise Http404
    path = Path(settings.MEDIA_ROOT) / relative
    if not path.is_file():
        raise Http404
    return relative, path


# ---- options <-> form ----------------------------------------------------------------------


def options_dict(options: Any) -> dict[str, Any]:
    """ImportOptions as JSON-ready data (stored in ImportBatch.options)."""
    for method in ("to_json", "to_dict"):
        if hasattr(options, method):
            return dict(getattr(options, method)())
    if dataclasses.is_dataclass(options) and not isinstance(options, type):
        return dataclasses.asdict(options)
    return dict(vars(options))


def _canonical(module: ModuleType, guessed: Any) -> list[str]:
    names = list(
        getattr(module, "CANONICAL_FIELDS", None)
        or getattr(module, "CANONICAL_COLUMNS", None)
        or CANONICAL_FALLBACK
    )
    extra = [k for k in (getattr(guessed, "columns", None) or {}) if k not in names]
    return names + extra


# Layouts recognised by the importer that are not Balikpapan's own: their rows must not land in
# the Balikpapan dataset by default.
NEUTRAL_LAYOUTS = ("", "canonical", "custom")


def _initial(guessed: Any, layout: str = "") -> dict[str, Any]:
    def get(name: str, default: Any = "") -> Any:
        value = getattr(guessed, name, default)
        return default if value is None else value

    dataset = get("dataset", BALIKPAPAN) or BALIKPAPAN
    if dataset == BALIKPAPAN and layout not in NEUTRAL_LAYOUTS:
        dataset = layout  # e.g. a Chicago export goes to the "chicago" dataset
    initial = {
        "dataset": dataset,
        "crs": get("crs", "EPSG:4326") or "EPSG:4326",
        "time_zone": get("time_zone", settings.TIME_ZONE) or settings.TIME_ZONE,
        "date_format": get("date_format"),
        "category_scheme": get("category_scheme"),
        "id_prefix": get("id_prefix"),
        "dry_run": True,
    }
    for canonical, source in (get("columns", {}) or {}).items():
        initial[f"col_{canonical}"] = source
    return initial


def _options(module: ModuleType, guessed: Any, form: MappingForm) -> Any:
    data = form.cleaned_data
    changes = {
        "dataset": data["dataset"],
        "crs": data["crs"],
        "columns": form.columns(),
        "time_zone": data["time_zone"],
        "date_format": data.get("date_format") or None,
        "category_scheme": data.get("category_scheme") or None,
        "dry_run": bool(data.get("dry_run")),
        "id_prefix": data.get("id_prefix") or "",
    }
    if dataclasses.is_dataclass(guessed) and not isinstance(guessed, type):
        return dataclasses.replace(guessed, **changes)
    return module.ImportOptions(**changes)


# ---- views ---------------------------------------------------------------------------------


def _base_context(request: HttpRequest) -> dict[str, Any]:
    return {"can_read_audit_log": can_read_audit_log(request.user)}


@importer_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            token, relative = _store(form.cleaned_data["file"])
            _remember(request, token, relative)
            return redirect("incidents:import_mapping", token=token)
        status = 400
    context = {
        **_base_context(request),
        "form": form,
        "batches": scoping.batches_for(request.user).select_related("created_by")[:20],
        "max_mb": 200,
    }
    return render(request, "incidents/import_upload.html", context, status=status)


def _sample(rows: list[Any], header: list[str]) -> list[list[Any]]:
    """The first rows as lists of cells in header order (rows may be dicts or lists)."""
    return [
        [row.get(h, "") for h in header] if isinstance(row, dict) else list(row)
        for row in rows[:PREVIEW_ROWS]
    ]


def _preview_rows(rows: list[Any]) -> tuple[list[str], list[tuple[Any, list[Any], str]]]:
    """(column names, [(line, values, error)]) from importer.PreviewRow objects; a refused
    row has no values, only its error."""
    columns: list[str] = []
    for row in rows:
        values = getattr(row, "values", None)
        if isinstance(values, dict) and values:
            columns = [str(k) for k in values]
            break
    out = []
    for row in rows:
        values = getattr(row, "values", None) or {}
        cells = [values.get(k, "") for k in columns] if isinstance(values, dict) else list(values)
        out.append((getattr(row, "line", ""), cells, str(getattr(row, "error", "") or "")))
    return columns, out


@importer_required
@require_http_methods(["GET", "POST"])
def mapping(request: HttpRequest, token: str) -> HttpResponse:
    relative, path = _upload_path(request, token)
    context: dict[str, Any] = {**_base_context(request), "token": token, "file_name": path.name}
    try:
        module = _importer()
    except ImporterMissing:
        messages.error(request, _("The importer is not available yet on this server."))
        return redirect("incidents:import_upload")
    try:
        sniffed = module.sniff(str(path), sample_rows=PREVIEW_ROWS)
    except _errors(module) as exc:
        context["read_error"] = read_error_message(exc)
        return render(request, "incidents/import_mapping.html", context, status=400)
    header = [str(h) for h in sniffed.header]
    form = MappingForm(
        request.POST or None,
        header=header,
        canonical=_canonical(module, sniffed.guessed),
        initial=_initial(sniffed.guessed, getattr(sniffed, "layout", "")),
    )
    context.update(
        {
            "form": form,
            "header": header,
            "sample": _sample(sniffed.sample, header),
            "delimiter": getattr(sniffed, "delimiter", ","),
        }
    )
    options = sniffed.guessed
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            context["error"] = _("Please correct the marked fields.")
            return render(request, "incidents/import_mapping.html", context, status=400)
        options = _options(module, sniffed.guessed, form)
        if request.POST.get("action") == "start":
            batch = _start(request, module, path, options)
            return redirect("incidents:import_batch", pk=batch.pk)
    try:
        columns, rows = _preview_rows(module.preview(str(path), options, rows=PREVIEW_ROWS))
        context.update({"preview_columns": columns, "preview": rows})
    except _errors(module) as exc:
        context["error"] = read_error_message(exc)
        status = 400
    return render(request, "incidents/import_mapping.html", context, status=status)


def _start(request: HttpRequest, module: ModuleType, path: Path, options: Any) -> ImportBatch:
    """A pending batch (its options hold the stored file's path), then the background task."""
    if hasattr(module, "prepare_batch"):
        batch = module.prepare_batch(path, options, user=request.user, file_name=path.name)
    else:
        batch = ImportBatch.objects.create(
            dataset=getattr(options, "dataset", BALIKPAPAN),
            file_name=path.name,
            options={**options_dict(options), "source_path": str(path)},
            state=ImportBatch.State.PENDING,
            created_by=request.user,  # type: ignore[misc]  # signed in (importer_required)
        )
    logger.info("import batch %s queued", batch.pk)
    enqueue_import(batch.pk)
    messages.success(request, _("The import of %(name)s has started.") % {"name": path.name})
    return batch


def _batch(request: HttpRequest, pk: int) -> ImportBatch:
    return get_object_or_404(scoping.batches_for(request.user), pk=pk)


FINISHED = (ImportBatch.State.DONE, ImportBatch.State.FAILED, ImportBatch.State.DRY_RUN)


def _progress(batch: ImportBatch) -> float:
    """Live progress of a running import (published by the importer), else the stored one."""
    value = batch.progress or 0.0
    if batch.state == ImportBatch.State.RUNNING:
        try:
            from kamtibmas.incidents.importer import import_progress
        except ImportError:
            pass
        else:
            value = import_progress(batch)
    return max(0.0, min(1.0, float(value)))


def status_data(batch: ImportBatch) -> dict[str, Any]:
    return {
        "id": batch.pk,
        "state": batch.state,
        "state_label": str(ImportBatch.State(batch.state).label),
        "finished": batch.state in FINISHED,
        "progress": 1.0 if batch.state in FINISHED else _progress(batch),
        "rows_total": batch.rows_total,
        "rows_created": batch.rows_created,
        "rows_updated": batch.rows_updated,
        "rows_rejected": batch.rows_rejected,
        "rows_without_location": batch.rows_without_location,
    }


def rejected_rows(batch: ImportBatch) -> list[tuple[Any, str, Any]]:
    """(line, reason, values) of the first rejected rows, whatever shape the importer stored."""
    out = []
    for entry in (batch.rejected or [])[:REJECTED_SHOWN]:
        if isinstance(entry, dict):
            reason = entry.get("reason") or entry.get("error") or ""
            out.append((entry.get("line", ""), str(reason), entry.get("values", "")))
        elif isinstance(entry, list | tuple) and entry:
            out.append((entry[0], str(entry[1]) if len(entry) > 1 else "", ""))
        else:
            out.append(("", str(entry), ""))
    return out


@importer_required
@require_GET
def batch_page(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    context = {
        **_base_context(request),
        "batch": batch,
        "status": status_data(batch),
        "name": Path(batch.file_name).name,
        "rejected": rejected_rows(batch),
        "status_url": reverse("incidents:import_status", args=[batch.pk]),
        "list_url": f"{reverse('incidents:list')}?dataset={batch.dataset}",
    }
    return render(request, "incidents/import_batch.html", context)


@importer_required
@require_GET
def batch_status(request: HttpRequest, pk: int) -> JsonResponse:
    response = JsonResponse(status_data(_batch(request, pk)))
    response["Cache-Control"] = "no-store"
    return response


@importer_required
@require_http_methods(["POST"])
def batch_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """After a dry run: the same file and options, this time saved."""
    dry = _batch(request, pk)
    source = Path(str(dry.options.get("source_path", "")))
    if dry.state != ImportBatch.State.DRY_RUN or not source.is_file():
        messages.error(request, _("Only a finished dry run whose file is still there can be run."))
        return redirect("incidents:import_batch", pk=dry.pk)
    from kamtibmas.incidents.importer import ImportOptions

    options = ImportOptions.from_json({**dry.options, "dry_run": False})
    batch = _start(request, _importer(), source, options)
    return redirect("incidents:import_batch", pk=batch.pk)
