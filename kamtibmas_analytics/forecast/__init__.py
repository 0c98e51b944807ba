"""Forecasting where crime is likely next, and evaluating forecasts honestly.

Every model follows :class:`~kamtibmas_analytics.forecast.base.Forecaster`: fit on events before
a time, then score each grid cell for ``[start, start + horizon)``. Build one by name::

    >>> from kamtibmas_analytics.forecast import MODEL_NAMES, make_model
    >>> "sepp" in MODEL_NAMES
    True

Models: ``last_period`` and ``long_run`` (baselines), ``retrospective_kde``, ``prospective``
(Bowers and Johnson), ``sepp`` (self-exciting point process after Mohler et al. 2011),
``learned`` (gradient boosting on cell features) and ``auto`` (chooses or blends the others
using rolling validation inside the training span).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from kamtibmas_analytics.forecast.base import DAY_S, HOUR_S, WEEK_S, Events, Forecaster

# name -> "module:Class"; modules are imported on first use (the learned model needs
# scikit-learn, the SEPP numba), so importing this package stays cheap.
_REGISTRY: dict[str, str] = {
    "last_period": "kamtibmas_analytics.forecast.baselines:LastPeriod",
    "long_run": "kamtibmas_analytics.forecast.baselines:LongRun",
    "retrospective_kde": "kamtibmas_analytics.forecast.kdemodels:RetrospectiveKDE",
    "prospective": "kamtibmas_analytics.forecast.kdemodels:Prospective",
    "sepp": "kamtibmas_analytics.forecast.sepp:SEPP",
    "learned": "kamtibmas_analytics.forecast.learned:Learned",
    "auto": "kamtibmas_analytics.forecast.auto:Auto",
}
MODEL_NAMES: tuple[str, ...] = tuple(_REGISTRY)


def model_class(name: str) -> type[Forecaster]:
    """The class registered under ``name`` (ValueError names the known models)."""
    try:
        module_name, class_name = _REGISTRY[name].split(":")
    except KeyError:
        known = ", ".join(MODEL_NAMES)
        raise ValueError(f"unknown forecasting model {name!r}; known: {known}") from None
    cls: type[Forecaster] = getattr(import_module(module_name), class_name)
    return cls


def make_model(name: str, **params: Any) -> Forecaster:
    """A new, unfitted model ``name`` with ``params``."""
    return model_class(name)(**params)


__all__ = [
    "DAY_S",
    "HOUR_S",
    "MODEL_NAMES",
    "WEEK_S",
    "Events",
    "Forecaster",
    "make_model",
    "model_class",
]
