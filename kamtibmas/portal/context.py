from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    return {"MAP_TILES_URL": settings.MAP_TILES_URL, "SITE_NAME": "Kamtibmas Balikpapan"}
