"""Demo data of Siskamling, community programmes and the public portal (issue 6), loaded by
`kamtibmas demo` after the accounts, reports and incidents it builds on. Idempotent: each loader
adds only what is missing, so a second run adds nothing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from kamtibmas.community.demo import load_demo_programmes
from kamtibmas.community.demo_aspirations import load_demo_aspirations
from kamtibmas.portal.demo_alerts import load_demo_alerts
from kamtibmas.portal.demo_content import load_demo_content
from kamtibmas.siskamling.demo import load_demo_posts
from kamtibmas.siskamling.demo_roster import load_demo_roster


def load_demo_community(seed: int = 7, now: datetime | None = None) -> list[str]:
    """Load everything in dependency order; returns one summary line per part."""
    posts = load_demo_posts(seed, now)
    roster = load_demo_roster(seed, now)
    programmes = load_demo_programmes(seed, now)
    aspirations = load_demo_aspirations(seed, now)
    articles = load_demo_content(now)
    alerts = load_demo_alerts(now)
    return [
        f"demo siskamling: {posts} posts created; rosters {_pairs(roster)}",
        f"demo programmes: {_pairs(programmes)}; {aspirations} aspirations heard at events",
        f"demo portal: {articles} articles, {alerts} public alerts created",
    ]


def _pairs(counts: Mapping[str, object]) -> str:
    return ", ".join(
        f"{key.replace('_', ' ')} {len(value) if isinstance(value, list) else value}"
        for key, value in counts.items()
    )
