"""Operator commands: the CLI verbs, user create, check-config, deploy checks, serve, scheduler."""

from __future__ import annotations

import io
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from kamtibmas import cli
from kamtibmas.accounts import roles
from kamtibmas.accounts.models import User
from kamtibmas.portal.management.commands import scheduler, serve

ROOT = Path(__file__).resolve().parent.parent


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    full_env.update(env or {})
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kamtibmas.cli", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def production_env(tmp_path: Path) -> dict[str, str]:
    return {
        "KAMTIBMAS_SECURE": "true",
        "KAMTIBMAS_DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "kamtibmas.example.go.id",
        "KAMTIBMAS_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "REDIS_URL": "",
    }


# ------------------------------------------------------------------ the kamtibmas script


def test_help_lists_the_operator_verbs(capsys: Any) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for verb in (
        "serve",
        "migrate",
        "demo",
        "geo import",
        "user create",
        "check-config",
        "worker",
        "scheduler",
    ):
        assert f"  {verb} " in out, verb


def test_verbs_map_to_management_commands() -> None:
    assert cli.resolve(["user", "create", "x", "--role", "analyst"]) == [
        "user_create",
        "x",
        "--role",
        "analyst",
    ]
    assert cli.resolve(["check-config"]) == ["check_config"]
    assert cli.resolve(["serve", "--port", "9000"]) == ["serve", "--port", "9000"]
    assert cli.resolve(["nonsense"]) is None


def test_an_unknown_verb_fails_with_usage(capsys: Any) -> None:
    assert cli.main(["frobnicate"]) == 2
    assert "unknown verb" in capsys.readouterr().err


# ------------------------------------------------------------------ user create


@pytest.mark.django_db
def test_user_create_makes_a_desk_officer_with_a_generated_password(capsys: Any) -> None:
    call_command(
        "user_create",
        "budi",
        "--role",
        "desk_officer",
        "--unit",
        "polsek-balikpapan-selatan",
        "--email",
        "budi@example.org",
    )
    user = User.objects.get(username="budi")
    assert user.unit.code == "polsek-balikpapan-selatan" and user.has_role(roles.DESK_OFFICER)
    assert user.is_officer and not user.is_superuser
    password = capsys.readouterr().out.split("): ")[-1].strip()
    assert user.check_password(password)


@pytest.mark.django_db
def test_user_create_reads_the_password_from_stdin(monkeypatch: Any) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("Kuat-sekali-2025\n"))
    call_command(
        "user_create",
        "siti",
        "--role",
        "community_officer",
        "--unit",
        "polsek-balikpapan-selatan",
        "--kelurahan",
        "64.71.05.1008",
        "64.71.05.1002",
        "--password-stdin",
    )
    user = User.objects.get(username="siti")
    assert user.check_password("Kuat-sekali-2025")
    assert sorted(user.kelurahan.values_list("code", flat=True)) == [
        "64.71.05.1002",
        "64.71.05.1008",
    ]


@pytest.mark.django_db
def test_user_create_admin_is_a_superuser() -> None:
    call_command("user_create", "root2", "--role", "admin", "--unit", "polres-balikpapan")
    assert User.objects.get(username="root2").is_superuser


@pytest.mark.django_db
def test_user_create_resident_has_no_unit() -> None:
    call_command("user_create", "warga1", "--role", "citizen")
    assert User.objects.get(username="warga1").unit is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x", "--role", "sheriff", "--unit", "polres-balikpapan"], "unknown role 'sheriff'"),
        (["x", "--role", "analyst", "--unit", "polsek-atlantis"], "unknown unit 'polsek-atlantis'"),
        (["x", "--role", "analyst"], "needs --unit"),
        (["x", "--role", "citizen", "--unit", "polres-balikpapan"], "belongs to no unit"),
        (
            [
                "x",
                "--role",
                "community_officer",
                "--unit",
                "polsek-balikpapan-selatan",
                "--kelurahan",
                "99.99",
            ],
            "unknown kelurahan",
        ),
    ],
)
def test_user_create_errors_are_clear(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("user_create", *args)
    assert not User.objects.filter(username="x").exists()


@pytest.mark.django_db
def test_user_create_refuses_a_taken_name_and_a_weak_password(monkeypatch: Any) -> None:
    call_command("user_create", "dewi", "--role", "analyst", "--unit", "polres-balikpapan")
    with pytest.raises(CommandError, match="already exists"):
        call_command("user_create", "DEWI", "--role", "analyst", "--unit", "polres-balikpapan")
    monkeypatch.setattr(sys, "stdin", io.StringIO("12345\n"))
    with pytest.raises(CommandError, match="password refused"):
        call_command(
            "user_create",
            "eko",
            "--role",
            "analyst",
            "--unit",
            "polres-balikpapan",
            "--password-stdin",
        )


# ------------------------------------------------------------------ check-config


@pytest.mark.django_db
def test_check_config_passes_on_a_working_setup(capsys: Any) -> None:
    call_command("check_config")
    out = capsys.readouterr().out
    assert "ok    database" in out and "Configuration OK" in out


@pytest.mark.django_db
def test_check_config_fails_when_redis_does_not_answer(capsys: Any) -> None:
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"), pytest.raises(CommandError) as exc:
        call_command("check_config")
    assert exc.value.returncode == 1
    assert "FAIL  redis: REDIS_URL does not answer" in capsys.readouterr().out


@pytest.mark.django_db
def test_check_config_wants_a_secret_key_in_production(monkeypatch: Any, capsys: Any) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with override_settings(SECURE=True), pytest.raises(CommandError):
        call_command("check_config")
    assert "FAIL  SECRET_KEY" in capsys.readouterr().out


def test_check_config_exit_codes_in_a_subprocess(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    unmigrated = run_cli("check-config", env=env)
    assert unmigrated.returncode == 1, unmigrated.stdout + unmigrated.stderr
    assert "not applied: run `kamtibmas migrate`" in unmigrated.stdout
    no_db = run_cli(
        "check-config", env={**env, "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}
    )
    assert no_db.returncode == 1 and "FAIL  database" in no_db.stdout
    bad_value = run_cli("check-config", env={**env, "KAMTIBMAS_DEBUG": "perhaps"})
    assert bad_value.returncode == 2
    assert "KAMTIBMAS_DEBUG must be true or false" in bad_value.stderr
    no_key = run_cli("check-config", env={**env, "SECRET_KEY": ""})
    assert no_key.returncode == 2 and "SECRET_KEY must be set" in no_key.stderr
    bad_rate = run_cli("check-config", env={**env, "EVENT_THROTTLE": "thirty an hour"})
    assert bad_rate.returncode == 2 and "EVENT_THROTTLE: use COUNT/PERIOD" in bad_rate.stderr
    short_delay = run_cli("check-config", env={**env, "PUBLIC_STATS_DELAY_DAYS": "3"})
    assert short_delay.returncode == 2
    assert "PUBLIC_STATS_DELAY_DAYS must be at least 7" in short_delay.stderr


def test_production_settings_pass_check_deploy_without_warnings(tmp_path: Path) -> None:
    result = run_cli(
        "manage", "check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout
    assert "WARNING" not in result.stderr


# ------------------------------------------------------------------ scheduler


def test_scheduler_runs_the_outbox_every_minute_and_sla_every_five() -> None:
    tz = ZoneInfo("UTC")
    names = [
        {j.name for j in scheduler.due_jobs(datetime(2026, 1, 1, 8, m, 30, tzinfo=tz))}
        for m in range(10)
    ]
    assert all("deliver_outbox" in n for n in names)
    assert [m for m, n in enumerate(names) if "check_sla" in n] == [0, 5]


@pytest.mark.django_db
def test_scheduler_enqueues_each_slot_once_across_processes() -> None:
    job = scheduler.JOBS[1]
    assert scheduler.enqueue(job, 1000) is True
    assert scheduler.enqueue(job, 1000) is False
    assert scheduler.enqueue(job, 1005) is True


@pytest.mark.django_db
def test_scheduler_once_enqueues_every_job(capsys: Any) -> None:
    call_command("scheduler", "--once")
    assert capsys.readouterr().out.strip() == (
        "enqueued: deliver_outbox, check_sla, monthly_report, forecasts, patrol_drafts, "
        "purge_import_files, purge_cctv_snapshots, siskamling_roster, "
        "alert_subscriptions_monthly, purge_subscriptions"
    )


# ------------------------------------------------------------------ serve


def test_serve_binds_ipv6_with_brackets_and_runs_gunicorn() -> None:
    assert serve.bind_address("::", 8000) == "[::]:8000"
    assert serve.bind_address("0.0.0.0", 80) == "0.0.0.0:80"  # noqa: S104
    commands = serve.child_commands("127.0.0.1", 8000, 3, with_worker=True)
    assert set(commands) == {"web", "worker", "scheduler"}
    assert commands["web"][1:4] == ["-m", "gunicorn", "kamtibmas.wsgi:application"]
    assert "runserver" not in " ".join(" ".join(c) for c in commands.values())
    assert set(serve.child_commands("127.0.0.1", 8000, 1, with_worker=False)) == {"web"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                return int(response.status)
        except OSError:
            time.sleep(0.3)
    return 0


def test_serve_serves_static_files_and_stops_everything_on_ctrl_c(tmp_path: Path) -> None:
    env = {
        "KAMTIBMAS_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db",
        "PORT": str(free_port()),
        "HOST": "127.0.0.1",
        "REDIS_URL": "",
    }
    assert run_cli("migrate", "-v0", env=env).returncode == 0
    full_env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "kamtibmas.cli", "serve", "--workers", "1"],
        cwd=ROOT,
        env={**full_env, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status = wait_for(f"http://127.0.0.1:{env['PORT']}/static/leaflet/leaflet.css", 60)
        assert status == 200
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=40)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "Booting worker" in output or "Listening at" in output
    assert wait_for(f"http://127.0.0.1:{env['PORT']}/static/leaflet/leaflet.css", 1) == 0
