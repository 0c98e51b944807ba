"""``{% cctv_coverage incident %}``: the cameras that could have seen an incident (a panel on
the incident and report pages), limited to the cameras the viewer may see, each with a link to
its recorder's footage of the window where the camera has a recording link template."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template

from kamtibmas.cctv import scoping
from kamtibmas.cctv.coverage import cameras_covering
from kamtibmas.cctv.recording import recording_url

register = template.Library()

# Without a recorded end, the window is an hour from the start.
DEFAULT_WINDOW = timedelta(hours=1)


@register.inclusion_tag("cctv/coverage_panel.html", takes_context=True)
def cctv_coverage(context: Any, incident: Any) -> dict[str, Any]:
    user = context["request"].user
    rows: list[dict[str, Any]] = []
    start = getattr(incident, "occurred_from", None)
    if incident.lat is not None and incident.lon is not None and start is not None:
        end = getattr(incident, "occurred_to", None) or start + DEFAULT_WINDOW
        found = cameras_covering(
            incident.lat, incident.lon, start, end, cameras=scoping.cameras_for(user)
        )
        rows = [
            {"c": c, "recording": recording_url(c.camera.recording_url_template, start, end)}
            for c in found
        ]
    return {"coverage": rows, "has_time": start is not None}
