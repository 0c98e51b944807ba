"""A regular grid of square cells in projected metres.

Cell ``(i, j)`` covers ``x0_m + j*cell_m <= x < x0_m + (j+1)*cell_m`` and
``y0_m + i*cell_m <= y < y0_m + (i+1)*cell_m``: cells are half-open (west and south edges
inside, east and north edges outside), so every point belongs to at most one cell and a point
exactly on the grid's east or north boundary is outside. Row ``i`` grows northward, column ``j``
eastward, and arrays over the grid have shape ``(ny, nx)``. Note that an image viewer shows row
0 at the top: flip with ``array[::-1]`` to draw north up.

>>> g = Grid(x0_m=0.0, y0_m=0.0, cell_m=100.0, nx=3, ny=2)
>>> g.shape, g.bounds
((2, 3), (0.0, 0.0, 300.0, 200.0))
>>> g.counts([50.0, 150.0, 160.0, 299.0], [50.0, 150.0, 150.0, 199.9])
array([[1., 0., 0.],
       [0., 2., 1.]])
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from shapely.geometry import Polygon
    from shapely.geometry.base import BaseGeometry

__all__ = ["Grid"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


def _xy_arrays(x_m: ArrayLike, y_m: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x = np.asarray(x_m, dtype=np.float64)
    y = np.asarray(y_m, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"x_m and y_m differ in shape: {x.shape} and {y.shape}")
    return x, y


@dataclass(frozen=True)
class Grid:
    """Square cells of ``cell_m`` metres, ``nx`` columns east and ``ny`` rows north of
    the south-west corner ``(x0_m, y0_m)``.

    Parameters
    ----------
    x0_m, y0_m : float
        South-west corner of cell (0, 0), metres in a projected CRS.
    cell_m : float
        Cell side in metres, > 0.
    nx, ny : int
        Number of columns and rows, >= 1.

    Examples
    --------
    >>> g = Grid(1000.0, 2000.0, 50.0, nx=4, ny=2)
    >>> g.x_centers
    array([1025., 1075., 1125., 1175.])
    >>> g.cell_index([1000.0, 1199.9, 1200.0], [2000.0, 2099.9, 2050.0])
    (array([ 0,  1, -1]), array([ 0,  3, -1]))
    >>> g.cell_bounds(1, 3)
    (1150.0, 2050.0, 1200.0, 2100.0)
    """

    x0_m: float
    y0_m: float
    cell_m: float
    nx: int
    ny: int

    def __post_init__(self) -> None:
        for name in ("x0_m", "y0_m", "cell_m"):
            value = float(getattr(self, name))
            if not math.isfinite(value):
                raise ValueError(f"Grid {name} must be finite, got {value!r}")
            object.__setattr__(self, name, value)
        if self.cell_m <= 0:
            raise ValueError(f"Grid cell_m must be > 0 metres, got {self.cell_m!r}")
        for name in ("nx", "ny"):
            raw = getattr(self, name)
            if isinstance(raw, bool):
                raise ValueError(f"Grid {name} must be an integer >= 1, got {raw!r}")
            try:
                count = operator.index(raw)
            except TypeError:
                raise ValueError(f"Grid {name} must be an integer >= 1, got {raw!r}") from None
            if count < 1:
                raise ValueError(f"Grid {name} must be an integer >= 1, got {count}")
            object.__setattr__(self, name, int(count))

    # -- geometry ---------------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, int]:
        """``(ny, nx)``: the shape of every array over this grid."""
        return (self.ny, self.nx)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(xmin, ymin, xmax, ymax)`` in metres."""
        return (
            self.x0_m,
            self.y0_m,
            self.x0_m + self.nx * self.cell_m,
            self.y0_m + self.ny * self.cell_m,
        )

    @property
    def x_centers(self) -> FloatArray:
        """Easting of each column's centre, shape ``(nx,)``."""
        centres = self.x0_m + (np.arange(self.nx) + 0.5) * self.cell_m
        return np.asarray(centres, dtype=np.float64)

    @property
    def y_centers(self) -> FloatArray:
        """Northing of each row's centre, shape ``(ny,)``, growing northward."""
        centres = self.y0_m + (np.arange(self.ny) + 0.5) * self.cell_m
        return np.asarray(centres, dtype=np.float64)

    @property
    def cell_area_m2(self) -> float:
        """Area of one cell in square metres."""
        return self.cell_m * self.cell_m

    def _check_cell(self, i: int, j: int) -> tuple[int, int]:
        i, j = operator.index(i), operator.index(j)
        if not (0 <= i < self.ny and 0 <= j < self.nx):
            raise IndexError(f"cell ({i}, {j}) is outside a grid of shape {self.shape}")
        return i, j

    def cell_bounds(self, i: int, j: int) -> tuple[float, float, float, float]:
        """``(xmin, ymin, xmax, ymax)`` of cell ``(i, j)`` in metres."""
        i, j = self._check_cell(i, j)
        x = self.x0_m + j * self.cell_m
        y = self.y0_m + i * self.cell_m
        return (x, y, x + self.cell_m, y + self.cell_m)

    def cell_polygon(self, i: int, j: int) -> Polygon:
        """Cell ``(i, j)`` as a shapely polygon (counter-clockwise box)."""
        from shapely.geometry import box

        return box(*self.cell_bounds(i, j))

    # -- points -----------------------------------------------------------------------------

    def cell_index(self, x_m: ArrayLike, y_m: ArrayLike) -> tuple[IntArray, IntArray]:
        """Row and column of the cell holding each point.

        Returns ``(i, j)`` integer arrays of the points' shape; both are -1 for a point outside
        the grid (including one exactly on the east or north boundary, and NaN coordinates).
        """
        x, y = _xy_arrays(x_m, y_m)
        with np.errstate(invalid="ignore"):
            fj = np.floor((x - self.x0_m) / self.cell_m)
            fi = np.floor((y - self.y0_m) / self.cell_m)
            inside = (fj >= 0) & (fj < self.nx) & (fi >= 0) & (fi < self.ny)
        i = np.where(inside, fi, -1).astype(np.intp)
        j = np.where(inside, fj, -1).astype(np.intp)
        return i, j

    def counts(
        self, x_m: ArrayLike, y_m: ArrayLike, weights: ArrayLike | None = None
    ) -> FloatArray:
        """Number (or sum of ``weights``) of points per cell, shape ``(ny, nx)``.

        Points outside the grid are ignored.

        Examples
        --------
        >>> Grid(0.0, 0.0, 10.0, nx=2, ny=1).counts([1.0, 2.0, 15.0, 25.0], [1.0, 1.0, 1.0, 1.0],
        ...                                        weights=[1.0, 0.5, 2.0, 9.0])
        array([[1.5, 2. ]])
        """
        i, j = self.cell_index(x_m, y_m)
        inside = i >= 0
        flat = i[inside] * self.nx + j[inside]
        w: FloatArray | None = None
        if weights is not None:
            w = np.asarray(weights, dtype=np.float64)
            if w.shape != i.shape:
                raise ValueError(f"weights shape {w.shape} differs from points shape {i.shape}")
            w = w[inside]
        out = np.bincount(
            flat.ravel(), weights=None if w is None else w.ravel(), minlength=self.nx * self.ny
        )
        return out.astype(np.float64, copy=False).reshape(self.shape)

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def _from_extent(
        cls, xmin: float, ymin: float, xmax: float, ymax: float, cell_m: float, margin_m: float
    ) -> Grid:
        cell_m = float(cell_m)
        margin_m = float(margin_m)
        if not (math.isfinite(cell_m) and cell_m > 0):
            raise ValueError(f"cell_m must be > 0 metres, got {cell_m!r}")
        if not (math.isfinite(margin_m) and margin_m >= 0):
            raise ValueError(f"margin_m must be >= 0 metres, got {margin_m!r}")
        lo_x, lo_y = xmin - margin_m, ymin - margin_m
        hi_x, hi_y = xmax + margin_m, ymax + margin_m
        # Snap the origin to a multiple of cell_m so grids built from different subsets align.
        x0 = math.floor(lo_x / cell_m) * cell_m
        y0 = math.floor(lo_y / cell_m) * cell_m
        nx = max(1, math.ceil((hi_x - x0) / cell_m))
        ny = max(1, math.ceil((hi_y - y0) / cell_m))
        # Half-open cells: the east/north-most extent must be strictly inside.
        if x0 + nx * cell_m <= hi_x:
            nx += 1
        if y0 + ny * cell_m <= hi_y:
            ny += 1
        return cls(x0, y0, cell_m, nx, ny)

    @classmethod
    def covering(
        cls, x_m: ArrayLike, y_m: ArrayLike, *, cell_m: float, margin_m: float = 0.0
    ) -> Grid:
        """The smallest grid, origin snapped to multiples of ``cell_m``, holding every finite
        point with at least ``margin_m`` metres to spare on each side.

        Examples
        --------
        >>> Grid.covering([120.0, 480.0], [30.0, 90.0], cell_m=100.0, margin_m=50.0)
        Grid(x0_m=0.0, y0_m=-100.0, cell_m=100.0, nx=6, ny=3)
        """
        x, y = _xy_arrays(x_m, y_m)
        finite = np.isfinite(x) & np.isfinite(y)
        if not finite.any():
            raise ValueError("Grid.covering needs at least one point with finite coordinates")
        x, y = x[finite], y[finite]
        return cls._from_extent(
            float(x.min()), float(y.min()), float(x.max()), float(y.max()), cell_m, margin_m
        )

    @classmethod
    def covering_polygon(
        cls, polygon_m: BaseGeometry, *, cell_m: float, margin_m: float = 0.0
    ) -> Grid:
        """The grid covering a shapely geometry's bounds (metres), as :meth:`covering`.

        Examples
        --------
        >>> from shapely.geometry import box
        >>> Grid.covering_polygon(box(0.0, 0.0, 250.0, 100.0), cell_m=100.0)
        Grid(x0_m=0.0, y0_m=0.0, cell_m=100.0, nx=3, ny=2)
        """
        if polygon_m.is_empty:
            raise ValueError("Grid.covering_polygon needs a non-empty geometry")
        xmin, ymin, xmax, ymax = (float(v) for v in polygon_m.bounds)
        return cls._from_extent(xmin, ymin, xmax, ymax, cell_m, margin_m)

    def mask_polygon(self, polygon_m: Any) -> NDArray[np.bool_]:
        """``(ny, nx)`` boolean array: True for cells whose centre lies inside ``polygon_m``.

        Examples
        --------
        >>> from shapely.geometry import Polygon
        >>> triangle = Polygon([(0, 0), (310, 0), (0, 310)])
        >>> Grid(0.0, 0.0, 100.0, nx=3, ny=3).mask_polygon(triangle).astype(int)
        array([[1, 1, 1],
               [1, 1, 0],
               [1, 0, 0]])
        """
        import shapely

        xx, yy = np.meshgrid(self.x_centers, self.y_centers)
        inside = shapely.contains_xy(polygon_m, xx, yy)
        return np.asarray(inside, dtype=bool).reshape(self.shape)
