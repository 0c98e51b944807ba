"""Expected event counts of a fitted SEPP in a window ``[start, start + h)``.

Given the events before ``start``, the expected intensity ``m(t)`` for ``t >= start`` solves a
renewal equation: the forcing ``f(t) = mu + sum_i theta w(t - t_i)`` (background plus the
offspring still due from past events) plus the offspring of the window's own events,
``theta * integral of w(t - u) m(u) du`` over ``start <= u < t``. With the exponential delay
``w`` this has a closed form. Let ``K = theta / (1 - exp(-omega W))`` (the kernel's height
over ``omega exp(-omega v)`` inside the window ``W``) and ``q = omega (1 - K)``; an event at
time ``u`` in the window leads to ``R(r) = (1 - K exp(-q r)) / (1 - K)`` events (itself and
its descendants) within the ``r = start + h - u`` that remain. Hence:

* background: ``mu * integral_0^h R = mu (h - K (1 - exp(-q h)) / q) / (1 - K)``;
* past event ``i`` with ``d = start - t_i`` and ``e = min(h, W - d)`` (its forcing stops at
  the truncation): direct offspring ``K exp(-omega d) (1 - exp(-omega e))`` and, with the
  cascade, ``K exp(-omega d) (1 - exp(-omega e) - exp(-q h) (1 - exp(-omega K e))) / (1 - K)``.

These are exact for ``h <= W`` (delays in a window shorter than the truncation are never cut);
longer windows overcount a little. ``K`` is capped at :data:`MAX_CASCADE_GAIN` so an
explosive fit (``theta >= 1``) still gives finite counts.

In space, direct offspring are spread by the Gaussian of ``sigma_m`` around their parent, the
cascade beyond them by ``sigma_m * sqrt(2)`` (the second generation, which dominates), and
the background's own offspring by ``sigma_m`` around the background, all with
:func:`~kamtibmas_analytics.kde.kernel_density`. The spatial kernel is not truncated here (its
mass beyond ``radius_m`` is small while ``sigma_m`` is well inside it).

>>> import numpy as np
>>> total = background_total(theta=0.5, omega=1.0, window_s=1e9, h=1e6)
>>> round(total / 1e6, 3)                                 # long windows: 1 / (1 - theta)
2.0
>>> direct, cascade = event_totals(np.array([0.0]), theta=0.5, omega=1.0, window_s=1e9, h=1e6)
>>> round(float(direct[0]), 6), round(float(direct[0] + cascade[0]), 6)
(0.5, 1.0)
"""

from __future__ import annotations

import math

import numpy as np

from kamtibmas_analytics.forecast.base import FloatArray
from kamtibmas_analytics.grid import Grid
from kamtibmas_analytics.kde import kernel_density

__all__ = ["MAX_CASCADE_GAIN", "background_total", "event_totals", "expected_counts"]

#: Cap of ``K`` in the within-window cascade (an explosive fit would give infinite counts).
MAX_CASCADE_GAIN = 0.99


def _gain(theta: float, omega: float, window_s: float) -> float:
    k = theta / -math.expm1(-omega * window_s)
    return min(k, MAX_CASCADE_GAIN)


def background_total(*, theta: float, omega: float, window_s: float, h: float) -> float:
    """Events expected in ``h`` seconds per unit of background rate, cascades included."""
    k = _gain(theta, omega, window_s)
    if k <= 0:
        return h
    q = omega * (1.0 - k)
    return (h + k * math.expm1(-q * h) / q) / (1.0 - k)


def event_totals(
    age_s: FloatArray, *, theta: float, omega: float, window_s: float, h: float
) -> tuple[FloatArray, FloatArray]:
    """``(direct, cascade)`` events expected in the window from past events ``age_s`` seconds
    before its start: their direct offspring, and the offspring of those within the window."""
    k = _gain(theta, omega, window_s)
    e = np.clip(window_s - age_s, 0.0, h)
    scale = k * np.exp(-omega * age_s)
    first = -np.expm1(-omega * e)
    direct = scale * first
    q = omega * (1.0 - k)
    total = scale * (first + math.exp(-q * h) * np.expm1(-omega * k * e)) / (1.0 - k)
    return direct, np.maximum(total - direct, 0.0)


def expected_counts(
    background_s: FloatArray,
    grid: Grid,
    x: FloatArray,
    y: FloatArray,
    age_s: FloatArray,
    *,
    theta: float,
    omega: float,
    sigma_m: float,
    window_s: float,
    h: float,
) -> FloatArray:
    """Expected events per cell of ``grid`` in a window of ``h`` seconds: ``background_s``
    (events per second per cell) and the past events at ``x, y``, ``age_s`` before the start
    (only those with ``0 < age_s <= window_s`` count)."""
    scores = background_s * h
    if theta <= 0:
        return scores
    own = background_total(theta=theta, omega=omega, window_s=window_s, h=h) - h
    if own > 0 and float(background_s.sum()) > 0:
        xx, yy = np.meshgrid(grid.x_centers, grid.y_centers)
        weights = (background_s * own).ravel()
        scores = scores + kernel_density(
            xx.ravel(), yy.ravel(), grid, bandwidth_m=sigma_m, weights=weights
        )
    live = (age_s > 0) & (age_s <= window_s)
    if live.any():
        direct, cascade = event_totals(
            age_s[live], theta=theta, omega=omega, window_s=window_s, h=h
        )
        px, py = x[live], y[live]
        scores = scores + kernel_density(px, py, grid, bandwidth_m=sigma_m, weights=direct)
        scores = scores + kernel_density(
            px, py, grid, bandwidth_m=sigma_m * math.sqrt(2.0), weights=cascade
        )
    return scores
