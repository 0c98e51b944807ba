"""`kamtibmas check-config`: validate the environment before starting the service.

Settings that fail to load stop earlier, in `kamtibmas` itself, with the variable's name and
exit code 2. This command then checks what only a running system can tell: the database and
Redis answer, migrations are applied, and Django's system checks (with `--deploy` when
KAMTIBMAS_SECURE=true) report nothing. Exit code 1 on any problem.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, SystemCheckError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import Error as DatabaseError

Check = Callable[[], str]


class Problem(Exception):
    """A check failed; the message says what to do."""


def check_secret_key() -> str:
    if settings.SECURE and not os.environ.get("SECRET_KEY"):
        raise Problem("SECRET_KEY must be set when KAMTIBMAS_SECURE=true")
    if settings.SECURE and len(settings.SECRET_KEY) < 50:
        raise Problem("SECRET_KEY is too short: use at least 50 random characters")
    return "set" if os.environ.get("SECRET_KEY") else f"generated, kept in {settings.VAR_DIR}"


def check_database() -> str:
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        raise Problem(
            f"DATABASE_URL does not answer ({type(exc).__name__}: {str(exc).strip()[:200]})"
        ) from None
    return f"{connection.vendor} reachable"


def check_migrations() -> str:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise Problem(f"{len(plan)} migration(s) not applied: run `kamtibmas migrate`")
    return "up to date"


def check_redis() -> str:
    if not settings.REDIS_URL:
        return "not used (REDIS_URL empty; database cache)"
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=3, socket_timeout=3
        )
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        raise Problem(f"REDIS_URL does not answer ({type(exc).__name__})") from None
    return "reachable"


def check_system() -> str:
    try:
        call_command("check", deploy=settings.SECURE, fail_level="WARNING", stdout=io.StringIO())
    except SystemCheckError as exc:
        raise Problem(str(exc).strip()) from None
    return "no issues" + (" (with --deploy)" if settings.SECURE else "")


def check_mode() -> str:
    if settings.DEBUG and settings.SECURE:
        raise Problem("KAMTIBMAS_DEBUG must be off when KAMTIBMAS_SECURE=true")
    return (
        "production (KAMTIBMAS_SECURE=true)"
        if settings.SECURE
        else ("local (plain HTTP; set KAMTIBMAS_SECURE=true behind HTTPS)")
    )


CHECKS: list[tuple[str, Check]] = [
    ("mode", check_mode),
    ("SECRET_KEY", check_secret_key),
    ("database", check_database),
    ("migrations", check_migrations),
    ("redis", check_redis),
    ("django checks", check_system),
]


class Command(BaseCommand):
    help = "Validate the configuration: database, Redis, secret key, Django (deploy) checks."
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        failed: list[str] = []
        for name, check in CHECKS:
            if name == "migrations" and "database" in failed:
                continue  # meaningless without a database
            try:
                detail = check()
            except Problem as exc:
                failed.append(name)
                self.stdout.write(f"FAIL  {name}: {exc}")
            else:
                self.stdout.write(f"ok    {name}: {detail}")
        if failures := len(failed):
            raise CommandError(
                f"{failures} problem(s) found / ditemukan {failures} masalah", returncode=1
            )
        self.stdout.write("Configuration OK / konfigurasi baik")
