"""A roster week is a "Pekan" in Indonesian: "Minggu" also means Sunday, so "Minggu 16
November" on the printed roster read as a Sunday."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from typing import Any

import pytest
from django.utils import translation

from kamtibmas.siskamling import pdf
from kamtibmas.siskamling.forms_roster import MakeWeekForm, week_choices
from tests.test_siskamling_roster import MONDAY, add_slot, make_post


def test_the_week_choices_say_pekan_not_minggu() -> None:
    with translation.override("id"):
        labels = [label for _value, label in week_choices(date(2026, 11, 18))]
        assert labels[0].startswith("Pekan ke-47 (16 Nov")
        assert str(MakeWeekForm(today=MONDAY).fields["week"].label) == "Pekan"
    with translation.override("en"):
        assert week_choices(MONDAY)[0][1].startswith("Week 47")


@pytest.mark.django_db
def test_the_pdf_titles_the_week_pekan(bhabin_selatan: Any) -> None:
    post = make_post(name="Pos Kamling Kenanga")
    add_slot(post, 0, ["Budi Santoso"])
    with translation.override("id"):
        document = pdf.roster_pdf(post, MONDAY, "https://example.test/pos/x/")
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext is not installed")
    text = subprocess.run(  # noqa: S603
        [pdftotext, "-", "-"], input=document, capture_output=True, check=True
    ).stdout.decode()
    assert "Pekan 16 November – 22 November 2026" in text
    assert "Minggu 16" not in text
