"""kamtibmas_cctv runs beside the cameras: no Django, no kamtibmas."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import kamtibmas_cctv
from tests.analytics.test_no_django import FORBIDDEN

PACKAGE_DIR = pathlib.Path(kamtibmas_cctv.__file__).parent

PROBE = """
import json, pkgutil, importlib, sys
import kamtibmas_cctv
for info in pkgutil.walk_packages(kamtibmas_cctv.__path__, "kamtibmas_cctv."):
    try:
        importlib.import_module(info.name)
    except ImportError as err:  # an optional sender whose library is missing
        if "django" in str(err).lower() or "kamtibmas'" in str(err):
            raise
print(json.dumps(sorted(sys.modules)))
"""


def test_it_imports_without_django_or_kamtibmas():
    out = subprocess.run(  # noqa: S603 - our own interpreter, a constant script
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE_DIR.parent,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PACKAGE_DIR.parent)},
    )
    modules = json.loads(out.stdout)
    assert "kamtibmas_cctv.pipeline" in modules and "kamtibmas_cctv.cli" in modules
    offenders = [
        m
        for m in modules
        if m == "django" or m.startswith(("django.", "kamtibmas.")) or m == "kamtibmas"
    ]
    assert offenders == []


def test_it_never_imports_django_in_its_source():
    sources = list(PACKAGE_DIR.rglob("*.py"))
    assert len(sources) >= 8
    for path in sources:
        hits = FORBIDDEN.findall(path.read_text(encoding="utf-8"))
        assert hits == [], f"{path}: {hits}"
