"""Access matrix of the forecasts and patrols JSON API: staff only (401 without a key or a
session, 403 for a resident), a missing or another unit's object is 404."""

from __future__ import annotations

ROUTES = {
    "api:forecast_list": ("/api/v1/forecasts", (401, 403, 200, 200)),
    "api:forecast_detail": ("/api/v1/forecasts/999999", (401, 403, 404, 404)),
    "api:forecast_cells_geojson": (
        "/api/v1/forecasts/999999/cells.geojson",
        (401, 403, 404, 404),
    ),
    "api:patrol_plan_list": ("/api/v1/patrols/plans", (401, 403, 200, 200)),
    "api:patrol_plan_detail": ("/api/v1/patrols/plans/999999", (401, 403, 404, 404)),
}
