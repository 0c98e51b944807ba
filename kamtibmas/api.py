"""Assembly of the JSON API (/api/v1/): each app contributes its router."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="Kamtibmas API",
    version="1",
    description="Residents' reports and triage for Polres Balikpapan.",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
