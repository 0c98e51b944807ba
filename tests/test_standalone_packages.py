"""kamtibmas_analytics (a notebook) and kamtibmas_cctv (a box beside the cameras) never import
Django or the kamtibmas web project."""

from __future__ import annotations

import importlib
import json
import pathlib
import re
import subprocess
import sys

import pytest

# package -> a module that must show up once every module of the package is imported
PACKAGES = {
    "kamtibmas_analytics": "kamtibmas_analytics.grid",
    "kamtibmas_cctv": "kamtibmas_cctv.cli",
}

PROBE = """
import json, pkgutil, importlib, sys
package = importlib.import_module(sys.argv[1])
for info in pkgutil.walk_packages(package.__path__, sys.argv[1] + "."):
    importlib.import_module(info.name)
print(json.dumps(sorted(sys.modules)))
"""

# An import of django or of the kamtibmas web project, in any spelling a module could use.
FORBIDDEN = re.compile(
    r"^\s*(?:from|import)\s+(?:django|kamtibmas)(?:\.|\s|$)"
    r"|import_module\(\s*['\"](?:django|kamtibmas)(?:\.|['\"])"
    r"|__import__\(\s*['\"](?:django|kamtibmas)(?:\.|['\"])",
    re.MULTILINE | re.IGNORECASE,
)


def _folder(package: str) -> pathlib.Path:
    return pathlib.Path(importlib.import_module(package).__file__ or "").parent


@pytest.mark.parametrize("package", PACKAGES)
def test_it_imports_without_django_or_kamtibmas(package: str) -> None:
    root = _folder(package).parent
    out = subprocess.run(  # noqa: S603 - our own interpreter, a constant script
        [sys.executable, "-c", PROBE, package],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
    )
    modules = json.loads(out.stdout)
    assert PACKAGES[package] in modules
    offenders = [m for m in modules if m in ("django", "kamtibmas") or m.startswith(
        ("django.", "kamtibmas."))]  # fmt: skip
    assert offenders == []


@pytest.mark.parametrize("package", PACKAGES)
def test_it_never_imports_django_in_its_source(package: str) -> None:
    sources = list(_folder(package).rglob("*.py"))
    assert len(sources) >= 8
    for path in sources:
        hits = FORBIDDEN.findall(path.read_text(encoding="utf-8"))
        assert hits == [], f"{path}: {hits}"


def test_the_grep_catches_what_it_should() -> None:
    assert FORBIDDEN.search("from django.db import models")
    assert FORBIDDEN.search("    import kamtibmas.geo")
    assert FORBIDDEN.search('mod = importlib.import_module("django.conf")')
    assert not FORBIDDEN.search("from kamtibmas_analytics.grid import Grid")
    assert not FORBIDDEN.search('"""Never imports Django."""')
