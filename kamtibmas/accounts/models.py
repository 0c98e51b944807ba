"""Users, their unit, API keys and the append-only audit log."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kamtibmas.accounts import roles


class User(AbstractUser):
    unit = models.ForeignKey(
        "geo.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("unit"),
    )
    kelurahan = models.ManyToManyField(
        "geo.Kelurahan",
        blank=True,
        related_name="officers",
        verbose_name=_("kelurahan looked after (Bhabinkamtibmas)"),
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    rank = models.CharField(_("rank"), max_length=40, blank=True)
    is_demo = models.BooleanField(_("demo account"), default=False)

    def role_codes(self) -> set[str]:
        cached = getattr(self, "_role_codes", None)
        if cached is None:
            cached = set(self.groups.values_list("name", flat=True))
            if self.is_superuser:
                cached.add(roles.ADMIN)
            self._role_codes = cached
        return cached

    def has_role(self, *codes: str) -> bool:
        return bool(self.role_codes() & set(codes))

    @property
    def is_officer(self) -> bool:
        return self.unit_id is not None and bool(self.role_codes() & set(roles.STAFF_ROLES))


class LoginFailure(models.Model):
    """One failed login, counted per username to lock out guessing."""

    username = models.CharField(max_length=150, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"failed login at {self.at:%Y-%m-%d %H:%M}"


class ApiKey(models.Model):
    class Scope(models.TextChoices):
        READ = "read", _("read")
        READ_WRITE = "read_write", _("read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(cls, user: Any, name: str, scope: str = "read") -> tuple[ApiKey, str]:
        """Create a key; the raw value is returned once and only its hash is stored."""
        prefix = secrets.token_hex(4)
        raw = f"kmt_{prefix}_{secrets.token_urlsafe(32)}"
        key = cls.objects.create(
            user=user, name=name, prefix=prefix, key_hash=cls.hash(raw), scope=scope
        )
        return key, raw

    @classmethod
    def authenticate(cls, raw: str) -> ApiKey | None:
        parts = raw.split("_")
        if len(parts) < 3 or parts[0] != "kmt":
            return None
        key = (
            cls.objects.select_related("user")
            .filter(prefix=parts[1], revoked_at__isnull=True)
            .first()
        )
        if key is None or not secrets.compare_digest(key.key_hash, cls.hash(raw)):
            return None
        if not key.user.is_active:
            return None
        cls.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        return key

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.READ_WRITE


class AppendOnlyError(RuntimeError):
    pass


class AppendOnlyModel(models.Model):
    """A row that can be added but never changed or deleted (audit trail)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


class AuditEvent(AppendOnlyModel):
    """Who did or read what, when and why. Never holds the personal data itself."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_unit = models.ForeignKey(
        "geo.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40, db_index=True)
    purpose = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"
