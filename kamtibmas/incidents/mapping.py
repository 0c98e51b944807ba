"""Offence categories of other schemes -> the glossary's codes.

Built-in tables live in ``mappings/<scheme>.csv`` (``external,code``) for the schemes
``vancouver`` (VPD ``TYPE``), ``chicago`` (portal ``primary_type``) and ``nyc`` (Crime Open
Database ``offense_type``, NIBRS names). ``load_builtin_mappings()`` copies them into
``CategoryMapping`` without touching rows an administrator already has (idempotent).

Besides the glossary codes (the twelve Polri counts and ``sexual_offence``) there is one more,
``other``: a recorded crime that none of them describes (arson, weapons, trafficking, ...). It
keeps such rows countable ("all crime") without pretending they are one of the others. An empty
code in a mapping means "reject rows of this category".

Sexual offences were ``other`` before ``sexual_offence`` existed; ``load_builtin_mappings``
moves a database row to the new code only while it still holds the old built-in value, so an
administrator's own choice stays.

Matching ignores case and surrounding spaces. ``category_map`` entries override the scheme's;
its key ``*`` is the catch-all for every value not otherwise mapped, also for a file with no
category column at all (``--map '*=curanmor'`` for a file of vehicle thefts only).
"""

from __future__ import annotations

import csv
from pathlib import Path

from django.db import DatabaseError, connection, transaction

from kamtibmas.incidents.models import CategoryMapping
from kamtibmas.reports.reference import OFFENCES

MAPPINGS_DIR = Path(__file__).parent / "mappings"
OTHER = "other"
OFFENCE_CODES: tuple[str, ...] = (*(code for code, *_rest in OFFENCES), OTHER)
CATCH_ALL = "*"
SEXUAL_OFFENCE = "sexual_offence"
# Built-in rows whose code changed: scheme -> externals that moved from ``other``.
RECLASSIFIED_FROM_OTHER: dict[str, tuple[str, ...]] = {
    "chicago": ("CRIM SEXUAL ASSAULT", "CRIMINAL SEXUAL ASSAULT", "SEX OFFENSE"),
    "nyc": (
        "fondling",
        "incest",
        "rape (except statutory rape)",
        "sexual assault with an object",
        "sodomy",
        "statutory rape",
    ),
}


def builtin_schemes() -> list[str]:
    return sorted(path.stem for path in MAPPINGS_DIR.glob("*.csv"))


def read_builtin(scheme: str) -> dict[str, str]:
    """The built-in table of ``scheme`` as {external: code}."""
    path = MAPPINGS_DIR / f"{scheme}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["external"]: row["code"] for row in csv.DictReader(fh)}


@transaction.atomic
def load_builtin_mappings() -> int:
    """Create the built-in mappings that are missing; returns how many were created."""
    created = 0
    for scheme in builtin_schemes():
        have = set(CategoryMapping.objects.filter(scheme=scheme).values_list("external", flat=True))
        new = [
            CategoryMapping(scheme=scheme, external=external, code=code)
            for external, code in read_builtin(scheme).items()
            if external not in have
        ]
        CategoryMapping.objects.bulk_create(new)
        created += len(new)
    _reclassify_sexual_offences()
    return created


def _reclassify_sexual_offences() -> int:
    """Rows still on their old built-in code ``other`` move to ``sexual_offence`` (idempotent)."""
    moved = 0
    for scheme, externals in RECLASSIFIED_FROM_OTHER.items():
        moved += CategoryMapping.objects.filter(
            scheme=scheme, external__in=externals, code=OTHER
        ).update(code=SEXUAL_OFFENCE)
    return moved


def scheme_rows(scheme: str) -> list[tuple[str, str]]:
    """(external, code) pairs of ``scheme`` from the database; a built-in scheme falls back to
    its file when the database has no table yet (an analysis command run before
    ``kamtibmas migrate``) or no rows for it."""
    query = CategoryMapping.objects.filter(scheme=scheme).values_list("external", "code")
    if connection.in_atomic_block:  # a failed query would break the caller's transaction
        rows = list(query)
    else:
        try:
            with transaction.atomic():
                rows = list(query)
        except DatabaseError:
            rows = []
    if not rows and scheme in builtin_schemes():
        rows = list(read_builtin(scheme).items())
    return rows


def _key(value: str) -> str:
    return " ".join(value.split()).casefold()


class UnknownCategory(ValueError):
    pass


class CategoryResolver:
    """Turns a source category into a glossary code, or raises ``UnknownCategory``."""

    def __init__(self, scheme: str | None, extra: dict[str, str] | None = None) -> None:
        self.table: dict[str, str] = {}
        if scheme:
            self.table = {_key(external): code for external, code in scheme_rows(scheme)}
            if not self.table:
                raise ValueError(f"category scheme {scheme!r} has no mappings")
        self.catch_all: str | None = None
        for external, code in (extra or {}).items():
            if external.strip() == CATCH_ALL:
                self.catch_all = code.strip()
            else:
                self.table[_key(external)] = code.strip()
        bad = sorted(
            {c for c in [*self.table.values(), self.catch_all or ""] if c} - set(OFFENCE_CODES)
        )
        if bad:
            raise ValueError(
                f"not offence codes: {', '.join(bad)} (known: {', '.join(OFFENCE_CODES)})"
            )
        self.scheme = scheme
        self._cache: dict[str, str | None] = {}

    def __call__(self, value: str) -> str:
        try:
            code = self._cache[value]
        except KeyError:
            code = self._cache[value] = self._resolve(value)
        if code is None:
            raise UnknownCategory(value)
        return code

    def _resolve(self, value: str) -> str | None:
        key = _key(value)
        if key in self.table:
            return self.table[key] or None  # empty code: rejected on purpose
        if self.catch_all is not None:
            return self.catch_all or None
        if self.scheme is None and key in OFFENCE_CODES:
            return key
        return None
