"""Crime groups that forecasts and patrols work with (glossary category codes).

Patrols aim at street crime: "3C" (curat, curas, curanmor) first. Domestic violence, fraud and
traffic accidents are not forecast for patrols (a patrol does not prevent them, and domestic
violence is sensitive).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

CRIME_GROUPS: dict[str, tuple[str, ...]] = {
    "3c": ("curat", "curas", "curanmor"),
    "theft": ("theft",),
    "narcotics": ("narcotics",),
    "violence": ("assault", "homicide"),
    "disorder": ("disorder", "gambling"),
}
DEFAULT_GROUP = "3c"

GROUP_LABELS = {
    "3c": _("3C street crime (curat, curas, curanmor)"),
    "theft": _("Ordinary theft"),
    "narcotics": _("Drug offences"),
    "violence": _("Violence (assault, homicide)"),
    "disorder": _("Public order and gambling"),
}


def categories_of(group: str) -> tuple[str, ...]:
    """The category codes of ``group`` (KeyError for an unknown group)."""
    return CRIME_GROUPS[group]
