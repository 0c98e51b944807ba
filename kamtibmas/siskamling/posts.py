"""Changes to Siskamling posts, each audited: create and edit (place resolved to kelurahan and
Polsek), rotating the check-in link, and the link and its QR code for the printed card.

Audit rows name the changed fields, never their values (the coordinator's contact is personal
data)."""

from __future__ import annotations

from typing import Any

import segno
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from kamtibmas.accounts import audit
from kamtibmas.geo.models import Kelurahan, Unit
from kamtibmas.siskamling.forms_posts import PostForm
from kamtibmas.siskamling.models import Post, new_checkin_token

AUDITED_FIELDS = (*PostForm.Meta.fields, "kelurahan_code", "unit_id", "photo")


def _snapshot(post: Post) -> dict[str, str]:
    return {f: "" if getattr(post, f) is None else str(getattr(post, f)) for f in AUDITED_FIELDS}


@transaction.atomic
def save_post(form: PostForm, user: Any) -> Post:
    """Create or change a post from a valid form; one audit row listing the changed fields."""
    area = form.area
    assert area is not None and area.unit_id is not None  # noqa: S101 - a valid form has one
    creating = form.instance.pk is None
    before = {} if creating else _snapshot(Post.objects.get(pk=form.instance.pk))
    post: Post = form.save(commit=False)
    post.kelurahan = Kelurahan.objects.get(pk=area.kelurahan_id)
    post.kelurahan_code = area.kelurahan_code
    post.unit = Unit.objects.get(pk=area.unit_id)
    post.updated_at = timezone.now()
    if creating:
        post.created_by = user if getattr(user, "is_authenticated", False) else None
    if form.clean_photo is not None:
        content = form.clean_photo.content
        post.photo.save(content.name or "photo.jpg", content, save=False)
    post.save()
    after = _snapshot(post)
    changed = sorted(f for f in AUDITED_FIELDS if before.get(f) != after[f])
    if creating or changed:
        action = "siskamling_post_created" if creating else "siskamling_post_changed"
        audit.record(user, action, post, purpose="siskamling post registry", fields=changed)
    return post


@transaction.atomic
def rotate_token(post: Post, user: Any) -> Post:
    """A new check-in link; the old one stops working at once (the token is the only key)."""
    post.checkin_token = new_checkin_token()
    post.token_rotated_at = timezone.now()
    post.save(update_fields=["checkin_token", "token_rotated_at"])
    audit.record(user, "siskamling_post_token_rotated", post, purpose="revoke check-in link")
    return post


def checkin_path(post: Post) -> str:
    return reverse("pos:checkin", args=[post.checkin_token])


def checkin_url(post: Post) -> str:
    """The absolute link printed on the post's card (``PUBLIC_BASE_URL`` + path)."""
    base = str(getattr(settings, "PUBLIC_BASE_URL", "") or "").rstrip("/")
    return f"{base}{checkin_path(post)}"


def checkin_qr_svg(post: Post) -> str:
    """The check-in link as an inline SVG QR code (medium error correction, prints well)."""
    qr = segno.make(checkin_url(post), error="m")
    return str(qr.svg_inline(scale=6, border=2, dark="#000", light="#fff"))
