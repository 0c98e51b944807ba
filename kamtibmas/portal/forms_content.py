"""The editor's form for an article (bilingual; Indonesian required, English optional)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kamtibmas.portal import content
from kamtibmas.portal.models import Article
from kamtibmas.reports.photos import PhotoError

BODY_MAX_CHARS = 20_000


class ArticleForm(forms.ModelForm):
    upload = forms.FileField(
        label=gettext_lazy("Image (optional)"),
        required=False,
        help_text=gettext_lazy(
            "JPEG, PNG or WebP. Stored at most 1200 pixels wide, without metadata."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    remove_image = forms.BooleanField(
        label=gettext_lazy("Remove the current image"), required=False
    )

    class Meta:
        model = Article
        fields = [
            "kind", "title_id", "summary_id", "body_id", "title_en", "summary_en", "body_en",
        ]  # fmt: skip
        widgets = {
            "summary_id": forms.Textarea(attrs={"rows": 2}),
            "summary_en": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "body_id": gettext_lazy("Plain text. Leave an empty line between paragraphs."),
            "body_en": gettext_lazy("Optional. Shown to visitors who chose English."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.image: ContentFile[bytes] | None = None
        if not (self.instance and self.instance.image):
            del self.fields["remove_image"]

    def _clean_body(self, name: str) -> str:
        body = str(self.cleaned_data.get(name) or "").strip()
        if len(body) > BODY_MAX_CHARS:
            raise forms.ValidationError(
                _("At most %(limit)d characters.") % {"limit": BODY_MAX_CHARS}
            )
        return body

    def clean_body_id(self) -> str:
        return self._clean_body("body_id")

    def clean_body_en(self) -> str:
        return self._clean_body("body_en")

    def clean_upload(self) -> Any:
        upload = self.cleaned_data.get("upload")
        if upload:
            try:
                self.image = content.resized_image(upload, upload.name)
            except PhotoError as exc:
                raise forms.ValidationError(exc.message) from None
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("title_en")) != bool(data.get("body_en")):
            self.add_error(
                "body_en" if data.get("title_en") else "title_en",
                _("Give both the English title and the English text, or neither."),
            )
        return data
