"""Articles: the public news and education pages and the Humas editor (/petugas/konten/)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kamtibmas.media import stored_file_response
from kamtibmas.portal import content
from kamtibmas.portal.forms_content import ArticleForm
from kamtibmas.portal.models import Article
from kamtibmas.reports.views_staff import officer_required

PER_PAGE = 10
IMAGE_MAX_AGE_S = 86_400


def with_text(articles: Any) -> list[Article]:
    """Attach ``shown`` (the text in the visitor's language) to each article."""
    items = list(articles)
    for article in items:
        article.shown = content.text_of(article)  # type: ignore[attr-defined]
    return items


@require_safe
def article_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(content.published_articles(), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "portal/article_list.html", {"page": page, "articles": with_text(page)})


@require_safe
def article_image(request: HttpRequest, slug: str) -> FileResponse:
    """The image of a published article. MEDIA_ROOT also holds report photos, so it is never
    served as a whole: each public file goes through a view that checks it is public."""
    article = get_object_or_404(content.published_articles(), slug=slug)
    return _image_response(article, f"public, max-age={IMAGE_MAX_AGE_S}")


def _image_response(article: Article, cache_control: str) -> FileResponse:
    return stored_file_response(
        article.image, content_type="image/jpeg", cache_control=cache_control
    )


@require_safe
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(content.published_articles(), slug=slug)
    return render(
        request,
        "portal/article_detail.html",
        {"article": article, "shown": content.text_of(article)},
    )


def editor_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Signed-in officers of public relations or administrators; anyone else 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not content.can_edit(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return officer_required(wrapper)


@editor_required
@require_safe
def content_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft (or a published article) exactly as the public page shows it, under a banner,
    so public relations can check text and image before publishing. Never cached or indexed."""
    article = get_object_or_404(Article, pk=pk)
    context = {"article": article, "shown": content.text_of(article), "preview": True}
    response = render(request, "portal/article_detail.html", context)
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@editor_required
@require_safe
def content_image(request: HttpRequest, pk: int) -> FileResponse:
    """An article's image for editors, also while it is a draft (the public route serves only
    published articles' images)."""
    return _image_response(get_object_or_404(Article, pk=pk), "private, no-store")


@editor_required
@require_safe
def content_list(request: HttpRequest) -> HttpResponse:
    articles = Article.objects.select_related("author").order_by("-updated_at")
    page = Paginator(articles, 50).get_page(request.GET.get("page"))
    return render(request, "portal/content_list.html", {"page": page})


def _edit(request: HttpRequest, article: Article) -> HttpResponse:
    form = ArticleForm(request.POST or None, request.FILES or None, instance=article)
    if request.method == "POST" and form.is_valid():
        saved = content.save_article(
            form.save(commit=False),
            request.user,
            image=form.image,
            remove_image=bool(form.cleaned_data.get("remove_image")),
        )
        messages.success(request, _("The article was saved."))
        return redirect("portal:content_edit", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "portal/content_form.html", {"form": form, "article": article}, status=status
    )


@editor_required
@require_http_methods(["GET", "HEAD", "POST"])
def content_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, Article())


@editor_required
@require_http_methods(["GET", "HEAD", "POST"])
def content_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, get_object_or_404(Article, pk=pk))


@officer_required
@require_POST
def content_publish(request: HttpRequest, pk: int) -> HttpResponse:
    if not content.can_edit(request.user):
        raise PermissionDenied
    content.publish(get_object_or_404(Article, pk=pk), request.user)
    messages.success(request, _("The article is published."))
    return redirect("portal:content_list")


@officer_required
@require_POST
def content_unpublish(request: HttpRequest, pk: int) -> HttpResponse:
    if not content.can_edit(request.user):
        raise PermissionDenied
    content.unpublish(get_object_or_404(Article, pk=pk), request.user)
    messages.success(request, _("The article is no longer public."))
    return redirect("portal:content_list")
