"""The contract between forecasts and patrol planning: a risk surface for one unit and window.

``risk_surface(unit, group, start, end)`` returns the stored forecast covering that window when
there is one, else computes one on the fly (and says so: ``run_id`` is None). Grids are in UTM
50S metres (EPSG:32750); ``mask`` marks the cells inside the unit's area.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kamtibmas_analytics.grid import Grid

METRIC_CRS = "EPSG:32750"


@dataclass(frozen=True)
class RiskSurface:
    grid: Grid
    scores: NDArray[np.float64]  # (ny, nx), expected incidents in the window where the model can
    mask: NDArray[np.bool_]  # (ny, nx), True inside the unit's area
    unit_id: int
    group: str
    start: datetime
    end: datetime
    model: str
    run_id: int | None = None  # the stored ForecastRun, None when computed on the fly
    explanations: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)

    def top_cells(self, n: int) -> list[tuple[int, int, float]]:
        """The ``n`` highest-scoring cells inside the mask as ``(i, j, score)``, best first
        (ties broken by row then column, so the order is stable)."""
        scores = np.where(self.mask, self.scores, -np.inf)
        flat = np.argsort(-scores, axis=None, kind="stable")[:n]
        out = []
        for k in flat:
            i, j = divmod(int(k), self.grid.nx)
            if np.isfinite(scores[i, j]):
                out.append((i, j, float(scores[i, j])))
        return out


def _stored(unit: Any, group: str, start: datetime, end: datetime) -> Any:
    from kamtibmas.forecasts.models import ForecastRun

    runs = ForecastRun.objects.filter(unit=unit, group=group, start__lte=start, end__gte=end)
    # The narrowest window that covers the asked one (a shift before seven days), newest first.
    return min(runs.order_by("-created_at"), key=lambda r: r.end - r.start, default=None)


def _from_run(run: Any) -> RiskSurface:
    scores, mask = run.arrays()
    explanations = {(c.i, c.j): c.explanation for c in run.cells.all()}
    return RiskSurface(
        run.grid,
        scores,
        mask,
        run.unit_id,
        run.group,
        run.start,
        run.end,
        run.model_name,
        run.pk,
        explanations,
    )


def risk_surface(unit: Any, group: str, start: datetime, end: datetime) -> RiskSurface:
    """The stored forecast of ``unit`` and ``group`` covering ``[start, end)``, else one
    computed now (not stored, ``run_id`` None) from the incidents before ``start`` (or now).

    Raises ValueError for an unknown group or an empty window, ``ForecastError`` when the unit
    has no area or no model is installed."""
    from kamtibmas.forecasts.groups import CRIME_GROUPS

    if group not in CRIME_GROUPS:
        raise ValueError(f"unknown crime group {group!r}")
    if end <= start:
        raise ValueError("the window must end after it starts")
    run = _stored(unit, group, start, end)
    if run is not None:
        return _from_run(run)
    from kamtibmas.forecasts.services import compute_surface

    return compute_surface(unit, group, start, end)
