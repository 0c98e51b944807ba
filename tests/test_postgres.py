"""The suite runs on the database it was asked to (CI runs it on SQLite and on PostgreSQL)."""

from __future__ import annotations

import os

import pytest
from django.db import connection


@pytest.mark.django_db
def test_it_runs_on_the_database_it_was_asked_to() -> None:
    url = os.environ.get("DATABASE_URL", "")
    wants_postgres = os.environ.get("KAMTIBMAS_REQUIRE_POSTGRES") == "1"
    if wants_postgres and not url.startswith(("postgres://", "postgresql://")):
        pytest.fail("KAMTIBMAS_REQUIRE_POSTGRES=1 but DATABASE_URL is not a PostgreSQL URL")
    expected = "postgresql" if url.startswith("postgres") else "sqlite"
    assert connection.vendor == expected
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
