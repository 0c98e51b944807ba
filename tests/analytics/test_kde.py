"""kernel_density against slow, obviously-correct references (STYLE.md item 8)."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from scipy.special import ndtr

from kamtibmas_analytics import (
    Grid,
    KernelDensity,
    _kde_binning,
    bandwidth_rule,
    grid,
    kde,
    kernel_density,
    projection,
)
from kamtibmas_analytics._kde_binning import bin_points
from kamtibmas_analytics.kde import quartic_value

# -- references ---------------------------------------------------------------------------------


def exact_gaussian_cells(x, y, w, g: Grid, sigma_m: float) -> np.ndarray:
    """Exact Gaussian mass of every point in every cell: the 2-D integral over a cell is the
    product of two 1-D normal CDF differences, summed over points."""
    xe = g.x0_m + np.arange(g.nx + 1) * g.cell_m
    ye = g.y0_m + np.arange(g.ny + 1) * g.cell_m
    mass_x = np.diff(ndtr((xe[None, :] - np.asarray(x)[:, None]) / sigma_m), axis=1)
    mass_y = np.diff(ndtr((ye[None, :] - np.asarray(y)[:, None]) / sigma_m), axis=1)
    return (mass_y * np.asarray(w)[:, None]).T @ mass_x


def kernel_at_centres(x, y, w, g: Grid, kernel: str, h_m: float) -> np.ndarray:
    """Brute force: the exact kernel density at each cell centre, for each point, times the
    cell area."""
    cx, cy = np.meshgrid(g.x_centers, g.y_centers)
    out = np.zeros(g.shape)
    for px, py, pw in zip(x, y, w, strict=True):
        d2 = (cx - px) ** 2 + (cy - py) ** 2
        if kernel == "gaussian":
            out += pw * np.exp(-d2 / (2 * h_m * h_m)) / (2 * math.pi * h_m * h_m)
        else:
            out += pw * quartic_value(d2, h_m)
    return out * g.cell_area_m2


def quartic_cells_by_subsampling(x, y, w, g: Grid, radius_m: float, sub: int = 12) -> np.ndarray:
    """Quartic mass per cell by the midpoint rule on sub x sub points in every cell."""
    fine = Grid(g.x0_m, g.y0_m, g.cell_m / sub, g.nx * sub, g.ny * sub)
    dense = kernel_at_centres(x, y, w, fine, "quartic", radius_m)
    return dense.reshape(g.ny, sub, g.nx, sub).sum(axis=(1, 3))


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True, params=["numpy", "numba"])
def binning_path(request, monkeypatch) -> str:
    """Every test runs with the numpy binning and again with the numba loop (used for large
    inputs): the oracles below hold for both."""
    if request.param == "numba":
        if not _kde_binning.NUMBA:
            pytest.skip("numba is not installed")
        monkeypatch.setattr(_kde_binning, "COMPILED_MIN_POINTS", 0)
    else:
        monkeypatch.setattr(_kde_binning, "COMPILED_MIN_POINTS", 10**18)
    return str(request.param)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


@pytest.fixture
def city() -> Grid:
    """60 x 50 cells of 10 m; points are drawn well inside it."""
    return Grid(x0_m=0.0, y0_m=0.0, cell_m=10.0, nx=60, ny=50)


def scatter(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.uniform(180.0, 420.0, n), rng.uniform(150.0, 350.0, n)


# -- against the oracles ------------------------------------------------------------------------

# Max abs error over the surface maximum, linear binning, h = 4 cells (measured 0.7 %, 0.4 %).
TOL_LINEAR_H4 = {5: 0.012, 500: 0.006}


@pytest.mark.parametrize("n", [5, 500])
def test_it_matches_the_exact_gaussian_cell_masses(rng, city, n):
    x, y = scatter(rng, n)
    fast = kernel_density(x, y, city, bandwidth_m=40.0)
    exact = exact_gaussian_cells(x, y, np.ones(n), city, 40.0)
    assert np.abs(fast - exact).max() <= TOL_LINEAR_H4[n] * exact.max()


def test_it_is_exact_for_points_at_cell_centres(rng, city):
    j, i = rng.integers(10, 50, 30), rng.integers(10, 40, 30)
    x, y = city.x_centers[j], city.y_centers[i]
    for binning in ("linear", "simple"):
        fast = kernel_density(x, y, city, bandwidth_m=25.0, binning=binning)
        exact = exact_gaussian_cells(x, y, np.ones(30), city, 25.0)
        # Only the cut at 6 sigma (mass 2e-9 per axis, renormalised) separates them.
        np.testing.assert_allclose(fast, exact, rtol=0, atol=1e-8 * exact.max())


def test_it_matches_the_kernel_at_cell_centres_for_wide_bandwidths(rng, city):
    # Centre value x area differs from the cell integral by O((cell/h)^2): 1 % at h = 4 cells.
    x, y = scatter(rng, 40)
    for kernel, h_m in (("gaussian", 40.0), ("quartic", 120.0)):
        fast = kernel_density(x, y, city, bandwidth_m=h_m, kernel=kernel)
        brute = kernel_at_centres(x, y, np.ones(40), city, kernel, h_m)
        assert np.abs(fast - brute).max() <= 0.015 * brute.max(), kernel


def test_it_matches_the_quartic_cell_masses(rng, city):
    x, y = scatter(rng, 20)
    fast = kernel_density(x, y, city, bandwidth_m=80.0, kernel="quartic")
    slow = quartic_cells_by_subsampling(x, y, np.ones(20), city, 80.0)
    assert np.abs(fast - slow).max() <= 0.02 * slow.max()


def test_it_simple_binning_is_within_its_stated_error(rng, city):
    x, y = scatter(rng, 500)
    fast = kernel_density(x, y, city, bandwidth_m=40.0, binning="simple")
    exact = exact_gaussian_cells(x, y, np.ones(500), city, 40.0)
    assert np.abs(fast - exact).max() <= 0.03 * exact.max()


@pytest.mark.skipif(not _kde_binning.NUMBA, reason="numba is not installed")
@pytest.mark.parametrize("binning", ["simple", "linear"])
@pytest.mark.parametrize("weighted", [False, True])
def test_it_bins_the_same_with_numba_and_numpy(rng, city, binning, weighted):
    # Points spread beyond the grown grid (dropped), some exactly on cell edges and centres.
    x = np.r_[rng.uniform(-400.0, 1000.0, 5000), city.x0_m + 10.0 * rng.integers(-30, 90, 200)]
    y = np.r_[rng.uniform(-400.0, 900.0, 5000), city.y0_m + 5.0 * rng.integers(-60, 160, 200)]
    w = rng.uniform(0.0, 3.0, x.size) if weighted else None
    numpy_nodes = bin_points(x, y, w, city, 7, binning, compiled=False)
    numba_nodes = bin_points(x, y, w, city, 7, binning, compiled=True)
    assert numpy_nodes.shape == (city.ny + 14, city.nx + 14)
    if binning == "simple":  # the same sums in the same order
        np.testing.assert_array_equal(numba_nodes, numpy_nodes)
    else:  # the same shares, summed in another order
        np.testing.assert_allclose(numba_nodes, numpy_nodes, rtol=1e-12, atol=1e-12)
    for compiled in (False, True):
        big = bin_points(x, y, w, city, 7, binning, shape=(70, 80), compiled=compiled)
        np.testing.assert_allclose(big[: city.ny + 14, : city.nx + 14], numpy_nodes, atol=1e-12)
        assert not big[city.ny + 14 :].any() and not big[:, city.nx + 14 :].any()
        single = bin_points(x, y, w, city, 7, binning, dtype=np.float32, compiled=compiled)
        assert single.dtype == np.float32
        np.testing.assert_allclose(single, numpy_nodes, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="cannot hold"):
        bin_points(x, y, w, city, 7, binning, shape=(10, 10))


# -- invariances --------------------------------------------------------------------------------


@pytest.mark.parametrize("kernel", ["gaussian", "quartic"])
def test_it_conserves_mass_when_the_grid_covers_the_points(rng, kernel):
    x, y = rng.normal(0.0, 300.0, (2, 2000))
    w = rng.uniform(0.0, 3.0, 2000)
    g = Grid.covering(x, y, cell_m=25.0, margin_m=6 * 60.0)
    for weights, total in ((None, 2000.0), (w, w.sum())):
        s = kernel_density(x, y, g, bandwidth_m=60.0, kernel=kernel, weights=weights)
        assert s.sum() == pytest.approx(total, rel=1e-6)
        assert s.min() >= 0.0


def test_it_counts_points_outside_the_grid_where_their_kernel_reaches(rng):
    inside = Grid(0.0, 0.0, 10.0, nx=20, ny=20)
    s = kernel_density([-30.0], [100.0], inside, bandwidth_m=30.0)
    exact = exact_gaussian_cells([-30.0], [100.0], [1.0], inside, 30.0)
    assert s.sum() > 0.1
    assert np.abs(s - exact).max() <= 0.01 * exact.max()


def test_it_is_invariant_to_shifting_points_and_grid_together(rng, city):
    x, y = scatter(rng, 300)
    dx, dy = 512_345.0, 9_861_234.0  # a UTM 50S offset, a whole number of cells apart or not
    moved = Grid(city.x0_m + dx, city.y0_m + dy, city.cell_m, city.nx, city.ny)
    for kernel in ("gaussian", "quartic"):
        a = kernel_density(x, y, city, bandwidth_m=35.0, kernel=kernel)
        b = kernel_density(x + dx, y + dy, moved, bandwidth_m=35.0, kernel=kernel)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9 * a.max())


def test_it_treats_weights_as_repeated_points(rng, city):
    x, y = scatter(rng, 50)
    reps = rng.integers(0, 4, 50)
    for kernel in ("gaussian", "quartic"):
        weighted = kernel_density(x, y, city, bandwidth_m=30.0, kernel=kernel, weights=reps)
        repeated = kernel_density(
            np.repeat(x, reps), np.repeat(y, reps), city, bandwidth_m=30.0, kernel=kernel
        )
        np.testing.assert_allclose(weighted, repeated, rtol=0, atol=1e-10)


def test_it_is_symmetric_under_mirroring(rng, city):
    x, y = scatter(rng, 100)
    xmin, _, xmax, _ = city.bounds
    a = kernel_density(x, y, city, bandwidth_m=30.0)
    b = kernel_density(xmin + xmax - x, y, city, bandwidth_m=30.0)
    np.testing.assert_allclose(a, b[:, ::-1], rtol=0, atol=1e-10)


# -- hand-computed cases ------------------------------------------------------------------------


def test_it_spreads_one_centred_point_by_hand():
    # One point at the centre of the middle cell of 3 x 3 cells of 100 m, sigma = 100 m:
    # middle cell mass (Phi(.5) - Phi(-.5))^2, edge cells (Phi(.5)-Phi(-.5))(Phi(1.5)-Phi(.5)).
    g = Grid(0.0, 0.0, 100.0, nx=3, ny=3)
    s = kernel_density([150.0], [150.0], g, bandwidth_m=100.0)
    a, b = 0.3829249225480262, 0.2417303374571288  # Phi(.5)-Phi(-.5), Phi(1.5)-Phi(.5)
    expected = np.array([[b * b, a * b, b * b], [a * b, a * a, a * b], [b * b, a * b, b * b]])
    np.testing.assert_allclose(s, expected, rtol=1e-8)  # the 6-sigma cut: 2e-9 per axis


def test_it_shares_a_point_between_two_centres_by_hand():
    # A point halfway between two cell centres = half a point at each, whatever the kernel.
    g = Grid(0.0, 0.0, 10.0, nx=30, ny=30)
    half = kernel_density([150.0], [145.0], g, bandwidth_m=20.0)
    two = 0.5 * (
        kernel_density([145.0], [145.0], g, bandwidth_m=20.0)
        + kernel_density([155.0], [145.0], g, bandwidth_m=20.0)
    )
    np.testing.assert_allclose(half, two, rtol=0, atol=1e-14)


def test_it_keeps_the_quartic_kernel_within_its_radius():
    g = Grid(0.0, 0.0, 10.0, nx=41, ny=41)
    radius = 100.0
    s = kernel_density([205.0], [205.0], g, bandwidth_m=radius, kernel="quartic")
    cx, cy = np.meshgrid(g.x_centers, g.y_centers)
    # A cell is reachable when its nearest corner is within the radius.
    nearest = np.hypot(
        np.maximum(np.abs(cx - 205.0) - 5.0, 0), np.maximum(np.abs(cy - 205.0) - 5, 0)
    )
    assert s[nearest >= radius].max() <= 1e-12
    assert s[nearest < radius - 10.0].min() > 0
    assert s.sum() == pytest.approx(1.0, rel=1e-9)
    assert s[20, 20] == s.max()


# -- bandwidth and validation -------------------------------------------------------------------


def test_it_picks_the_normal_reference_bandwidth(rng):
    x, y = rng.normal(0.0, 1000.0, (2, 20_000))
    expected = 1000.0 * 20_000 ** (-1 / 6)
    assert bandwidth_rule(x, y, "scott") == pytest.approx(expected, rel=0.03)
    assert bandwidth_rule(x, y, "silverman") == pytest.approx(expected, rel=0.03)
    assert bandwidth_rule(x, y, kernel="quartic") == pytest.approx(math.sqrt(8) * expected, 0.03)


def test_it_silverman_resists_outliers(rng):
    x, y = rng.normal(0.0, 100.0, (2, 1000))
    x[:10] += 1e6
    assert bandwidth_rule(x, y, "silverman") < 0.01 * bandwidth_rule(x, y, "scott")


def test_it_accepts_a_rule_name_as_bandwidth(rng, city):
    x, y = scatter(rng, 200)
    h = bandwidth_rule(x, y, "scott")
    np.testing.assert_array_equal(
        kernel_density(x, y, city, bandwidth_m="scott"), kernel_density(x, y, city, bandwidth_m=h)
    )


def test_it_drops_nan_points_with_a_count(city):
    with pytest.warns(RuntimeWarning, match="dropped 3 point"):
        s = kernel_density(
            [100.0, np.nan, 200.0, 10.0], [100.0, 5.0, np.inf, np.nan], city, bandwidth_m=20.0
        )
    np.testing.assert_array_equal(s, kernel_density([100.0], [100.0], city, bandwidth_m=20.0))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"x_m": [1.0, 2.0], "y_m": [1.0]}, "differ in length"),
        ({"weights": [1.0, 2.0, 3.0]}, "weights has length"),
        ({"weights": [1.0, -1.0]}, ">= 0"),
        ({"bandwidth_m": 0.0}, "bandwidth_m must be > 0"),
        ({"bandwidth_m": "wide"}, "bandwidth_m must be one of"),
        ({"kernel": "epanechnikov"}, "kernel must be one of"),
        ({"binning": "cic"}, "binning must be one of"),
    ],
)
def test_it_rejects_bad_arguments(city, kwargs, message):
    args = {"x_m": [1.0, 2.0], "y_m": [1.0, 2.0], "bandwidth_m": 10.0} | kwargs
    with pytest.raises(ValueError, match=message):
        kernel_density(args.pop("x_m"), args.pop("y_m"), city, **args)


def test_it_fits_like_a_scikit_learn_estimator(rng):
    x, y = rng.normal(0.0, 500.0, (2, 1000))
    est = KernelDensity(bandwidth_m="silverman", kernel="quartic", cell_m=50.0)
    assert est.get_params()["kernel"] == "quartic"
    with pytest.raises(ValueError, match="not fitted"):
        est.surface()
    assert est.fit(np.append(x, np.nan), np.append(y, 0.0)) is est
    assert est.n_points_ == 1000 and est.n_dropped_ == 1
    assert est.bandwidth_m_ == pytest.approx(bandwidth_rule(x, y, "silverman", kernel="quartic"))
    s = est.surface()
    assert s.shape == est.grid_.shape
    assert s.sum() == pytest.approx(1000.0, rel=1e-6)
    assert est.set_params(kernel="gaussian") is est and est.kernel == "gaussian"


def test_it_large_grids_agree_with_double_precision(rng):
    # Above SINGLE_PRECISION_ABOVE cells the FFT runs in float32.
    x, y = rng.uniform(0.0, 6000.0, (2, 5000))
    g = Grid(0.0, 0.0, 10.0, nx=600, ny=600)
    s = kernel_density(x, y, g, bandwidth_m=30.0)
    small = Grid(0.0, 0.0, 10.0, nx=600, ny=200)  # same cells, south third, under the threshold
    south = kernel_density(x, y, small, bandwidth_m=30.0)
    np.testing.assert_allclose(s[:150], south[:150], rtol=0, atol=2e-6 * s.max())


# -- docs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("module", [grid, kde, projection], ids=lambda m: m.__name__)
def test_it_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
