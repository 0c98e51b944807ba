"""Public portal pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from kamtibmas.community.queries import upcoming_public_events
from kamtibmas.portal import content
from kamtibmas.portal.alerts import active_alerts
from kamtibmas.portal.views_content import with_text
from kamtibmas.reports.forms import TrackForm

HOME_ARTICLES = 3
HOME_EVENTS = 3
HOME_ALERTS = 3
# Numbers that work from any phone in Indonesia, free of charge, 24 hours.
EMERGENCY_NUMBERS = (
    ("110", _("Police")),
    ("112", _("All emergencies")),
    ("113", _("Fire brigade")),
    ("119", _("Ambulance")),
)


@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    """What Kamtibmas is, the two main actions, the emergency numbers, current alerts, news and
    events, the statistics, and the privacy notice. No map here: the page must stay light."""
    context = {
        "track_form": TrackForm(),
        "alerts": list(active_alerts()[:HOME_ALERTS]),
        "articles": with_text(content.published_articles()[:HOME_ARTICLES]),
        "events": list(upcoming_public_events(HOME_EVENTS)),
        "emergency_numbers": EMERGENCY_NUMBERS,
    }
    return render(request, "portal/home.html", context)
