"""The public portal in a real browser on a phone-sized screen (Playwright + Debian chromium).

The home page, with demo-like content, stays under 500 KB with all its CSS, scripts and images;
passes WCAG 2.1 AA basics (labels, text contrast, visible keyboard focus, heading order, lang,
skip link); the statistics page draws its map and never shows a count of 1 or 2."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from kamtibmas.incidents.models import Incident
from kamtibmas.portal.demo_content import load_demo_content
from kamtibmas.portal.models import PublicAlert
from tests.conftest import SELATAN_KELURAHAN, UTARA_KELURAHAN, local_page, point_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_HOME_BYTES = 500 * 1024

# Inputs with no accessible name (label, aria-label, aria-labelledby or title).
UNLABELLED_JS = """() => {
  const visible = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
  return [...document.querySelectorAll('input, select, textarea')]
    .filter(e => e.type !== 'hidden' && visible(e))
    .filter(e => !((e.labels && e.labels.length) || e.getAttribute('aria-label')
                   || e.getAttribute('aria-labelledby') || e.title))
    .map(e => e.outerHTML.slice(0, 120));
}"""

# Every visible text's contrast against the background it is painted on (WCAG 1.4.3).
CONTRAST_JS = """() => {
  const rgba = s => {
    const m = s.match(/[\\d.]+/g).map(Number);
    return m.length > 3 ? m : [...m, 1];
  };
  const lum = c => { const v = c.slice(0, 3).map(x => { x /= 255;
    return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const over = (top, under) => top.slice(0, 3).map((x, i) => x * top[3] + under[i] * (1 - top[3]));
  const background = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) { break; } }
    }
    let colour = [255, 255, 255];
    for (const c of layers.reverse()) { colour = over(c, colour); }
    return colour;
  };
  const failures = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const skip = 'svg, script, style, .leaflet-container';
    if (!node.textContent.trim() || !el || el.closest(skip)) { continue; }
    const r = el.getBoundingClientRect(), st = getComputedStyle(el);
    const hidden = st.visibility === 'hidden' || st.opacity === '0';
    if (!r.width || !r.height || r.right <= 0 || hidden) { continue; }
    const bg = background(el), fg = over(rgba(st.color), bg);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight, 10) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) {
      const text = node.textContent.trim().slice(0, 40);
      failures.push(`${ratio.toFixed(2)} ${st.color} on rgb(${bg.map(Math.round)}) "${text}"`);
    }
  }
  return failures;
}"""

FOCUS_JS = """() => {
  const e = document.activeElement, st = getComputedStyle(e);
  const outline = st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) > 0;
  return {tag: e.tagName, text: (e.textContent || e.name || '').trim().slice(0, 40),
          key: e.outerHTML.slice(0, 160), visible: outline || st.boxShadow !== 'none'};
}"""

INJECT_JS = """() => {
  const p = document.createElement('p');
  p.textContent = 'abu-abu'; p.style.color = '#999';
  document.querySelector('main').append(p, document.createElement('input'));
}"""

HEADINGS_JS = """() => [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]
  .map(h => Number(h.tagName[1]))"""


def _page(browser: Any, base_url: str) -> Any:
    return local_page(browser, base_url, viewport={"width": 360, "height": 740})


def _content() -> None:
    load_demo_content()
    PublicAlert.objects.create(
        headline_id="Waspada pencurian motor di Sepinggan Baru",
        description_id="Beberapa sepeda motor hilang dari parkiran dalam seminggu terakhir.",
        status=PublicAlert.Status.PUBLISHED, published_at=timezone.now(),
    )  # fmt: skip
    when = timezone.now() - timedelta(days=30)
    for code, category, n in (
        (SELATAN_KELURAHAN, "curanmor", 6),
        (UTARA_KELURAHAN, "curanmor", 2),
        (UTARA_KELURAHAN, "theft", 1),
    ):
        lat, lon = point_in(code)
        for _ in range(n):
            Incident.objects.create(
                category=category, occurred_from=when, lat=lat, lon=lon, kelurahan_code=code
            )


def _weight(page: Any, url: str) -> int:
    responses: list[Any] = []

    def collect(response: Any) -> None:
        responses.append(response)

    page.on("response", collect)
    page.goto(url, wait_until="networkidle")
    page.remove_listener("response", collect)
    return sum(len(r.body()) for r in responses if r.ok and r.status != 304)


def _tab_through(page: Any, presses: int = 60) -> list[dict[str, Any]]:
    """The elements Tab reaches, in order, until focus leaves the page (or ``presses``)."""
    stops = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUS_JS)
        if stop["tag"] == "BODY":
            break
        stops.append(stop)
    return stops


def test_home_is_light_accessible_and_keyboard_friendly(
    browser: Any, live_server: Any, live_reference: None
) -> None:
    _content()
    base = live_server.url
    page = _page(browser, base)

    total = _weight(page, f"{base}/")
    assert total <= MAX_HOME_BYTES, f"home page weighs {total} bytes"
    assert page.get_attribute("html", "lang") == "id"
    assert page.locator("text=Waspada pencurian motor").count() == 1
    assert page.locator('a[href="tel:112"]').count() == 1

    assert page.evaluate(UNLABELLED_JS) == []
    assert page.evaluate(CONTRAST_JS) == []

    levels = page.evaluate(HEADINGS_JS)
    assert levels.count(1) == 1 and levels[0] == 1, levels
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels

    stops = _tab_through(page)
    assert stops[0]["text"] in ("Langsung ke isi", "Skip to content")  # the skip link first
    assert len({s["key"] for s in stops}) == len(stops) >= 20  # focus moves on, never stuck
    assert all(s["tag"] in ("A", "BUTTON", "INPUT") for s in stops)
    hidden = [s for s in stops if not s["visible"]]
    assert hidden == [], hidden
    assert any(s["text"].startswith("Statistik") for s in stops)

    # The checks can fail: grey text and an unlabelled field added to the page are caught.
    page.evaluate(INJECT_JS)
    assert [f for f in page.evaluate(CONTRAST_JS) if "abu-abu" in f]
    assert len(page.evaluate(UNLABELLED_JS)) == 1


def test_statistics_page_draws_the_map_and_never_shows_one_or_two(
    browser: Any, live_server: Any, live_reference: None
) -> None:
    _content()
    base = live_server.url
    page = _page(browser, base)
    page.goto(f"{base}/statistik/")
    page.wait_for_selector("#stats-map[data-loaded]")
    assert page.get_attribute("#stats-map", "data-loaded") == "2"
    assert page.locator("#stats-map path.leaflet-interactive").count() >= 2
    counts = [c.strip() for c in page.locator("#kelurahan-table td.count").all_inner_texts()]
    assert counts and counts[0] == "6" and any(c.startswith("<3") for c in counts)
    months = [m.strip() for m in page.locator("#month-table td.count").all_text_contents()]
    assert not [c for c in counts + months if c.split()[0] in ("1", "2")]
    assert page.evaluate(UNLABELLED_JS) == []
    assert page.evaluate(CONTRAST_JS) == []
    # The popup of a kelurahan says "<3", never the number.
    page.locator("#stats-map path.leaflet-interactive").last.dispatch_event("click")
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert popup.endswith(("<3", "6")) and not popup.endswith((" 1", " 2"))
