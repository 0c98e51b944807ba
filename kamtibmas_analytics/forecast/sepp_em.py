"""The E-step of the SEPP's EM fit over sparse candidate pairs, and the M-step's solvers.

The E-step needs no pair probabilities stored: one pass over the rows of the candidate pairs
(:mod:`~kamtibmas_analytics.forecast.sepp_pairs`) gives the intensity at each event, the
background probability ``p_jj`` of each event, and the three sums the M-step needs (sum of
``p_ij``, of ``p_ij dt_ij`` and of ``p_ij r2_ij``). A numba loop does it when numba is
installed; the numpy path computes the same numbers from the pair probabilities
(:func:`pair_probabilities`), which the tests also check against a dense-matrix oracle.

The triggering kernel (see :mod:`kamtibmas_analytics.forecast.sepp`) is
``g(r, dt) = theta * w(dt) * s(r)`` with ``w`` the exponential density of rate ``omega``
truncated to ``(0, window_s]`` and ``s`` the isotropic Gaussian density of ``sigma_m``
truncated to the disc of ``radius_m``, each renormalised to integrate to 1.

>>> import numpy as np
>>> from kamtibmas_analytics.forecast.sepp_pairs import candidate_pairs
>>> pairs = candidate_pairs(np.array([0.0, 10.0]), np.zeros(2), np.array([0.0, 3600.0]),
...                         radius_m=500.0, window_s=86400.0)
>>> est = e_step(pairs, np.array([1e-9, 1e-9]), theta=0.5, omega=1 / 3600.0, sigma_m=50.0,
...              window_s=86400.0, radius_m=500.0)
>>> est.p_background.round(3).tolist(), round(est.p_sum, 3)   # the second is likely a child
([1.0, 0.239], 0.761)
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq

from kamtibmas_analytics.forecast.sepp_pairs import Pairs

__all__ = [
    "NUMBA",
    "EStep",
    "e_step",
    "pair_probabilities",
    "trigger_constant",
    "truncated_exponential_rate",
]

FloatArray = NDArray[np.float64]

NUMBA = importlib.util.find_spec("numba") is not None
_compiled: dict[str, Callable[..., Any]] = {}


# -- the kernel's constants -------------------------------------------------------------------


def trigger_constant(
    theta: float, omega: float, sigma_m: float, window_s: float, radius_m: float
) -> float:
    """``c`` in ``g = c * exp(-omega dt - r2 / (2 sigma**2))`` for the truncated kernel."""
    a = 1.0 / (2.0 * sigma_m * sigma_m)
    z_time = -math.expm1(-omega * window_s)
    z_space = -math.expm1(-a * radius_m * radius_m)
    return theta * omega * a / (math.pi * z_time * z_space)


def truncated_exponential_rate(mean: float, width: float, lo: float, hi: float) -> float:
    """Maximum-likelihood rate of an exponential truncated to ``[0, width]`` with this mean,
    clipped to ``[lo, hi]``.

    The truncated mean ``1/r - width / (exp(r width) - 1)`` falls from ``width / 2`` (r -> 0)
    to 0 (r -> inf); the log-likelihood is concave in ``r``, so clipping the root is the
    constrained maximum.

    >>> round(truncated_exponential_rate(1.0, 1e6, 1e-9, 1e9), 6)   # ~ untruncated: 1 / mean
    1.0
    """

    def excess(r: float) -> float:
        return 1.0 / r - width / math.expm1(min(r * width, 700.0)) - mean

    if excess(hi) >= 0:
        return hi
    if excess(lo) <= 0:
        return lo
    return float(brentq(excess, lo, hi, xtol=lo * 1e-9, rtol=1e-12))


# -- E-step -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EStep:
    """Result of one E-step: background probability per event and the sums for the M-step."""

    p_background: FloatArray
    p_sum: float
    p_dt_sum: float
    p_r2_sum: float
    log_lambda_sum: float


def pair_probabilities(
    pairs: Pairs, mu_at: FloatArray, c: float, omega: float, a: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(p_background, p_pairs, lambda)``: the numpy E-step with every pair's probability.

    ``mu_at`` is the background intensity at each event (per m2 per s); ``a = 1 / (2 sigma**2)``.
    """
    g = np.exp(-omega * pairs.dt.astype(np.float64) - a * pairs.r2.astype(np.float64))
    g *= c
    lam = mu_at + np.bincount(pairs.child(), weights=g, minlength=mu_at.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_bg = np.where(lam > 0, mu_at / lam, 0.0)
        p_pairs = g / np.repeat(lam, np.diff(pairs.indptr))
    return p_bg, np.nan_to_num(p_pairs), lam


def e_step(
    pairs: Pairs,
    mu_at: FloatArray,
    *,
    theta: float,
    omega: float,
    sigma_m: float,
    window_s: float,
    radius_m: float,
    compiled: bool | None = None,
) -> EStep:
    """One E-step over the candidate pairs (see the module docstring); ``compiled`` (default:
    whether numba is installed) chooses the numba loop or the numpy path.

    An event whose intensity is 0 (no background, no parent) adds ``log(0) = -inf`` to the
    log-likelihood sum; the fit avoids it by giving every event a background cell with mass.
    """
    c = trigger_constant(theta, omega, sigma_m, window_s, radius_m)
    a = 1.0 / (2.0 * sigma_m * sigma_m)
    if NUMBA if compiled is None else compiled:
        p_bg = np.empty_like(mu_at)
        sums = np.zeros(4)
        _kernel()(pairs.indptr, pairs.dt, pairs.r2, mu_at, c, omega, a, p_bg, sums)
        return EStep(p_bg, float(sums[0]), float(sums[1]), float(sums[2]), float(sums[3]))
    p_bg, p_pairs, lam = pair_probabilities(pairs, mu_at, c, omega, a)
    with np.errstate(divide="ignore"):
        log_sum = float(np.log(lam).sum())
    return EStep(
        p_background=p_bg,
        p_sum=float(p_pairs.sum()),
        p_dt_sum=float(p_pairs @ pairs.dt.astype(np.float64)),
        p_r2_sum=float(p_pairs @ pairs.r2.astype(np.float64)),
        log_lambda_sum=log_sum,
    )


def _e_step_loop(
    indptr: Any,
    dt: Any,
    r2: Any,
    mu_at: Any,
    c: float,
    omega: float,
    a: float,
    p_bg: Any,
    sums: Any,
) -> None:
    s = 0.0
    s_dt = 0.0
    s_r2 = 0.0
    s_log = 0.0
    for j in range(mu_at.size):
        lo = indptr[j]
        hi = indptr[j + 1]
        trig = 0.0
        trig_dt = 0.0
        trig_r2 = 0.0
        for q in range(lo, hi):
            g = c * np.exp(-omega * dt[q] - a * r2[q])
            trig += g
            trig_dt += g * dt[q]
            trig_r2 += g * r2[q]
        lam = mu_at[j] + trig
        if lam > 0.0:
            p_bg[j] = mu_at[j] / lam
            s += trig / lam
            s_dt += trig_dt / lam
            s_r2 += trig_r2 / lam
            s_log += np.log(lam)
        else:
            p_bg[j] = 0.0
            s_log += -np.inf
    sums[0] = s
    sums[1] = s_dt
    sums[2] = s_r2
    sums[3] = s_log


def _kernel() -> Callable[..., Any]:
    """The numba-compiled E-step loop (numba is imported on first use)."""
    if not _compiled:
        from numba import njit

        _compiled["e_step"] = njit(cache=True, nogil=True, fastmath=False)(_e_step_loop)
    return _compiled["e_step"]
