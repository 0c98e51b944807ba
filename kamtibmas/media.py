"""Files under MEDIA_ROOT are never served as a whole (it holds report photos, CCTV snapshots,
coordinators' post photos): each file goes out through a view that checked who may see it, and
these helpers build that view's response."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404

PRIVATE = "private, no-store"


def media_file(relative: str) -> Path | None:
    """The file at ``relative`` under MEDIA_ROOT, if it is one and stays inside."""
    if not relative:
        return None
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / relative).resolve()
    return path if root in path.parents and path.is_file() else None


def media_path_response(
    relative: str, *, content_type: str = "image/jpeg", cache_control: str = PRIVATE
) -> FileResponse:
    """The file at ``relative`` under MEDIA_ROOT; 404 when missing or outside."""
    path = media_file(relative)
    if path is None:
        raise Http404
    return _response(path.open("rb"), content_type, cache_control)


def stored_file_response(
    field_file: Any, *, content_type: str = "", cache_control: str = PRIVATE
) -> FileResponse:
    """A model's stored file (FieldFile); 404 when empty or gone from storage."""
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except (OSError, ValueError):
        raise Http404 from None
    guessed = mimetypes.guess_type(field_file.name or "")[0] or "application/octet-stream"
    return _response(handle, content_type or guessed, cache_control)


def _response(handle: Any, content_type: str, cache_control: str) -> FileResponse:
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = cache_control
    return response
