"""Template tags of Siskamling rosters: the roster summary that a post's page shows."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.utils import timezone

from kamtibmas.siskamling import roster
from kamtibmas.siskamling.models import CheckIn, Post, RosterNight

register = template.Library()


@dataclass(frozen=True)
class RosterSummary:
    tonight: RosterNight | None
    participation: roster.Participation
    last_round: CheckIn | None
    has_template: bool


@register.simple_tag
def roster_summary(post: Post) -> RosterSummary:
    """Tonight's night, the last 4 weeks' participation and the last round of ``post``."""
    now = timezone.now()
    return RosterSummary(
        tonight=roster.tonight(post, now),
        participation=roster.participation(post, now),
        last_round=roster.last_round(post),
        has_template=post.roster_slots.exists(),
    )


@register.filter
def lines(names: list[str]) -> str:
    """Names one per line (for a textarea); escaped by the template as usual."""
    return "\n".join(str(n) for n in names or [])
