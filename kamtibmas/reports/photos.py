"""Check uploaded photos by content and strip their metadata (EXIF, GPS) before storing."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "png", "MPO": "jpg"}
MAX_PIXELS = 40_000_000


class PhotoError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CleanPhoto:
    content: ContentFile[bytes]
    width: int
    height: int
    sha256: str


def clean_photo(upload: IO[bytes], name: str = "photo") -> CleanPhoto:
    """Decode the image, drop all metadata by re-encoding the pixels, return the clean file."""
    raw = upload.read(settings.REPORT_PHOTO_MAX_BYTES + 1)
    if len(raw) > settings.REPORT_PHOTO_MAX_BYTES:
        limit_mb = settings.REPORT_PHOTO_MAX_BYTES / 1024 / 1024
        raise PhotoError(
            "photo_too_large",
            _("“%(name)s” is larger than %(limit).0f MB.") % {"name": name, "limit": limit_mb},
        )
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(raw))
        fmt = image.format or ""
        if fmt not in ACCEPTED_FORMATS:
            raise UnidentifiedImageError(fmt)
        if image.width * image.height > MAX_PIXELS:
            raise PhotoError(
                "photo_too_large", _("“%(name)s” has too many pixels.") % {"name": name}
            )
        upright: Image.Image = ImageOps.exif_transpose(image)
        upright.load()
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise PhotoError(
            "photo_not_image", _("“%(name)s” is not a photo (JPEG, PNG or WebP).") % {"name": name}
        ) from None
    return _reencode(upright, ACCEPTED_FORMATS[fmt])


def _reencode(image: Image.Image, ext: str) -> CleanPhoto:
    out = io.BytesIO()
    if ext == "jpg":
        image.convert("RGB").save(out, format="JPEG", quality=88, optimize=True)
    elif ext == "webp":
        image.save(out, format="WEBP", quality=88)
    else:
        if image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA")
        image.save(out, format="PNG", optimize=True)
    data = out.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    return CleanPhoto(
        ContentFile(data, name=f"{digest[:16]}.{ext}"), image.width, image.height, digest
    )
