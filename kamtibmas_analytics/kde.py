"""Kernel density surfaces of events on a :class:`~kamtibmas_analytics.grid.Grid`.

The surface is given in **expected events per cell**: for each point the kernel's probability
mass falling in each cell, summed over points (times their weights). A grid that covers the points
with a margin of a few bandwidths therefore sums to about N (or the sum of the weights); divide
by ``grid.cell_area_m2`` for a density per square metre.

It is computed fast: the points are binned onto the cell centres (linear binning, unless there
are at least as many points as cells: each point's mass is shared by the four nearest centres,
which keeps its mean position exact), and the binned grid is convolved by FFT with the kernel's
per-cell masses. The cost is about one pass over the points plus one FFT of the grid, whatever
the bandwidth: from 50,000 points the binning is one compiled pass (numba, when installed:
``_kde_binning``), and 1,000,000 points on a 1000 x 1000 grid take about 25 ms on one core
(benchmarks/RESULTS.md).

>>> from kamtibmas_analytics.grid import Grid
>>> grid = Grid(0.0, 0.0, cell_m=100.0, nx=40, ny=30)
>>> surface = kernel_density([1500.0, 2000.0, 2050.0], [1500.0, 1400.0, 1550.0], grid,
...                          bandwidth_m=200.0)
>>> surface.shape, round(float(surface.sum()), 6)
((30, 40), 3.0)
"""

from __future__ import annotations

import math
import warnings
from typing import Literal

import numpy as np
import scipy.fft as sfft
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

from kamtibmas_analytics._kde_binning import bin_points
from kamtibmas_analytics.grid import Grid

__all__ = ["KernelDensity", "bandwidth_rule", "kernel_density"]

FloatArray = NDArray[np.float64]
Kernel = Literal["gaussian", "quartic"]
Binning = Literal["auto", "linear", "simple"]
BandwidthRule = Literal["scott", "silverman"]

KERNELS: tuple[str, ...] = ("gaussian", "quartic")
BINNINGS: tuple[str, ...] = ("auto", "linear", "simple")
RULES: tuple[str, ...] = ("scott", "silverman")

#: The Gaussian kernel is cut at this many standard deviations (mass beyond: 2e-9 per axis).
GAUSSIAN_TRUNCATE = 6.0
#: FFTs larger than this many cells run in single precision (relative round-off ~1e-6 of the
#: largest cell); smaller ones in double precision.
SINGLE_PRECISION_ABOVE = 512 * 512
#: Radius of the quartic kernel over its per-axis standard deviation: sqrt(8).
QUARTIC_RADIUS_PER_SIGMA = math.sqrt(8.0)


# -- input ------------------------------------------------------------------------------------


def _points(
    x_m: ArrayLike, y_m: ArrayLike, weights: ArrayLike | None
) -> tuple[FloatArray, FloatArray, FloatArray | None, int]:
    """Validated 1-D float arrays; points with a non-finite coordinate or weight are dropped.

    Returns ``(x, y, weights, n_dropped)``.
    """
    x = np.asarray(x_m, dtype=np.float64).ravel()
    y = np.asarray(y_m, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"x_m and y_m differ in length: {x.size} and {y.size}")
    w: FloatArray | None = None
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64).ravel()
        if w.shape != x.shape:
            raise ValueError(f"weights has length {w.size}, the points {x.size}")
    # One cheap reduction decides: the sum is finite only if every value is (overflow also
    # sends us down the careful path, which is still correct).
    total = float(x.sum()) + float(y.sum()) + (0.0 if w is None else float(w.sum()))
    n_dropped = 0
    if not math.isfinite(total):
        keep = np.isfinite(x) & np.isfinite(y)
        if w is not None:
            keep &= np.isfinite(w)
        n_dropped = int(keep.size - np.count_nonzero(keep))
        if n_dropped:
            x, y = x[keep], y[keep]
            w = None if w is None else w[keep]
    if w is not None and w.size and float(w.min()) < 0:
        raise ValueError("weights must be >= 0")
    return x, y, w, n_dropped


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")


# -- bandwidth --------------------------------------------------------------------------------


def _weighted_quantiles(v: FloatArray, w: FloatArray | None, qs: list[float]) -> FloatArray:
    if w is None:
        return np.quantile(v, qs)
    order = np.argsort(v)
    cum = np.cumsum(w[order])
    return np.interp(np.asarray(qs) * cum[-1], cum, v[order])


def bandwidth_rule(
    x_m: ArrayLike,
    y_m: ArrayLike,
    rule: BandwidthRule = "scott",
    *,
    kernel: Kernel = "gaussian",
    weights: ArrayLike | None = None,
) -> float:
    """A normal-reference bandwidth for a 2-D isotropic kernel, in metres.

    For a bivariate normal sample with standard deviation ``s`` on each axis, the bandwidth that
    minimises the asymptotic mean integrated squared error of a Gaussian KDE is
    ``h = s * n**(-1/6)`` (Scott 1992; Silverman 1986 eq. 4.14: in 2-D both constants are 1).
    The rules differ in the spread ``s`` they plug in:

    - ``"scott"``: ``s = sqrt((var_x + var_y) / 2)``, the root mean of the two variances.
    - ``"silverman"``: the same with each axis' robust spread ``min(sd, IQR / 1.349)``, so a few
      far-away points do not inflate the bandwidth (Silverman 1986, section 3.4.2).

    With ``weights``, weighted spreads and Kish's effective sample size ``(sum w)**2 / sum w**2``
    are used. The result is a Gaussian standard deviation for ``kernel="gaussian"``; for
    ``kernel="quartic"`` it is the radius with the same per-axis standard deviation
    (``sqrt(8)`` times larger).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(0.0, 1000.0, size=(2, 64))
    >>> round(bandwidth_rule(x, y), 1), round(bandwidth_rule(x, y, kernel="quartic"), 1)
    (479.3, 1355.7)
    """
    _check_choice("rule", rule, RULES)
    _check_choice("kernel", kernel, KERNELS)
    x, y, w, _ = _points(x_m, y_m, weights)
    if w is not None:
        keep = w > 0
        x, y, w = x[keep], y[keep], w[keep]
    if x.size < 2:
        raise ValueError("a bandwidth rule needs at least 2 points")
    if w is None:
        n_eff = float(x.size)
        var = [float(np.var(v, ddof=1)) for v in (x, y)]
    else:
        n_eff = float(w.sum()) ** 2 / float(np.square(w).sum())
        var = [float(np.average((v - np.average(v, weights=w)) ** 2, weights=w)) for v in (x, y)]
        var = [s2 * n_eff / max(n_eff - 1.0, 1.0) for s2 in var]
    if rule == "silverman":
        robust = []
        for v, s2 in zip((x, y), var, strict=True):
            q25, q75 = _weighted_quantiles(v, w, [0.25, 0.75])
            iqr_sd = float(q75 - q25) / 1.349
            sd = math.sqrt(s2)
            robust.append(min(sd, iqr_sd) if iqr_sd > 0 else sd)
        var = [s * s for s in robust]
    spread = math.sqrt((var[0] + var[1]) / 2.0)
    if not spread > 0:
        raise ValueError("the points have no spread: give bandwidth_m in metres")
    sigma = spread * n_eff ** (-1.0 / 6.0)
    return sigma * QUARTIC_RADIUS_PER_SIGMA if kernel == "quartic" else sigma


def _resolve_bandwidth(
    bandwidth_m: float | str,
    x: FloatArray,
    y: FloatArray,
    w: FloatArray | None,
    kernel: Kernel,
) -> float:
    if isinstance(bandwidth_m, str):
        _check_choice("bandwidth_m", bandwidth_m, RULES)
        rule: BandwidthRule = "scott" if bandwidth_m == "scott" else "silverman"
        return bandwidth_rule(x, y, rule, kernel=kernel, weights=w)
    h = float(bandwidth_m)
    if not (math.isfinite(h) and h > 0):
        raise ValueError(f"bandwidth_m must be > 0 metres or 'scott'/'silverman', got {h!r}")
    return h


# -- kernels on the grid ----------------------------------------------------------------------


def _gaussian_cell_masses(sigma_cells: float) -> FloatArray:
    """1-D Gaussian mass in each cell at offsets -r..r from the kernel centre, summing to 1."""
    r = max(1, math.ceil(GAUSSIAN_TRUNCATE * sigma_cells))
    edges = (np.arange(-r, r + 2) - 0.5) / sigma_cells
    mass = np.diff(ndtr(edges))
    return np.asarray(mass / mass.sum(), dtype=np.float64)


def quartic_value(d2_m2: ArrayLike, radius_m: float) -> FloatArray:
    """The quartic (biweight) kernel ``3 / (pi h**2) * (1 - d**2 / h**2)**2`` for ``d < h``, in
    probability per square metre; ``d2_m2`` is the squared distance and ``h`` the radius.

    >>> float(quartic_value(0.0, 1.0)) == 3 / math.pi
    True
    """
    u = 1.0 - np.asarray(d2_m2, dtype=np.float64) / (radius_m * radius_m)
    return np.asarray(np.where(u > 0, 3.0 / (math.pi * radius_m**2) * u * u, 0.0))


def _quartic_cell_masses(radius_cells: float) -> FloatArray:
    """2-D quartic mass per cell at offsets -r..r (midpoint rule on sub-cells), summing to 1."""
    r = max(1, math.ceil(radius_cells + 0.5))
    n_cells = 2 * r + 1
    sub = int(min(max(math.ceil(20.0 / radius_cells), 4), 32, max(1, 4096 // n_cells)))
    t = (np.arange(n_cells * sub) + 0.5) / sub - (r + 0.5)
    d2 = t[:, None] ** 2 + t[None, :] ** 2
    fine = quartic_value(d2, radius_cells)
    mass = fine.reshape(n_cells, sub, n_cells, sub).sum(axis=(1, 3))
    total = float(mass.sum())
    if total <= 0:  # pragma: no cover - radius_cells > 0 always leaves mass at the centre
        raise ValueError("quartic radius too small for this grid")
    return np.asarray(mass / total, dtype=np.float64)


def _wrapped(kernel_1d: FloatArray, length: int) -> FloatArray:
    """A centred 1-D kernel laid out for circular convolution of the given length."""
    r = kernel_1d.size // 2
    out = np.zeros(length)
    out[np.arange(-r, r + 1) % length] = kernel_1d
    return out


# -- the surface ------------------------------------------------------------------------------


def kernel_density(
    x_m: ArrayLike,
    y_m: ArrayLike,
    grid: Grid,
    *,
    bandwidth_m: float | str,
    kernel: Kernel = "gaussian",
    weights: ArrayLike | None = None,
    binning: Binning = "auto",
) -> FloatArray:
    """Kernel density surface in expected events per cell, shape ``grid.shape``.

    Parameters
    ----------
    x_m, y_m : array_like
        Event coordinates in metres, in the grid's projected CRS. Points with NaN or infinite
        coordinates are dropped with a warning that gives their count.
    grid : Grid
        Where to evaluate. Points outside it still count in the cells their kernel reaches.
    bandwidth_m : float or {"scott", "silverman"}
        Metres: the standard deviation of the Gaussian kernel, or the radius of the quartic
        kernel. A rule name computes it with :func:`bandwidth_rule`.
    kernel : {"gaussian", "quartic"}
        ``"gaussian"``: isotropic normal density (cut at 6 standard deviations).
        ``"quartic"``: the biweight ``3 / (pi h**2) * (1 - d**2 / h**2)**2`` for ``d < h``.
    weights : array_like, optional
        Non-negative weight per event (e.g. aoristic fractions); the surface sums the weights.
    binning : {"auto", "linear", "simple"}
        ``"auto"`` (default) bins simply when there are at least as many points as grid cells
        (dense data, where simple binning is as accurate: see benchmarks/RESULTS.md) and
        linearly otherwise. ``"linear"`` shares each point between the four nearest cell
        centres, which keeps its mean position exact: the error against the exact surface is
        second order in ``cell_m / bandwidth_m``. ``"simple"`` moves each point to its cell's
        centre: about twice as fast, first order error per point (it averages out over many
        points).

    Returns
    -------
    ndarray of float64, shape ``(ny, nx)``
        Row ``i`` is ``grid.y_centers[i]`` (northward). Each cell holds the kernel mass of every
        point falling in that cell, summed. Precision: the kernel's mass per cell is exact for
        a point at a cell centre; the binning error is stated in ``benchmarks/RESULTS.md``.
        Grids above 512 x 512 cells (with padding) are convolved in single precision.

    Examples
    --------
    One point at the centre of a 3 x 3 grid of 100 m cells, sigma 100 m: the middle cell holds
    the Gaussian mass of a 1-sigma square, ``(Phi(0.5) - Phi(-0.5))**2``.

    >>> from scipy.special import ndtr
    >>> grid = Grid(0.0, 0.0, 100.0, nx=3, ny=3)
    >>> s = kernel_density([150.0], [150.0], grid, bandwidth_m=100.0)
    >>> bool(np.isclose(s[1, 1], (ndtr(0.5) - ndtr(-0.5)) ** 2))
    True
    >>> round(float(s.sum()), 4)     # the grid covers +-1.5 sigma only: (2 Phi(1.5) - 1)**2
    0.7506
    """
    _check_choice("kernel", kernel, KERNELS)
    _check_choice("binning", binning, BINNINGS)
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a kamtibmas_analytics.grid.Grid, got {type(grid).__name__}")
    x, y, w, n_dropped = _points(x_m, y_m, weights)
    if n_dropped:
        warnings.warn(
            f"kernel_density: dropped {n_dropped} point(s) with non-finite coordinates or weights",
            RuntimeWarning,
            stacklevel=2,
        )
    h = _resolve_bandwidth(bandwidth_m, x, y, w, kernel)
    return _surface(x, y, w, grid, h, kernel, binning)


def _surface(
    x: FloatArray,
    y: FloatArray,
    w: FloatArray | None,
    grid: Grid,
    bandwidth_m: float,
    kernel: Kernel,
    binning: Binning,
) -> FloatArray:
    if binning == "auto":
        binning = "simple" if x.size >= grid.nx * grid.ny else "linear"
    h_cells = bandwidth_m / grid.cell_m
    if kernel == "gaussian":
        k1 = _gaussian_cell_masses(h_cells)
        r = k1.size // 2
    else:
        k2 = _quartic_cell_masses(h_cells)
        r = k2.shape[0] // 2
    pad = r + 1
    # The nodes (grid plus pad) are binned straight into the zero-padded FFT array.
    len_y = sfft.next_fast_len(grid.ny + 2 * pad, real=True)
    len_x = sfft.next_fast_len(grid.nx + 2 * pad, real=True)
    dtype = np.float32 if len_y * len_x > SINGLE_PRECISION_ABOVE else np.float64
    binned = bin_points(x, y, w, grid, pad, binning, shape=(len_y, len_x), dtype=dtype)
    spectrum = sfft.rfft2(binned)
    if kernel == "gaussian":
        ky = sfft.fft(_wrapped(k1, len_y)).real.astype(dtype)
        kx = sfft.rfft(_wrapped(k1, len_x)).real.astype(dtype)
        spectrum *= ky[:, None]
        spectrum *= kx[None, :]
    else:
        lay = np.zeros((len_y, len_x))
        idx = np.arange(-r, r + 1)
        lay[np.ix_(idx % len_y, idx % len_x)] = k2
        spectrum *= sfft.rfft2(lay).real.astype(dtype)
    full = sfft.irfft2(spectrum, s=(len_y, len_x))
    out = np.empty(grid.shape, dtype=np.float64)
    # FFT round-off can leave tiny negatives where there is none: clip while converting.
    np.maximum(full[pad : pad + grid.ny, pad : pad + grid.nx], 0.0, out=out)
    return out


# -- estimator --------------------------------------------------------------------------------


class KernelDensity:
    """Kernel density estimator with the scikit-learn contract.

    Parameters
    ----------
    bandwidth_m : float or {"scott", "silverman"}
        As in :func:`kernel_density`; a rule is resolved once in :meth:`fit`.
    kernel : {"gaussian", "quartic"}
    cell_m : float, optional
        If given, :meth:`fit` also builds ``grid_``: a grid of this cell size covering the
        points with ``margin_bandwidths`` bandwidths to spare, and :meth:`surface` defaults to it.
    margin_bandwidths : float
        Margin of ``grid_`` in bandwidths (3 keeps 99.7 % of each Gaussian kernel per axis).
    binning : {"linear", "simple"}

    Attributes
    ----------
    bandwidth_m_ : float
        The bandwidth used, metres.
    n_points_ : int
        Points kept.
    n_dropped_ : int
        Points dropped for a non-finite coordinate or weight.
    grid_ : Grid or None
        The covering grid when ``cell_m`` was given.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x, y = rng.normal(0.0, 500.0, size=(2, 1000))
    >>> kde = KernelDensity(bandwidth_m=150.0, cell_m=50.0).fit(x, y)
    >>> s = kde.surface()
    >>> s.shape == kde.grid_.shape, round(float(s.sum()))
    (True, 1000)
    """

    def __init__(
        self,
        *,
        bandwidth_m: float | str = "scott",
        kernel: Kernel = "gaussian",
        cell_m: float | None = None,
        margin_bandwidths: float = 3.0,
        binning: Binning = "auto",
    ) -> None:
        self.bandwidth_m = bandwidth_m
        self.kernel = kernel
        self.cell_m = cell_m
        self.margin_bandwidths = margin_bandwidths
        self.binning = binning

    def get_params(self, deep: bool = True) -> dict[str, object]:
        return {
            "bandwidth_m": self.bandwidth_m,
            "kernel": self.kernel,
            "cell_m": self.cell_m,
            "margin_bandwidths": self.margin_bandwidths,
            "binning": self.binning,
        }

    def set_params(self, **params: object) -> KernelDensity:
        valid = self.get_params()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"invalid parameter {key!r} for KernelDensity")
            setattr(self, key, value)
        return self

    def fit(
        self, x_m: ArrayLike, y_m: ArrayLike, weights: ArrayLike | None = None
    ) -> KernelDensity:
        """Validate the events and resolve the bandwidth; returns ``self``."""
        _check_choice("kernel", self.kernel, KERNELS)
        _check_choice("binning", self.binning, BINNINGS)
        x, y, w, n_dropped = _points(x_m, y_m, weights)
        if x.size == 0:
            raise ValueError("KernelDensity.fit needs at least one point with finite coordinates")
        self.bandwidth_m_ = _resolve_bandwidth(self.bandwidth_m, x, y, w, self.kernel)
        self.x_m_, self.y_m_, self.weights_ = x, y, w
        self.n_points_ = int(x.size)
        self.n_dropped_ = n_dropped
        self.grid_: Grid | None = None
        if self.cell_m is not None:
            self.grid_ = Grid.covering(
                x, y, cell_m=self.cell_m, margin_m=self.margin_bandwidths * self.bandwidth_m_
            )
        return self

    def surface(self, grid: Grid | None = None) -> FloatArray:
        """Expected events per cell on ``grid`` (default ``grid_``), as :func:`kernel_density`."""
        if not hasattr(self, "bandwidth_m_"):
            raise ValueError("this KernelDensity is not fitted yet: call fit(x_m, y_m) first")
        target = grid if grid is not None else self.grid_
        if target is None:
            raise ValueError("give a grid, or construct KernelDensity with cell_m=")
        return _surface(
            self.x_m_,
            self.y_m_,
            self.weights_,
            target,
            self.bandwidth_m_,
            self.kernel,
            self.binning,
        )
