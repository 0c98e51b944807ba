"""Who sees which reports and who may do what with them (kamtibmas.reports.scoping)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser

from kamtibmas.accounts import roles
from kamtibmas.reports import scoping
from tests.conftest import UTARA_KELURAHAN, make_user


def codes(qs: Any) -> set[str]:
    return set(qs.values_list("tracking_code", flat=True))


def test_it_shows_a_polsek_only_its_own_reports(
    make_report: Any, officer_selatan: Any, officer_utara: Any
) -> None:
    selatan = make_report()
    utara = make_report(kelurahan_at=UTARA_KELURAHAN)
    assert codes(scoping.reports_for(officer_selatan)) == {selatan.tracking_code}
    assert codes(scoping.reports_for(officer_utara)) == {utara.tracking_code}


def test_it_shows_a_polres_commander_everything(make_report: Any, commander_polres: Any) -> None:
    made = {
        make_report().tracking_code,
        make_report(kelurahan_at=UTARA_KELURAHAN).tracking_code,
        make_report(kind="tip", category_code="narcotics").tracking_code,
    }
    assert codes(scoping.reports_for(commander_polres)) == made
    assert scoping.sees_all(commander_polres)


def test_it_shows_a_bhabinkamtibmas_only_their_kelurahan(
    make_report: Any, bhabin_selatan: Any
) -> None:
    mine = make_report()
    make_report(kelurahan_at=UTARA_KELURAHAN)
    other_in_same_polsek = make_report(kelurahan_at="64.71.05.1006")
    assert other_in_same_polsek.assigned_unit.code == "polsek-balikpapan-selatan"
    assert codes(scoping.reports_for(bhabin_selatan)) == {mine.tracking_code}


def test_it_shows_residents_and_the_public_nothing(make_report: Any, resident: Any) -> None:
    make_report()
    assert not scoping.reports_for(resident).exists()
    assert not scoping.reports_for(AnonymousUser()).exists()


def test_it_lets_only_triage_roles_of_the_scope_change_a_report(
    make_report: Any, officer_selatan: Any, officer_utara: Any, bhabin_selatan: Any
) -> None:
    report = make_report()
    assert scoping.can_triage(officer_selatan, report)
    assert not scoping.can_triage(officer_utara, report)
    assert not scoping.can_triage(bhabin_selatan, report)
    assert scoping.can_add_notes(bhabin_selatan, report)


def test_it_hides_an_anonymous_reporter_from_the_desk(
    make_report: Any, officer_selatan: Any
) -> None:
    investigator = make_user("reskrim.selatan", roles.INVESTIGATOR, "polsek-balikpapan-selatan")
    named = make_report()
    hidden = make_report(keep_anonymous=True)
    assert scoping.can_see_reporter(officer_selatan, named)
    assert not scoping.can_see_reporter(officer_selatan, hidden)
    assert scoping.can_see_reporter(investigator, hidden)


def test_it_opens_the_audit_log_to_commanders_only(
    commander_polres: Any, officer_selatan: Any, resident: Any
) -> None:
    assert scoping.can_read_audit_log(commander_polres)
    assert not scoping.can_read_audit_log(officer_selatan)
    assert not scoping.can_read_audit_log(resident)
    assert scoping.audit_unit_ids(commander_polres) is None
