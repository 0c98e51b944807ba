"""Links to a camera's recording in its NVR / VMS (Kamtibmas itself records no video).

A camera may carry a ``recording_url_template`` such as
``https://nvr.example/playback?cam=5&start={start}&end={end}``; the "which cameras could have
seen it" panel fills it with the window of the report or incident, widened by five minutes on
each side (clocks drift and people misremember). Placeholders:

- ``{start}``, ``{end}``: ISO 8601 in WITA with its offset, e.g. ``2026-01-05T23:25:00+08:00``
- ``{start_utc}``, ``{end_utc}``: ISO 8601 in UTC, e.g. ``2026-01-05T15:25:00Z``
- ``{start_epoch}``, ``{end_epoch}``: whole seconds since 1970

Values are URL-encoded. Like stream URLs, a template never keeps ``user:pass@``: a viewer logs
in to the NVR themself.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from string import Formatter
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from kamtibmas.cctv.streams import strip_credentials

MARGIN = timedelta(minutes=5)
WITA = ZoneInfo("Asia/Makassar")
PLACEHOLDERS = frozenset({"start", "end", "start_utc", "end_utc", "start_epoch", "end_epoch"})


class TemplateError(ValueError):
    """A recording link template that cannot be used; the message says why."""


def _fields(template: str) -> list[str]:
    """The placeholder names of ``template``; TemplateError for anything but plain names."""
    names = []
    try:
        parsed = list(Formatter().parse(template))
    except ValueError:
        raise TemplateError(_("Braces must come in pairs around a placeholder.")) from None
    for _text, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            raise TemplateError(
                _("Unknown placeholder {%(name)s}: use %(known)s.")
                % {"name": name, "known": ", ".join(f"{{{p}}}" for p in sorted(PLACEHOLDERS))}
            )
        names.append(name)
    return names


def clean_template(template: str) -> str:
    """``template`` without credentials, checked: an http(s) address whose placeholders are
    known and that names the start of the window. An empty template stays empty."""
    template = strip_credentials((template or "").strip())
    if not template:
        return ""
    parts = urlsplit(template)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise TemplateError(_("Use an http:// or https:// address of the recorder."))
    if "{" in parts.netloc or "}" in parts.netloc:
        raise TemplateError(_("Placeholders belong in the path or the query, not the host."))
    names = _fields(template)
    if not {"start", "start_utc", "start_epoch"} & set(names):
        raise TemplateError(
            _("Put the start of the window in the link: {start}, {start_utc} or {start_epoch}.")
        )
    return template


def _values(start: datetime, end: datetime) -> dict[str, str]:
    out = {}
    for name, moment in (("start", start), ("end", end)):
        out[name] = quote(moment.astimezone(WITA).isoformat(timespec="seconds"), safe="")
        utc = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        out[f"{name}_utc"] = quote(utc, safe="")
        out[f"{name}_epoch"] = str(int(moment.timestamp()))
    return out


def recording_url(template: str, start: datetime, end: datetime | None = None) -> str | None:
    """The link to the footage of [start - 5 min, end + 5 min], or None without a usable
    template (a template stored before validation existed is skipped, not an error page)."""
    if not template:
        return None
    try:
        template = clean_template(template)
    except TemplateError:
        return None
    values = _values(start - MARGIN, (end or start) + MARGIN)
    return template.format(**values)
