"""Camera form (registry) and alert filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from shapely.geometry import Polygon

from kamtibmas.cctv import recording
from kamtibmas.cctv.coverage import MAX_RANGE_M
from kamtibmas.cctv.models import Alert, Camera
from kamtibmas.cctv.streams import is_supported, strip_credentials
from kamtibmas.cctv.zones import outside_frame
from kamtibmas.geo import lookup
from kamtibmas.geo.models import Unit

MAX_MASKS = 20


def clean_masks(value: Any) -> list[list[list[float]]]:
    """Privacy masks: a list of polygons, each a list of >= 3 [x, y] pixel points, valid."""
    if value in (None, ""):
        return []
    if not isinstance(value, list) or len(value) > MAX_MASKS:
        raise forms.ValidationError(_("Give a list of at most 20 polygons."))
    masks = []
    for polygon in value:
        if not isinstance(polygon, list) or len(polygon) < 3:
            raise forms.ValidationError(_("Each polygon needs at least three points."))
        points = []
        for point in polygon:
            if (
                not isinstance(point, list)
                or len(point) != 2
                or not all(isinstance(v, int | float) and v >= 0 for v in point)
            ):
                raise forms.ValidationError(_("Each point is [x, y] in pixels, not negative."))
            points.append([float(point[0]), float(point[1])])
        if not Polygon(points).is_valid or Polygon(points).area <= 0:
            raise forms.ValidationError(_("A polygon crosses itself or has no area."))
        masks.append(points)
    return masks


class CameraForm(forms.ModelForm):
    privacy_masks = forms.JSONField(
        label=gettext_lazy("privacy masks"),
        required=False,
        help_text=gettext_lazy("Polygons in frame pixels, e.g. [[[0, 0], [200, 0], [200, 100]]]"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = Camera
        fields = [
            "name", "owner_kind", "owner_name", "unit", "lat", "lon", "bearing", "fov_angle",
            "fov_range_m", "stream_url", "substream_url", "recording_url_template", "width",
            "height", "fps", "privacy_masks", "retention_days", "shared_with_police", "is_active",
        ]  # fmt: skip
        help_texts = {
            "stream_url": gettext_lazy(
                "RTSP, HTTP or file; user and password are removed (keep them in the "
                "worker's configuration)."
            ),
            "recording_url_template": gettext_lazy(
                "Playback address of the recorder (NVR/VMS) with {start} and {end} (ISO time, "
                "WITA), {start_utc}/{end_utc} or {start_epoch}/{end_epoch}, e.g. "
                "https://nvr.example/playback?cam=5&start={start}&end={end}. No password."
            ),
        }

    def __init__(self, *args: Any, unit_ids: list[int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = Unit.objects.filter(is_active=True)
        if unit_ids is not None:
            units = units.filter(pk__in=unit_ids)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]

    def _bounded(self, name: str, low: float, high: float, message: str) -> float:
        value = self.cleaned_data[name]
        if value is None or not low <= value <= high:
            raise forms.ValidationError(message)
        return float(value)

    def clean_bearing(self) -> float:
        return self._bounded("bearing", 0, 360, _("The bearing is 0 to 360 degrees."))

    def clean_fov_angle(self) -> float:
        return self._bounded("fov_angle", 1, 360, _("The angle is 1 to 360 degrees."))

    def clean_fov_range_m(self) -> float:
        value = self.cleaned_data["fov_range_m"]
        if value is None or not 0 < value <= MAX_RANGE_M:
            raise forms.ValidationError(_("The range is more than 0 and at most 2000 metres."))
        return float(value)

    def clean_fps(self) -> float | None:
        value = self.cleaned_data.get("fps")
        if value is not None and not 0 < value <= 240:
            raise forms.ValidationError(_("The frame rate is more than 0 and at most 240."))
        return value

    def _clean_url(self, name: str) -> str:
        url = strip_credentials(self.cleaned_data.get(name) or "")
        if url and not is_supported(url):
            raise forms.ValidationError(_("Use an rtsp://, http(s):// or file address."))
        return url

    def clean_stream_url(self) -> str:
        return self._clean_url("stream_url")

    def clean_substream_url(self) -> str:
        return self._clean_url("substream_url")

    def clean_recording_url_template(self) -> str:
        try:
            return recording.clean_template(self.cleaned_data.get("recording_url_template") or "")
        except recording.TemplateError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_privacy_masks(self) -> list[list[list[float]]]:
        return clean_masks(self.cleaned_data.get("privacy_masks"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        width, height = data.get("width"), data.get("height")
        for polygon in data.get("privacy_masks") or []:
            if any((width and x > width) or (height and y > height) for x, y in polygon):
                self.add_error("privacy_masks", _("A mask reaches outside the frame."))
                break
        zone_shapes = [zone.get("polygon") or [] for zone in self.instance.zones or []]
        if width and height and outside_frame(zone_shapes, width, height):
            self.add_error("width", _("A zone reaches outside this frame: redraw the zones first."))
        lat, lon = data.get("lat"), data.get("lon")
        if lat is not None and lon is not None:
            area = lookup.find_area(lat, lon)
            if area is None:
                self.add_error("lat", _("The place is outside Balikpapan."))
            else:
                self.instance.kelurahan_code = area.kelurahan_code
        return data


class AlertFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("state"),
        required=False,
        choices=[("", gettext_lazy("open (new and acknowledged)")), ("all", gettext_lazy("all"))]
        + list(Alert.State.choices),
    )
    camera = forms.CharField(label=gettext_lazy("camera"), required=False, max_length=80)
    rule = forms.CharField(label=gettext_lazy("rule"), required=False, max_length=20)

    def apply(self, qs: Any) -> Any:
        if not self.is_valid():
            return qs.filter(state__in=[Alert.State.NEW, Alert.State.ACKNOWLEDGED])
        state = self.cleaned_data["state"]
        if state == "":
            qs = qs.filter(state__in=[Alert.State.NEW, Alert.State.ACKNOWLEDGED])
        elif state != "all":
            qs = qs.filter(state=state)
        if self.cleaned_data["camera"]:
            qs = qs.filter(camera__name=self.cleaned_data["camera"])
        if self.cleaned_data["rule"]:
            qs = qs.filter(rule=self.cleaned_data["rule"])
        return qs
