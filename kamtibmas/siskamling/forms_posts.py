"""Forms of the staff post pages: the post itself (place, RT/RW, coordinator, photo) and the
list filters. The place decides the kelurahan and the Polsek; a point outside Polres Balikpapan
is refused. The photo is re-encoded without its metadata before it is stored."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kamtibmas.geo import lookup
from kamtibmas.geo.models import Kelurahan
from kamtibmas.reports.intake import PHONE_RE
from kamtibmas.reports.photos import CleanPhoto, PhotoError, clean_photo
from kamtibmas.siskamling.models import Post


def _rt_rw(value: str) -> str:
    value = (value or "").strip()
    if value and not (value.isdigit() and len(value) <= 3):
        raise forms.ValidationError(_("RT and RW are numbers of at most 3 digits."))
    return value


class PostForm(forms.ModelForm):
    photo_upload = forms.FileField(
        label=gettext_lazy("photo"),
        required=False,
        help_text=gettext_lazy("JPEG, PNG or WebP. Location and camera data are removed."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    lat = forms.FloatField(
        label=gettext_lazy("latitude"),
        widget=forms.NumberInput(attrs={"step": "any"}),
        error_messages={"required": gettext_lazy("Put a pin on the map or type the latitude.")},
    )
    lon = forms.FloatField(
        label=gettext_lazy("longitude"),
        widget=forms.NumberInput(attrs={"step": "any"}),
        error_messages={"required": gettext_lazy("Put a pin on the map or type the longitude.")},
    )

    class Meta:
        model = Post
        fields = [
            "name", "lat", "lon", "rw", "rt", "address_text", "coordinator_name",
            "coordinator_phone", "coordinator_email", "is_active",
        ]  # fmt: skip
        error_messages = {"name": {"required": gettext_lazy("Give the post a name.")}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.area: lookup.Area | None = None
        self.clean_photo: CleanPhoto | None = None

    def clean_name(self) -> str:
        name = (self.cleaned_data.get("name") or "").strip()
        if not name:
            raise forms.ValidationError(_("Give the post a name."))
        return name

    def clean_rw(self) -> str:
        return _rt_rw(self.cleaned_data.get("rw", ""))

    def clean_rt(self) -> str:
        return _rt_rw(self.cleaned_data.get("rt", ""))

    def clean_coordinator_phone(self) -> str:
        phone = (self.cleaned_data.get("coordinator_phone") or "").strip()
        if phone and not PHONE_RE.match(phone):
            raise forms.ValidationError(_("This phone number is not valid."))
        return phone

    def clean_coordinator_name(self) -> str:
        return (self.cleaned_data.get("coordinator_name") or "").strip()

    def clean_photo_upload(self) -> Any:
        upload = self.cleaned_data.get("photo_upload")
        if upload:
            try:
                self.clean_photo = clean_photo(upload, name=(upload.name or "photo")[:60])
            except PhotoError as exc:
                raise forms.ValidationError(exc.message) from None
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lat, lon = data.get("lat"), data.get("lon")
        if lat is None or lon is None:
            return data
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            self.add_error("lat", _("The map position is not valid."))
            return data
        area = lookup.find_area(lat, lon)
        if area is None or area.unit_id is None:
            self.add_error(
                "lat",
                _("This place is outside the area of Polres Balikpapan: put the pin on the post."),
            )
            return data
        self.area = area
        return data


class PostFilterForm(forms.Form):
    """The list's filters; a bad value is ignored rather than refused."""

    kelurahan = forms.ModelChoiceField(
        label=gettext_lazy("kelurahan"),
        queryset=Kelurahan.objects.none(),
        required=False,
        empty_label=gettext_lazy("all"),
        to_field_name="code",
    )
    active = forms.ChoiceField(
        label=gettext_lazy("status"),
        required=False,
        choices=[
            ("", gettext_lazy("all")),
            ("1", gettext_lazy("active")),
            ("0", gettext_lazy("inactive")),
        ],
    )

    def __init__(self, *args: Any, kelurahan: QuerySet[Kelurahan], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kelurahan"].queryset = kelurahan  # type: ignore[attr-defined]

    def apply(self, qs: QuerySet[Post]) -> QuerySet[Post]:
        if not self.is_valid():
            return qs
        if self.cleaned_data["kelurahan"] is not None:
            qs = qs.filter(kelurahan=self.cleaned_data["kelurahan"])
        if self.cleaned_data["active"] in ("0", "1"):
            qs = qs.filter(is_active=self.cleaned_data["active"] == "1")
        return qs
