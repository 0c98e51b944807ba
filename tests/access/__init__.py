"""Access-matrix entries contributed per area: each module defines ``ROUTES`` in the same shape
as ``tests.test_access_matrix.MATRIX`` (url name -> (path, statuses per persona)).

Paths may use ``{code}`` (a report in Balikpapan Selatan), ``{photo}``, ``{incident}`` and
``{batch}``; other objects are best given as a missing id (999999 -> 404 for staff)."""

from __future__ import annotations

import importlib
import pkgutil


def contributed_routes() -> dict[str, tuple[str, tuple[int, int, int, int]]]:
    routes: dict[str, tuple[str, tuple[int, int, int, int]]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        overlap = set(routes) & set(module.ROUTES)
        assert not overlap, f"{info.name} repeats routes: {sorted(overlap)}"
        routes.update(module.ROUTES)
    return routes
