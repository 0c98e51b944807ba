"""`kamtibmas user create USERNAME --role ROLE --unit UNIT_CODE`: create an account.

Staff roles need a unit; a resident (role citizen) has none. Without --password-stdin a random
password is generated and printed once. The admin role is a Django superuser.
"""

from __future__ import annotations

import secrets
import sys
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import User
from kamtibmas.geo.models import Kelurahan, Unit


def find_unit(code: str | None, role: str) -> Unit | None:
    if role == roles.CITIZEN:
        if code:
            raise CommandError("a resident (role citizen) belongs to no unit: drop --unit")
        return None
    if not code:
        raise CommandError(f"role {role} needs --unit UNIT_CODE")
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        known = ", ".join(Unit.objects.order_by("code").values_list("code", flat=True))
        known = known or "none (run kamtibmas geo load)"
        raise CommandError(f"unknown unit {code!r}. Known units: {known}")
    return unit


def find_kelurahan(codes: list[str]) -> list[Kelurahan]:
    found = {k.code: k for k in Kelurahan.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise CommandError(
            f"unknown kelurahan code(s): {', '.join(missing)} (codes look like 64.71.05.1008)"
        )
    return [found[c] for c in codes]


def check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise CommandError("password refused: " + " ".join(exc.messages)) from None


@transaction.atomic
def create_user(
    username: str,
    role: str,
    unit: Unit | None,
    *,
    email: str = "",
    kelurahan: list[Kelurahan] | None = None,
    password: str,
) -> User:
    user = User(
        username=username,
        email=email,
        unit=unit,
        is_staff=role == roles.ADMIN,
        is_superuser=role == roles.ADMIN,
    )
    check_password(password, user)
    user.set_password(password)
    user.save()
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    if kelurahan:
        user.kelurahan.set(kelurahan)
    return user


class Command(BaseCommand):
    help = "Create a staff or resident account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help=", ".join(roles.ALL_ROLES))
        parser.add_argument("--unit", help="unit code, e.g. polsek-balikpapan-selatan")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--kelurahan",
            nargs="+",
            default=[],
            metavar="CODE",
            help="kelurahan looked after (community officer)",
        )
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username, role = options["username"].strip(), options["role"]
        if role not in roles.ALL_ROLES:
            raise CommandError(f"unknown role {role!r}. Roles: {', '.join(roles.ALL_ROLES)}")
        if not username:
            raise CommandError("the username is empty")
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"user {username!r} already exists")
        unit = find_unit(options["unit"], role)
        kelurahan = find_kelurahan(options["kelurahan"])
        generated = not options["password_stdin"]
        password = secrets.token_urlsafe(12) if generated else self._read_password()
        create_user(
            username,
            role,
            unit,
            email=options["email"].strip(),
            kelurahan=kelurahan,
            password=password,
        )
        self.stdout.write(f"created {username} ({role}" + (f", {unit.code}" if unit else "") + ")")
        if generated:
            self.stdout.write(f"password (shown once / hanya ditampilkan sekali): {password}")

    def _read_password(self) -> str:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError("no password on standard input")
        return password
