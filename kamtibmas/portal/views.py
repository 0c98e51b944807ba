"""Public portal pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from kamtibmas.reports.forms import TrackForm


@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    """What Kamtibmas is, the two main actions, the emergency number and the privacy notice."""
    return render(request, "portal/home.html", {"track_form": TrackForm()})
