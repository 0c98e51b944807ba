"""``{% cctv_coverage incident %}``: the cameras that could have seen an incident (a panel on
the incident detail page), limited to the cameras the viewer may see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template

from kamtibmas.cctv import scoping
from kamtibmas.cctv.coverage import cameras_covering

register = template.Library()

# Without a recorded end, the window is an hour from the start.
DEFAULT_WINDOW = timedelta(hours=1)


@register.inclusion_tag("cctv/coverage_panel.html", takes_context=True)
def cctv_coverage(context: Any, incident: Any) -> dict[str, Any]:
    user = context["request"].user
    found: list[Any] = []
    start = getattr(incident, "occurred_from", None)
    if incident.lat is not None and incident.lon is not None and start is not None:
        end = getattr(incident, "occurred_to", None) or start + DEFAULT_WINDOW
        found = cameras_covering(
            incident.lat, incident.lon, start, end, cameras=scoping.cameras_for(user)
        )
    return {"coverage": found, "has_time": start is not None}
