"""Stored forecasts: what was forecast, how, from which data, and how well it did.

A :class:`ForecastRun` is one model's forecast for one unit, crime group and window (a shift
or seven days). It keeps the model's name, version and parameters, the inputs (incident
count, data up to, grid, CRS) and the whole surface (float32, compressed), so it can be
redrawn, audited and scored later. Its best cells are rows of :class:`ForecastCell` with the
"why"; :class:`ForecastScore` rows say, once the window is over, how many incidents fell in
the top 1/2/5/10/20 % of the area. Forecasts are advice for staff and never public.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from numpy.typing import NDArray

from kamtibmas.accounts.models import AppendOnlyModel
from kamtibmas_analytics.grid import Grid

WEEK_KIND = "7d"
COVERAGES = (1, 2, 5, 10, 20)  # per cent of the unit's cells


class ForecastRun(models.Model):
    class Trigger(models.TextChoices):
        NIGHTLY = "nightly", _("Nightly")
        ON_DEMAND = "on_demand", _("On demand")
        CLI = "cli", _("Command line")
        DEMO = "demo", _("Demo")

    unit = models.ForeignKey(
        "geo.Unit", on_delete=models.PROTECT, related_name="forecasts", verbose_name=_("unit")
    )
    group = models.CharField(_("crime group"), max_length=20)
    window_kind = models.CharField(_("window"), max_length=20)  # a shift name or "7d"
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("to"))
    model_name = models.CharField(_("model"), max_length=40)
    model_version = models.CharField(_("model version"), max_length=40)
    model_params = models.JSONField(_("model parameters"), default=dict, blank=True)
    incident_count = models.PositiveIntegerField(_("incidents used"), default=0)
    data_up_to = models.DateTimeField(_("data up to"))
    crs = models.CharField(max_length=20, default="EPSG:32750")
    x0_m = models.FloatField()
    y0_m = models.FloatField()
    cell_m = models.FloatField()
    nx = models.PositiveIntegerField()
    ny = models.PositiveIntegerField()
    surface = models.BinaryField(_("surface (float32 npz)"))
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.CLI)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["start", "unit__name", "group"]
        verbose_name = _("forecast")
        verbose_name_plural = _("forecasts")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "group", "window_kind", "start", "model_name", "model_version"],
                name="unique_forecast_window_model",
            )
        ]
        indexes = [models.Index(fields=["end", "unit"])]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.group}/{self.window_kind} {self.start:%Y-%m-%d %H:%M}"

    @property
    def grid(self) -> Grid:
        return Grid(self.x0_m, self.y0_m, self.cell_m, self.nx, self.ny)

    def arrays(self) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """``(scores, mask)`` of shape ``(ny, nx)`` from the stored surface."""
        with np.load(io.BytesIO(bytes(self.surface))) as data:
            scores = np.asarray(data["scores"], dtype=np.float64)
            mask = np.unpackbits(data["mask"])[: self.nx * self.ny].astype(bool)
        return scores, mask.reshape(self.ny, self.nx)

    @staticmethod
    def pack(scores: NDArray[Any], mask: NDArray[np.bool_]) -> bytes:
        """The compact form of a surface: float32 scores and a bit-packed mask in an npz."""
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            scores=np.asarray(scores, dtype=np.float32),
            mask=np.packbits(np.asarray(mask, dtype=bool).ravel()),
        )
        return buffer.getvalue()

    @property
    def is_scored(self) -> bool:
        return self.scores.exists()


class ForecastCell(models.Model):
    """One of the best cells of a forecast, with why it is there."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="cells")
    rank = models.PositiveIntegerField()
    i = models.PositiveIntegerField(help_text="row (northward)")
    j = models.PositiveIntegerField(help_text="column (eastward)")
    lat = models.FloatField()
    lon = models.FloatField()
    score = models.FloatField()
    explanation = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["run", "rank"]
        constraints = [models.UniqueConstraint(fields=["run", "rank"], name="unique_cell_rank")]

    def __str__(self) -> str:
        return f"{self.run_id} #{self.rank} ({self.i}, {self.j})"


class ForecastScore(models.Model):
    """How the forecast did at one coverage (share of the unit's cells searched, in %)."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="scores")
    coverage_pct = models.PositiveSmallIntegerField()
    cells = models.PositiveIntegerField()
    events = models.PositiveIntegerField()
    hits = models.PositiveIntegerField()
    hit_rate = models.FloatField(null=True, blank=True)  # None when nothing happened
    pai = models.FloatField(null=True, blank=True)
    scored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["run", "coverage_pct"]
        constraints = [
            models.UniqueConstraint(fields=["run", "coverage_pct"], name="unique_score_coverage")
        ]

    def __str__(self) -> str:
        return f"{self.run_id} @{self.coverage_pct}%: {self.hits}/{self.events}"

    @property
    def hit_pct(self) -> str:
        return "–" if self.hit_rate is None else f"{100 * self.hit_rate:.0f}%"

    @property
    def pai_text(self) -> str:
        return "–" if self.pai is None else f"{self.pai:.1f}"


class ForecastEvent(AppendOnlyModel):
    """Append-only log of a forecast: made, scored, viewed, exported."""

    class Action(models.TextChoices):
        MADE = "made", _("made")
        SCORED = "scored", _("scored")
        VIEWED = "viewed", _("viewed")
        EXPORTED = "exported", _("exported")

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.run_id} {self.action}"
