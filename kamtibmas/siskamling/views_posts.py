"""Staff pages of Siskamling posts: list, create/edit, detail with the printable check-in card,
rotating the link, the photo, and the map of posts over the forecast risk. Views stay thin:
``scoping`` decides who sees and changes what, ``posts`` changes things."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kamtibmas.accounts import audit
from kamtibmas.forecasts import access
from kamtibmas.forecasts.groups import CRIME_GROUPS, GROUP_LABELS
from kamtibmas.geo.models import Kelurahan
from kamtibmas.media import stored_file_response
from kamtibmas.reports.views_staff import officer_required
from kamtibmas.siskamling import post_map, posts, scoping
from kamtibmas.siskamling.forms_posts import PostFilterForm, PostForm
from kamtibmas.siskamling.models import Post

RECENT_ROUNDS = 20
RECENT_REPORTS = 20


def _post(request: HttpRequest, pk: int) -> Post:
    return get_object_or_404(scoping.posts_for(request.user), pk=pk)


@officer_required
@require_GET
def post_list(request: HttpRequest) -> HttpResponse:
    visible = scoping.posts_for(request.user)
    kelurahan = Kelurahan.objects.filter(pk__in=visible.values("kelurahan_id")).order_by("name")
    form = PostFilterForm(request.GET or None, kelurahan=kelurahan)
    context = {
        "posts": form.apply(visible),
        "form": form,
        "can_edit": scoping.can_edit(request.user),
        "total": visible.count(),
    }
    return render(request, "siskamling/post_list.html", context)


def _edit(request: HttpRequest, post: Post | None) -> HttpResponse:
    if not scoping.can_edit(request.user, post):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    form = PostForm(data, request.FILES or None, instance=post)
    if request.method == "POST" and form.is_valid():
        saved = posts.save_post(form, request.user)
        messages.success(request, _("The post was saved."))
        return redirect("siskamling:post_detail", saved.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "post": post}
    return render(request, "siskamling/post_form.html", context, status=status)


@officer_required
@require_http_methods(["GET", "POST"])
def post_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@officer_required
@require_http_methods(["GET", "POST"])
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, _post(request, pk))


def _audit_contact_read(request: HttpRequest, post: Post) -> None:
    """Reading the coordinator's contact is a read of personal data: audited."""
    if post.coordinator_name or post.coordinator_phone or post.coordinator_email:
        audit.record(request.user, "siskamling_post_contact_viewed", post,
                     purpose="siskamling coordination")  # fmt: skip


@officer_required
@require_GET
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
    _audit_contact_read(request, post)
    reports = post.post_reports.select_related("report", "report__category")[:RECENT_REPORTS]
    context = {
        "post": post,
        "can_edit": scoping.can_edit(request.user, post),
        "checkin_url": posts.checkin_url(post),
        "qr_svg": posts.checkin_qr_svg(post),
        "rounds": post.checkins.all()[:RECENT_ROUNDS],
        "post_reports": reports,
    }
    return render(request, "siskamling/post_detail.html", context)


@officer_required
@require_POST
def post_rotate_token(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
    if not scoping.can_edit(request.user, post):
        raise PermissionDenied
    if request.POST.get("confirm") != "1":
        messages.error(request, _("Tick the box to confirm that the old link may stop working."))
        return redirect("siskamling:post_detail", post.pk)
    posts.rotate_token(post, request.user)
    messages.success(request, _("A new check-in link was made; the old one no longer works."))
    return redirect("siskamling:post_detail", post.pk)


@officer_required
@require_GET
def post_photo(request: HttpRequest, pk: int) -> FileResponse:
    """The post's photo, to staff who see the post (never from /media/)."""
    return stored_file_response(_post(request, pk).photo)


# ---- the map of posts over the risk surface ------------------------------------------------


def _map_choices(request: HttpRequest) -> tuple[Any, str, list[tuple[int, str]]]:
    """The unit asked for (else the first the user may see) and the crime group."""
    units = access.units_for(request.user)
    raw = request.GET.get("unit", "").strip()
    unit = None
    if raw.isdigit() and len(raw) <= 9:
        unit = units.filter(pk=int(raw)).first()
        if unit is None:
            messages.error(request, _("Unknown unit: choose a Polsek from the list."))
    if unit is None:
        own = getattr(request.user, "unit_id", None)
        unit = (units.filter(pk=own).first() if own else None) or units.first()
    group = request.GET.get("group", post_map.ALL_GROUPS).strip() or post_map.ALL_GROUPS
    if group != post_map.ALL_GROUPS and group not in CRIME_GROUPS:
        messages.error(request, _("Unknown crime group."))
        group = post_map.ALL_GROUPS
    return unit, group, list(units.values_list("pk", "name"))


@officer_required
@require_GET
def post_map_page(request: HttpRequest) -> HttpResponse:
    unit, group, unit_choices = _map_choices(request)
    result = None
    if unit is not None:
        shown = list(scoping.posts_for(request.user).filter(unit=unit))
        try:
            result = post_map.build_post_map(unit, group, timezone.now(), shown)
        except ValueError as exc:
            messages.error(request, str(exc))
    groups = [(post_map.ALL_GROUPS, _("All crime groups"))]
    groups += [(g, str(GROUP_LABELS[g])) for g in CRIME_GROUPS]
    context = {
        "unit": unit,
        "group": group,
        "unit_choices": unit_choices,
        "group_choices": groups,
        "result": result,
        "radius_m": int(post_map.WALK_RADIUS_M),
        "share_pct": int(post_map.HIGH_RISK_SHARE * 100),
    }
    return render(request, "siskamling/post_map.html", context)
