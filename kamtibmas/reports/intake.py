"""Filing a report: one validation and one submit path for the web form, the API and Open311."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kamtibmas.geo import lookup
from kamtibmas.geo.models import Kelurahan
from kamtibmas.reports import codes
from kamtibmas.reports.models import Category, Channel, EventKind, Kind, Photo, Report, ReportEvent
from kamtibmas.reports.photos import CleanPhoto, PhotoError, clean_photo
from kamtibmas.reports.routing import route

PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{6,18}[0-9]$")
CLOCK_SKEW = timedelta(minutes=10)


@dataclass
class Draft:
    """What a resident submits, before validation. Strings as typed; times aware."""

    kind: str = ""
    category_code: str = ""
    description: str = ""
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    lat: float | None = None
    lon: float | None = None
    location_accuracy_m: float | None = None
    address_text: str = ""
    kelurahan_code: str = ""
    rw: str = ""
    rt: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_email: str = ""
    keep_anonymous: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class IntakeError(Exception):
    """Validation failed; ``errors`` maps a field name to translated messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class Validated:
    category: Category
    kelurahan: Kelurahan | None
    photos: list[CleanPhoto]


def find_category(kind: str, code: str) -> Category | None:
    return Category.objects.filter(kind=kind, code=code, is_active=True).first()


def validate(draft: Draft, photos: list[tuple[str, IO[bytes]]] | None = None) -> Validated:
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    category = _check_kind_and_category(draft, err)
    _check_text(draft, err)
    _check_times(draft, err)
    kelurahan = _check_place(draft, err)
    _check_contact(draft, err)
    clean = _check_photos(photos or [], err)
    if errors:
        raise IntakeError(errors)
    assert category is not None
    return Validated(category, kelurahan, clean)


def _check_kind_and_category(draft: Draft, err: Any) -> Category | None:
    if draft.kind not in Kind.values:
        err("kind", _("Choose what kind of report this is."))
        return None
    if not draft.category_code:
        err("category", _("Choose a category."))
        return None
    category = find_category(draft.kind, draft.category_code)
    if category is None:
        err("category", _("Unknown category “%s”.") % draft.category_code[:40])
    return category


def _check_text(draft: Draft, err: Any) -> None:
    text = draft.description.strip()
    if len(text) < 10:
        err("description", _("Describe what happened in at least 10 characters."))
    elif len(text) > 5000:
        err("description", _("The description is too long (at most 5,000 characters)."))
    if len(draft.address_text) > 300:
        err("address_text", _("The address is too long (at most 300 characters)."))
    for name in ("rw", "rt"):
        value = getattr(draft, name)
        if value and not (value.isdigit() and len(value) <= 3):
            err(name, _("RT and RW are numbers of at most 3 digits."))


def _check_times(draft: Draft, err: Any) -> None:
    now = timezone.now()
    start, end = draft.occurred_from, draft.occurred_to
    if start is not None and start > now + CLOCK_SKEW:
        err("occurred_from", _("The time cannot be in the future."))
    if end is not None:
        if start is None:
            err("occurred_from", _("Give the start of the time window."))
        elif end < start:
            err("occurred_to", _("The end of the window is before its start."))
        elif end > now + CLOCK_SKEW:
            err("occurred_to", _("The time cannot be in the future."))


def _check_place(draft: Draft, err: Any) -> Kelurahan | None:
    has_point = draft.lat is not None or draft.lon is not None
    kelurahan = None
    if has_point:
        if (
            draft.lat is None
            or draft.lon is None
            or not (-90 <= draft.lat <= 90)
            or not (-180 <= draft.lon <= 180)
        ):
            err("location", _("The map position is not valid."))
            return None
        area = lookup.find_area(draft.lat, draft.lon)
        if area is None:
            err(
                "location",
                _(
                    "This place is outside the area of Polres Balikpapan. "
                    "Please report it to the police of that area, or call 110."
                ),
            )
            return None
        kelurahan = Kelurahan.objects.get(pk=area.kelurahan_id)
    if draft.kelurahan_code:
        chosen = Kelurahan.objects.filter(code=draft.kelurahan_code).first()
        if chosen is None:
            err("kelurahan", _("Unknown kelurahan."))
        else:
            kelurahan = chosen
    if not has_point and kelurahan is None and not draft.address_text.strip():
        err(
            "location",
            _("Tell us where: put a pin on the map, use your location, or write the address."),
        )
    return kelurahan


def _check_contact(draft: Draft, err: Any) -> None:
    if draft.reporter_email:
        try:
            validate_email(draft.reporter_email)
        except ValidationError:
            err("reporter_email", _("This e-mail address is not valid."))
    if draft.reporter_phone and not PHONE_RE.match(draft.reporter_phone.strip()):
        err("reporter_phone", _("This phone number is not valid."))
    if len(draft.reporter_name) > 120:
        err("reporter_name", _("The name is too long."))


def _check_photos(photos: list[tuple[str, IO[bytes]]], err: Any) -> list[CleanPhoto]:
    if len(photos) > settings.REPORT_PHOTO_MAX_COUNT:
        err("photos", _("At most %d photos.") % settings.REPORT_PHOTO_MAX_COUNT)
        return []
    clean: list[CleanPhoto] = []
    for name, upload in photos:
        try:
            clean.append(clean_photo(upload, name=name[:60]))
        except PhotoError as exc:
            err("photos", exc.message)
    return clean


def submit(
    draft: Draft,
    photos: list[tuple[str, IO[bytes]]] | None = None,
    *,
    channel: str = Channel.WEB,
    user: Any = None,
    idempotency_key: str | None = None,
    is_synthetic: bool = False,
    created_at: datetime | None = None,
) -> Report:
    """Validate and store a report with its photos in one transaction; return it.

    The same ``idempotency_key`` returns the report already filed instead of a second one."""
    if idempotency_key:
        existing = Report.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    checked = validate(draft, photos)
    try:
        return _store(draft, checked, channel, user, idempotency_key, is_synthetic, created_at)
    except IntegrityError:
        existing = Report.objects.filter(idempotency_key=idempotency_key).first()
        if idempotency_key and existing is not None:
            return existing
        raise


@transaction.atomic
def _store(
    draft: Draft,
    checked: Validated,
    channel: str,
    user: Any,
    idempotency_key: str | None,
    is_synthetic: bool,
    created_at: datetime | None,
) -> Report:
    now = created_at or timezone.now()
    report = Report(
        tracking_code=_unique_code(),
        kind=draft.kind,
        category=checked.category,
        description=draft.description.strip(),
        occurred_from=draft.occurred_from,
        occurred_to=draft.occurred_to,
        lat=draft.lat,
        lon=draft.lon,
        location_accuracy_m=draft.location_accuracy_m,
        address_text=draft.address_text.strip(),
        kelurahan=checked.kelurahan,
        kelurahan_code=checked.kelurahan.code if checked.kelurahan else "",
        rw=draft.rw,
        rt=draft.rt,
        reporter_name=draft.reporter_name.strip(),
        reporter_phone=draft.reporter_phone.strip(),
        reporter_email=draft.reporter_email.strip(),
        reporter_user=user if getattr(user, "is_authenticated", False) else None,
        keep_anonymous=draft.keep_anonymous,
        channel=channel,
        idempotency_key=idempotency_key,
        is_synthetic=is_synthetic,
        extra=draft.extra,
        created_at=now,
        updated_at=now,
        ack_due_at=now + timedelta(hours=checked.category.ack_within_hours),
    )
    unit, _rule = route(report)
    report.assigned_unit = unit
    report.save()
    for photo in checked.photos:
        Photo.objects.create(
            report=report,
            image=photo.content,
            width=photo.width,
            height=photo.height,
            size_bytes=photo.content.size,
            sha256=photo.sha256,
        )
    event = ReportEvent.objects.create(
        report=report, kind=EventKind.CREATED, at=now, is_public=True
    )
    from kamtibmas.notifications.services import notify_reporter

    transaction.on_commit(lambda: notify_reporter(report, event))
    return report


def _unique_code() -> str:
    for _attempt in range(10):
        code = codes.new_code()
        if not Report.objects.filter(tracking_code=code).exists():
            return code
    raise RuntimeError("could not draw a free tracking code")
