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
