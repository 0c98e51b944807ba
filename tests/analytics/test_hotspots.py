"""Gi*, FDR and emerging hot spots against slow, obviously-correct references."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from scipy import stats

from kamtibmas_analytics import hotspots
from kamtibmas_analytics.hotspots import emerging_hot_spots, fdr_bh, gi_star_areas, gi_star_grid


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


def gi_star_slow(values: np.ndarray, neighbours: list[list[int]]) -> np.ndarray:
    """Getis-Ord Gi* written out term by term (binary weights, self included)."""
    n = len(values)
    xbar = sum(values) / n
    s = (sum(v * v for v in values) / n - xbar**2) ** 0.5
    z = []
    for i in range(n):
        nb = set(neighbours[i]) | {i}
        w = len(nb)
        local = sum(values[j] for j in nb)
        z.append((local - xbar * w) / (s * ((n * w - w * w) / (n - 1)) ** 0.5))
    return np.array(z)


def grid_neighbours_slow(mask: np.ndarray, distance_cells: float) -> tuple[list, list]:
    cells = [(i, j) for i in range(mask.shape[0]) for j in range(mask.shape[1]) if mask[i, j]]
    nbrs = []
    for a, (i, j) in enumerate(cells):
        row = []
        for b, (k, m) in enumerate(cells):
            if a != b and (i - k) ** 2 + (j - m) ** 2 <= distance_cells**2 + 1e-9:
                row.append(b)
        nbrs.append(row)
    return cells, nbrs


@pytest.mark.parametrize("distance_cells", [1.0, 1.5, 2.0, 6.5])  # 6.5 takes the FFT path
def test_it_matches_the_double_loop_gi_star_on_a_masked_grid(rng, distance_cells):
    counts = rng.poisson(3.0, size=(14, 17)).astype(float)
    counts[4:7, 5:9] += 9
    mask = np.ones(counts.shape, dtype=bool)
    mask[:3, :4] = False
    mask[10:, 12:] = False
    cells, nbrs = grid_neighbours_slow(mask, distance_cells)
    slow = gi_star_slow([counts[c] for c in cells], nbrs)
    fast = gi_star_grid(counts, distance_cells=distance_cells, mask=mask)
    np.testing.assert_allclose(fast.z[mask], slow, rtol=1e-9, atol=1e-9)
    assert np.isnan(fast.z[~mask]).all()
    assert (fast.category[~mask] == 0).all()


def test_it_matches_the_double_loop_for_areas_by_distance_and_k(rng):
    x = rng.uniform(0, 10_000, 60)
    y = rng.uniform(0, 8_000, 60)
    v = rng.poisson(5, 60).astype(float) + (x < 3000) * 8
    d2 = (x[:, None] - x[None, :]) ** 2 + (y[:, None] - y[None, :]) ** 2
    by_band = [[j for j in range(60) if j != i and d2[i, j] <= 2500.0**2] for i in range(60)]
    by_k = [[int(j) for j in np.argsort(d2[i]) if j != i][:5] for i in range(60)]
    band = gi_star_areas(v, x, y, distance_m=2500.0)
    knn = gi_star_areas(v, x, y, k=5)
    np.testing.assert_allclose(band.z, gi_star_slow(list(v), by_band), rtol=1e-9)
    np.testing.assert_allclose(knn.z, gi_star_slow(list(v), by_k), rtol=1e-9)


def test_a_four_cell_case_by_hand():
    # Cells in a row, values 1, 2, 3, 6; rook neighbours. Cell 3 sees cells 2 and 3:
    # mean 3, s = sqrt(50/4 - 9) = sqrt(3.5); W = 2; z = (9 - 6) / (sqrt(3.5) sqrt((8 - 4) / 3)).
    r = gi_star_grid(np.array([[1.0, 2.0, 3.0, 6.0]]))
    assert r.z[0, 3] == pytest.approx(3 / (np.sqrt(3.5) * np.sqrt(4 / 3)))


def test_it_is_symmetric_under_flips_and_transposition(rng):
    counts = rng.poisson(2.0, size=(30, 40)).astype(float)
    r = gi_star_grid(counts, distance_cells=2.5).z
    np.testing.assert_allclose(gi_star_grid(counts[::-1], distance_cells=2.5).z, r[::-1])
    np.testing.assert_allclose(gi_star_grid(counts[:, ::-1], distance_cells=2.5).z, r[:, ::-1])
    np.testing.assert_allclose(gi_star_grid(counts.T, distance_cells=2.5).z, r.T)


def test_grid_k_nearest_agrees_with_areas_at_cell_centres(rng):
    counts = rng.poisson(2.0, size=(12, 15)).astype(float)
    grid = gi_star_grid(counts, k=8).z
    jj, ii = np.meshgrid(np.arange(15), np.arange(12))
    # Jitter breaks the grid's distance ties the same way in neither call, so compare
    # interior cells only, where the 8 nearest are the unambiguous queen neighbours.
    areas = gi_star_areas(counts.ravel(), jj.ravel() * 100.0, ii.ravel() * 100.0, k=8).z
    np.testing.assert_allclose(grid[1:-1, 1:-1], areas.reshape(12, 15)[1:-1, 1:-1])


def test_categories_follow_fdr_bins():
    rng = np.random.default_rng(3)
    counts = rng.poisson(1.0, size=(40, 40)).astype(float)
    counts[10:14, 10:14] += 8
    counts[30:36, 25:31] = 0.0
    r = gi_star_grid(counts, distance_cells=1.5)
    _, q = fdr_bh(r.p)
    np.testing.assert_allclose(r.q, q)
    expect = np.select([q <= 0.01, q <= 0.05, q <= 0.10], [3, 2, 1], 0) * np.sign(r.z)
    np.testing.assert_array_equal(r.category, expect)
    assert r.category[11, 11] == 3
    np.testing.assert_array_equal(r.significant, q <= 0.05)


def test_fdr_bh_matches_scipy_and_a_known_example(rng):
    # Benjamini & Hochberg (1995) worked example: 15 p-values, 4 rejected at 0.05.
    p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
         0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0]  # fmt: skip
    rejected, q = fdr_bh(p, alpha=0.05)
    assert rejected.sum() == 4 and rejected[:4].all()
    np.testing.assert_allclose(q, stats.false_discovery_control(p, method="bh"))
    many = rng.uniform(size=(20, 30)) ** 3
    expect = stats.false_discovery_control(many, axis=None).reshape(many.shape)
    np.testing.assert_allclose(fdr_bh(many)[1], expect)


def test_fdr_bh_ignores_nans():
    rejected, q = fdr_bh([0.01, np.nan, 0.02])
    assert np.isnan(q[1]) and not rejected[1]
    np.testing.assert_allclose(q[[0, 2]], [0.02, 0.02])


def test_a_500_by_500_grid_is_fast(rng):
    import time

    counts = rng.poisson(0.5, size=(500, 500)).astype(float)
    start = time.perf_counter()
    gi_star_grid(counts, distance_cells=3.0)
    assert time.perf_counter() - start < 2.0


def classify(hot_rows: str, cold_rows: str = "", tau: float = 0.0, p: float = 1.0) -> str:
    """Category of one cell from strings like 'HH.H' (H hot / C cold / . neither)."""
    flags = np.array([list(hot_rows)])
    hot = (flags == "H").T
    cold = (flags == "C").T
    return str(hotspots._classify(hot, cold, np.array([tau]), np.array([p]), 0.05)[0])


@pytest.mark.parametrize(
    ("series", "tau", "p", "expected"),
    [
        ("..........", 0.0, 1.0, "none"),
        (".........H", 0.0, 1.0, "new"),
        ("......HHHH", 0.0, 1.0, "consecutive"),
        ("HHHHHHHHHH", 0.5, 0.01, "intensifying"),
        ("HHHHHHHHHH", 0.1, 0.60, "persistent"),
        ("HHHHHHHHHH", -0.5, 0.01, "diminishing"),
        ("H.H..H...H", 0.0, 1.0, "sporadic"),
        ("H.HH.....H", 0.0, 1.0, "sporadic"),
        ("H.H.......", 0.0, 1.0, "sporadic"),
        ("C....C...H", 0.0, 1.0, "oscillating"),
        ("HHHHHHHHH.", 0.0, 1.0, "historical"),
        (".........C", 0.0, 1.0, "new cold"),
        ("CCCCCCCCCC", -0.5, 0.01, "intensifying cold"),
        ("CCCCCCCCCC", 0.5, 0.01, "diminishing cold"),
        ("H...H....C", 0.0, 1.0, "oscillating cold"),
        ("H...C.....", 0.0, 1.0, "none"),
    ],
)
def test_emerging_categories_follow_the_documented_rules(series, tau, p, expected):
    assert classify(series, tau=tau, p=p) == expected


def test_emerging_hot_spots_finds_a_new_and_an_intensifying_spot():
    rng = np.random.default_rng(11)
    t = 10
    counts = rng.poisson(2.0, size=(t, 20, 20)).astype(float)
    counts[:, 4:7, 4:7] += np.linspace(6, 30, t)[:, None, None]  # growing every period
    counts[-1, 14:17, 14:17] += 15  # appears in the last period
    r = emerging_hot_spots(counts, distance_cells=1.5)
    assert r.category[5, 5] == "intensifying"
    assert r.trend_tau[5, 5] > 0.5 and r.count_tau[5, 5] > 0.5
    assert r.category[15, 15] == "new"
    assert r.gi_z.shape == (t, 20, 20) and r.hot[:, 5, 5].all()


def test_emerging_hot_spots_respects_the_mask():
    counts = np.random.default_rng(2).poisson(2.0, size=(4, 10, 10)).astype(float)
    mask = np.ones((10, 10), dtype=bool)
    mask[0] = False
    r = emerging_hot_spots(counts, mask=mask)
    assert (r.category[0] == "none").all() and np.isnan(r.trend_tau[0]).all()


def test_docstring_examples_run():
    assert doctest.testmod(hotspots).failed == 0
