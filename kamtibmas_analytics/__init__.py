"""Crime analysis on plain numpy/scipy arrays in projected metres (never imports Django).

Modules: :mod:`~kamtibmas_analytics.grid` (the cell grid), :mod:`~kamtibmas_analytics.projection`
(lon/lat <-> UTM metres), :mod:`~kamtibmas_analytics.kde` (kernel density surfaces).
"""

from kamtibmas_analytics.grid import Grid
from kamtibmas_analytics.hotspots import (
    EmergingResult,
    GiStarResult,
    emerging_hot_spots,
    fdr_bh,
    gi_star_areas,
    gi_star_grid,
)
from kamtibmas_analytics.kde import KernelDensity, bandwidth_rule, kernel_density
from kamtibmas_analytics.nearrepeat import KnoxResult, knox_test
from kamtibmas_analytics.projection import reproject, to_lonlat, to_metres, utm_crs_for
from kamtibmas_analytics.temporal import (
    ComparisonResult,
    MonthlySeries,
    aoristic_hour_weekday,
    compare_periods,
    mann_kendall,
    monthly_series,
)

__all__ = [
    "Grid",
    "KernelDensity",
    "bandwidth_rule",
    "kernel_density",
    "reproject",
    "to_lonlat",
    "to_metres",
    "utm_crs_for",
]
# Hot spots, near repeat and time (hotspots.py, nearrepeat.py, temporal.py).
__all__ += [
    "ComparisonResult",
    "EmergingResult",
    "GiStarResult",
    "KnoxResult",
    "MonthlySeries",
    "aoristic_hour_weekday",
    "compare_periods",
    "emerging_hot_spots",
    "fdr_bh",
    "gi_star_areas",
    "gi_star_grid",
    "knox_test",
    "mann_kendall",
    "monthly_series",
]
