"""Knox near-repeat test against brute-force pair enumeration and exact permutation laws."""

from __future__ import annotations

import csv
import doctest
import itertools
import os

import numpy as np
import pytest

from kamtibmas_analytics import _knox_kernel, nearrepeat
from kamtibmas_analytics.nearrepeat import knox_test
from tests.conftest import shared_data

SPACE = (0.0, 100.0, 200.0, 400.0)
TIME = (0.0, 7.0, 14.0, 28.0)


@pytest.fixture
def events() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    n = 300
    x = rng.uniform(0, 3000, n)
    y = rng.uniform(0, 3000, n)
    t = rng.uniform(0, 200, n).round(3)
    x[:30] = x[30:60] + rng.normal(0, 40, 30)  # near repeats
    y[:30] = y[30:60] + rng.normal(0, 40, 30)
    t[:30] = t[30:60] + rng.uniform(0, 6, 30)
    return x, y, t


def knox_counts_slow(x, y, t, space=SPACE, time=TIME) -> np.ndarray:
    """Every pair i < j, binned by explicit comparisons with the half-open band edges."""
    out = np.zeros((len(space) - 1, len(time) - 1), dtype=int)
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            d = ((x[i] - x[j]) ** 2 + (y[i] - y[j]) ** 2) ** 0.5
            g = abs(t[i] - t[j])
            for s in range(len(space) - 1):
                for b in range(len(time) - 1):
                    if space[s] <= d < space[s + 1] and time[b] <= g < time[b + 1]:
                        out[s, b] += 1
    return out


def knox_reference(x, y, t, permutations, seed, space=SPACE, time=TIME):
    """The whole test, one permutation at a time, over all pairs with numpy: (obs, exp, p)."""
    # knox_test's canonical order (500 m strips, then x, y, t) fixes which event gets which time.
    order = np.lexsort((t, y, x, np.floor((y - y.min()) / 500.0)))
    x, y, t = x[order], y[order], t[order]
    i, j = np.triu_indices(len(x), k=1)
    s = np.searchsorted(space, np.hypot(x[i] - x[j], y[i] - y[j]), side="right") - 1

    def counts(tt):
        b = np.searchsorted(time, np.abs(tt[i] - tt[j]), side="right") - 1
        ok = (s >= 0) & (s < len(space) - 1) & (b >= 0) & (b < len(time) - 1)
        out = np.zeros((len(space) - 1, len(time) - 1), dtype=int)
        np.add.at(out, (s[ok], b[ok]), 1)
        return out

    obs = counts(t)
    rng = np.random.default_rng(seed)
    sims = np.array([counts(t[rng.permutation(t.size)]) for _ in range(permutations)])
    return obs, sims.mean(axis=0), (1.0 + (sims >= obs).sum(axis=0)) / (1.0 + permutations)


@pytest.mark.parametrize(
    ("permutations", "time"),
    [(1, TIME), (13, TIME), (41, TIME), (70, TIME), (21, (0.0, 1.0, 3.0, 6.0, 7.0, 9.0, 30.0))],
)
def test_it_matches_one_permutation_at_a_time_over_all_pairs(events, permutations, time):
    # Batches of permutations are counted together; the draws and so the table are the same
    # as one permutation at a time (70 = two full batches and a padded one of 6). Time edges
    # are compared 4 per pass over the pairs (6 edges: two passes, the second padded).
    x, y, t = events
    r = knox_test(x, y, t, space_bands_m=SPACE, time_bands_days=time,
                  permutations=permutations, random_state=9)  # fmt: skip
    obs, expected, p = knox_reference(x, y, t, permutations, 9, time=time)
    np.testing.assert_array_equal(r.observed, obs)
    np.testing.assert_array_equal(r.expected, expected)
    np.testing.assert_array_equal(r.p_values, p)


def test_it_gives_the_same_table_whatever_the_batch_size(events, monkeypatch):
    x, y, t = events
    a = knox_test(x, y, t, permutations=45, random_state=4)
    monkeypatch.setattr(_knox_kernel, "BATCH", 8)
    assert _knox_kernel.batch_size(len(x)) == 8
    b = knox_test(x, y, t, permutations=45, random_state=4)
    assert a.table() == b.table()


def test_observed_counts_match_brute_force(events):
    x, y, t = events
    r = knox_test(x, y, t, space_bands_m=SPACE, time_bands_days=TIME, permutations=9)
    np.testing.assert_array_equal(r.observed, knox_counts_slow(x, y, t))


def test_open_ended_bands_count_everything_beyond_the_last_edge(events):
    x, y, t = events
    space = (0.0, 200.0, np.inf)
    time = (0.0, 14.0, np.inf)
    r = knox_test(x, y, t, space_bands_m=space, time_bands_days=time, permutations=9)
    np.testing.assert_array_equal(r.observed, knox_counts_slow(x, y, t, space, time))
    assert r.observed.sum() == len(x) * (len(x) - 1) // 2
    assert r.table()[-1]["distance"] == "more than 200 m"
    assert r.table()[-1]["time"] == "more than 14 days"


def test_a_tiny_case_by_hand():
    # Three events: A-B 50 m and 3 days apart, A-C and B-C far apart in space.
    r = knox_test([0.0, 50.0, 5000.0], [0.0, 0.0, 0.0], [0.0, 3.0, 4.0], permutations=19)
    assert r.observed.sum() == 1 and r.observed[0, 0] == 1
    # Whatever the shuffle, the single close pair is 1, 3 or 4 days apart: always band 0-7.
    assert r.expected[0, 0] == 1.0 and r.p_values[0, 0] == 1.0


def test_monte_carlo_agrees_with_the_exact_permutation_distribution():
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 300, 6)
    y = rng.uniform(0, 300, 6)
    t = np.array([0.0, 2.0, 3.0, 9.0, 16.0, 30.0])
    space, time = (0.0, 150.0, 300.0), (0.0, 7.0, 21.0)
    obs = knox_counts_slow(x, y, t, space, time)
    sims = np.array(
        [knox_counts_slow(x, y, t[list(p)], space, time) for p in itertools.permutations(range(6))]
    )
    exact_mean = sims.mean(axis=0)
    exact_p = (sims >= obs).mean(axis=0)
    r = knox_test(x, y, t, space_bands_m=space, time_bands_days=time, permutations=2999,
                  random_state=1)  # fmt: skip
    np.testing.assert_array_equal(r.observed, obs)
    np.testing.assert_allclose(r.expected, exact_mean, atol=0.05)
    np.testing.assert_allclose(r.p_values, exact_p, atol=0.03)


def test_a_seed_reproduces_the_table_and_row_order_does_not_matter(events):
    x, y, t = events
    a = knox_test(x, y, t, permutations=99, random_state=42)
    b = knox_test(x, y, t, permutations=99, random_state=42)
    order = np.random.default_rng(0).permutation(len(x))
    c = knox_test(x[order], y[order], t[order], permutations=99, random_state=42)
    assert a.table() == b.table() == c.table()


def test_planted_near_repeats_are_significant_and_the_table_reads_well(events):
    x, y, t = events
    r = knox_test(x, y, t, permutations=199, random_state=3)
    first = r.table()[0]
    assert first["distance"] == "0-100 m" and first["time"] == "0-7 days"
    assert first["ratio"] > 2 and first["p"] == pytest.approx(1 / 200)
    assert len(r.table()) == 5 * 4
    assert set(first) == {"distance", "time", "observed", "expected", "ratio", "p"}
    np.testing.assert_allclose(r.ratio, r.observed / r.expected)


def test_it_translates_and_rotates(events):
    x, y, t = events
    a = knox_test(x, y, t, permutations=29, random_state=1)
    b = knox_test(y + 5e5, -x + 9e6, t + 1000.0, permutations=29, random_state=1)
    np.testing.assert_array_equal(a.observed, b.observed)


@pytest.mark.skipif(not _knox_kernel.NUMBA, reason="numba is not installed")
@pytest.mark.parametrize(
    ("space", "time"),
    [
        (SPACE, TIME),
        ((50.0, 150.5, 333.0), (0.5, 3.25, 10.0, np.inf)),
        ((0.0, np.inf), TIME),
        (SPACE, (0.0, 1.0, 2.0, 3.5, 5.0, 7.0, 10.0, 14.0, 28.0, 56.0)),  # 9 edges: 3 passes
    ],
)
def test_the_compiled_and_numpy_paths_count_the_same_pairs(events, space, time):
    x, y, t = events
    s_edges, t_edges = np.asarray(space, float), np.asarray(time, float)
    xy = np.column_stack([x, y])
    fast = nearrepeat._PairCounter(xy, s_edges, t_edges, compiled=True)
    slow = nearrepeat._PairCounter(xy, s_edges, t_edges, compiled=False)
    assert fast.n_pairs == slow.n_pairs
    rng = np.random.default_rng(11)
    for times in (t, t[rng.permutation(t.size)], np.round(t)):
        np.testing.assert_array_equal(fast.counts(times), slow.counts(times))
    batch = t[np.column_stack([rng.permutation(t.size) for _ in range(11)])]  # padded to 16
    per_column = np.stack([slow.counts(batch[:, p]) for p in range(11)])
    np.testing.assert_array_equal(fast.counts(batch), per_column)
    np.testing.assert_array_equal(slow.counts(batch), per_column)
    if np.isfinite(space[-1]):
        np.testing.assert_array_equal(fast.counts(t), knox_counts_slow(x, y, t, space, time))


def test_the_numpy_fallback_gives_the_same_table(events, monkeypatch):
    x, y, t = events
    a = knox_test(x, y, t, permutations=49, random_state=5)
    monkeypatch.setattr(_knox_kernel, "NUMBA", False)
    b = knox_test(x, y, t, permutations=49, random_state=5)
    assert a.table() == b.table()


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="finite"):
        knox_test([0.0, np.nan], [0.0, 1.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="increasing"):
        knox_test([0.0, 1.0], [0.0, 1.0], [0.0, 1.0], space_bands_m=(0, 200, 100))


def test_burglary_in_vancouver_repeats_near_in_space_and_time():
    folder = shared_data("crime", "vancouver")
    x, y, t = [], [], []
    with open(os.path.join(folder, "crimedata_csv_AllNeighbourhoods_2024.csv")) as fh:
        for row in csv.DictReader(fh):
            if row["TYPE"] != "Break and Enter Residential/Other" or not float(row["X"] or 0):
                continue
            day = np.datetime64(f"{row['YEAR']}-{int(row['MONTH']):02d}-{int(row['DAY']):02d}")
            x.append(float(row["X"]))
            y.append(float(row["Y"]))
            t.append(float((day - np.datetime64("2024-01-01")).astype(int)) + int(row["HOUR"]) / 24)
    assert len(x) > 500
    r = knox_test(np.array(x), np.array(y), np.array(t), permutations=99, random_state=0)
    assert r.ratio[0, 0] > 1.2 and r.p_values[0, 0] <= 0.05


def test_docstring_examples_run():
    assert doctest.testmod(nearrepeat).failed == 0
