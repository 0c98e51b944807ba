"""kamtibmas_analytics stays usable in a notebook: no Django, no kamtibmas."""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys

import kamtibmas_analytics

PACKAGE_DIR = pathlib.Path(kamtibmas_analytics.__file__).parent

PROBE = """
import json, pkgutil, importlib, sys
import kamtibmas_analytics
for info in pkgutil.walk_packages(kamtibmas_analytics.__path__, "kamtibmas_analytics."):
    importlib.import_module(info.name)
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
    assert "kamtibmas_analytics.grid" in modules
    offenders = [
        m
        for m in modules
        if m == "django" or m.startswith(("django.", "kamtibmas.")) or m == "kamtibmas"
    ]
    assert offenders == []


# An import of django or of the kamtibmas web project, in any spelling a module could use.
FORBIDDEN = re.compile(
    r"^\s*(?:from|import)\s+(?:django|kamtibmas)(?:\.|\s|$)"
    r"|import_module\(\s*['\"](?:django|kamtibmas)(?:\.|['\"])"
    r"|__import__\(\s*['\"](?:django|kamtibmas)(?:\.|['\"])",
    re.MULTILINE | re.IGNORECASE,
)


def test_it_never_imports_django_in_its_source():
    sources = list(PACKAGE_DIR.rglob("*.py"))
    assert sources
    for path in sources:
        hits = FORBIDDEN.findall(path.read_text(encoding="utf-8"))
        assert hits == [], f"{path}: {hits}"


def test_it_grep_catches_what_it_should():
    assert FORBIDDEN.search("from django.db import models")
    assert FORBIDDEN.search("    import kamtibmas.geo")
    assert FORBIDDEN.search('mod = importlib.import_module("django.conf")')
    assert not FORBIDDEN.search("from kamtibmas_analytics.grid import Grid")
    assert not FORBIDDEN.search('"""Never imports Django."""')
