"""Staff pages of incident records: scoping per persona, create/edit with audit and
optimistic locking, filters, export, and the CSV import flow in the browser."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import User
from kamtibmas.incidents import services, views_import
from kamtibmas.incidents.models import ImportBatch, Incident, IncidentEvent
from kamtibmas.reports import incident_link, workflow
from kamtibmas.reports.models import Status
from tests.conftest import SELATAN_KELURAHAN, UTARA_KELURAHAN, make_user, point_in

LIST = "/petugas/kejadian/"


def in_indonesian(text: str) -> str:
    """The page's (Indonesian) wording of an English msgid."""
    with translation.override("id"):
        return translation.gettext(text)


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_incident(kelurahan_at: str | None = SELATAN_KELURAHAN, **values: Any) -> Incident:
    """An incident placed like the staff form does (kelurahan and unit from the point)."""
    if kelurahan_at is not None:
        lat, lon = point_in(kelurahan_at)
        place = services.place_of(lat, lon)
        assert place is not None
        values = {"lat": lat, "lon": lon, "kelurahan": place.kelurahan, "unit": place.unit,
                  **values}  # fmt: skip
    values.setdefault("category", "curanmor")
    values.setdefault("occurred_from", timezone.now() - timedelta(days=2))
    return services.create_incident(values, None)


@pytest.fixture
def selatan_incident(db: Any) -> Incident:
    return make_incident(lp_number="LP/B/101/2025/SPKT", modus_operandi="kunci leter T")


@pytest.fixture
def utara_incident(db: Any) -> Incident:
    return make_incident(UTARA_KELURAHAN, lp_number="LP/B/202/2025/SPKT", category="curat")


@pytest.fixture
def analyst_polres(db: Any) -> User:
    return make_user("analis.polres", roles.ANALYST, "polres-balikpapan")


# ---- scoping per persona -------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_login_from_every_incident_page(
    selatan_incident: Incident,
) -> None:
    client = Client()
    for path in (LIST, f"{LIST}{selatan_incident.pk}/", f"{LIST}baru/", f"{LIST}impor/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/akun/masuk/" in response["Location"]


def test_residents_are_refused(resident: User, selatan_incident: Incident) -> None:
    client = login(resident)
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}{selatan_incident.pk}/").status_code == 403


def test_it_lists_only_the_incidents_of_the_officers_polsek(
    officer_selatan: User,
    officer_utara: User,
    selatan_incident: Incident,
    utara_incident: Incident,
) -> None:
    page = login(officer_selatan).get(LIST).content.decode()
    assert "LP/B/101/2025/SPKT" in page
    assert "LP/B/202/2025/SPKT" not in page
    page = login(officer_utara).get(LIST).content.decode()
    assert "LP/B/202/2025/SPKT" in page
    assert "LP/B/101/2025/SPKT" not in page


def test_polres_commander_sees_every_incident_of_every_dataset(
    commander_polres: User, selatan_incident: Incident, utara_incident: Incident
) -> None:
    make_incident(None, dataset="vancouver", external_id="VAN-1", lp_number="VAN-LP")
    page = login(commander_polres).get(LIST).content.decode()
    for number in ("LP/B/101/2025/SPKT", "LP/B/202/2025/SPKT", "VAN-LP"):
        assert number in page


def test_a_polsek_officer_never_sees_other_datasets(officer_selatan: User) -> None:
    other = make_incident(SELATAN_KELURAHAN, dataset="vancouver", lp_number="VAN-LP")
    assert "VAN-LP" not in login(officer_selatan).get(LIST).content.decode()
    assert login(officer_selatan).get(f"{LIST}{other.pk}/").status_code == 404


def test_a_bhabinkamtibmas_sees_their_kelurahan_and_cannot_edit(
    bhabin_selatan: User, selatan_incident: Incident
) -> None:
    elsewhere = make_incident("64.71.05.1006", lp_number="LP-ELSEWHERE")
    client = login(bhabin_selatan)
    page = client.get(LIST).content.decode()
    assert "LP/B/101/2025/SPKT" in page
    assert "LP-ELSEWHERE" not in page
    assert client.get(f"{LIST}{elsewhere.pk}/").status_code == 404
    assert client.get(f"{LIST}{selatan_incident.pk}/ubah/").status_code == 403
    assert client.get(f"{LIST}baru/").status_code == 403


def test_detail_answers_owner_other_and_resident(
    officer_selatan: User, officer_utara: User, resident: User, selatan_incident: Incident
) -> None:
    path = f"{LIST}{selatan_incident.pk}/"
    assert login(officer_selatan).get(path).status_code == 200
    assert login(officer_utara).get(path).status_code == 404
    assert login(resident).get(path).status_code == 403
    assert login(officer_utara).get(f"{path}ubah/").status_code == 404
    assert login(officer_utara).post(f"{path}ubah/", {"category": "curat"}).status_code == 404


def test_detail_links_the_source_report_and_shows_the_audit_trail(
    officer_selatan: User, make_report: Any
) -> None:
    report = make_report()
    workflow.transition(report, Status.VERIFIED, officer_selatan)
    incident = incident_link.create_incident(report, officer_selatan)
    assert IncidentEvent.objects.filter(incident=incident, action="created").exists()
    page = login(officer_selatan).get(f"{LIST}{incident.pk}/").content.decode()
    assert f"/petugas/laporan/{report.tracking_code}/" in page
    assert "desk.selatan" in page  # the actor of the creation rows


# ---- create and edit -----------------------------------------------------------------------


def form_data(**overrides: Any) -> dict[str, Any]:
    lat, lon = point_in(SELATAN_KELURAHAN)
    data = {
        "category": "curat",
        "status": "open",
        "lp_number": "LP/B/303/2025/SPKT",
        "occurred_from": (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "lat": f"{lat:.6f}",
        "lon": f"{lon:.6f}",
        "premises_type": "rumah",
        "modus_operandi": "congkel jendela",
        "victims_count": "1",
        "value_lost": "2500000",
    }
    data.update(overrides)
    return data


def test_creating_an_incident_derives_the_place_and_audits_every_field(
    officer_selatan: User,
) -> None:
    response = login(officer_selatan).post(f"{LIST}baru/", form_data())
    assert response.status_code == 302
    incident = Incident.objects.get(lp_number="LP/B/303/2025/SPKT")
    assert incident.kelurahan_code == SELATAN_KELURAHAN
    assert incident.unit is not None and incident.unit.code == "polsek-balikpapan-selatan"
    assert incident.dataset == "balikpapan"
    events = {e.field: e for e in incident.events.all()}
    assert events["category"].old_value == "" and events["category"].new_value == "curat"
    assert events["value_lost"].new_value == "2500000"
    assert all(e.actor == officer_selatan and e.action == "created" for e in events.values())


def test_an_incident_without_a_place_is_kept_in_the_officers_unit(officer_selatan: User) -> None:
    client = login(officer_selatan)
    response = client.post(f"{LIST}baru/", form_data(lat="", lon="", lp_number="LP-NOLOC"))
    assert response.status_code == 302
    incident = Incident.objects.get(lp_number="LP-NOLOC")
    assert not incident.has_location
    assert incident.unit == officer_selatan.unit
    page = client.get(LIST, {"location": "without"}).content.decode()
    assert "LP-NOLOC" in page


def test_invalid_input_keeps_the_values_and_explains(officer_selatan: User) -> None:
    data = form_data(lon="", victims_count="-2", modus_operandi="masuk lewat atap")
    response = login(officer_selatan).post(f"{LIST}baru/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "masuk lewat atap" in page
    assert "LP/B/303/2025/SPKT" in page
    assert in_indonesian("Give both latitude and longitude, or neither.") in page
    assert not Incident.objects.exists()


def test_a_polsek_officer_cannot_record_a_place_of_another_polsek(
    officer_selatan: User,
) -> None:
    lat, lon = point_in(UTARA_KELURAHAN)
    response = login(officer_selatan).post(
        f"{LIST}baru/", form_data(lat=f"{lat:.6f}", lon=f"{lon:.6f}")
    )
    assert response.status_code == 400
    assert not Incident.objects.exists()


def test_editing_writes_old_and_new_value_with_the_actor(
    officer_selatan: User, selatan_incident: Incident
) -> None:
    client = login(officer_selatan)
    form = client.get(f"{LIST}{selatan_incident.pk}/ubah/")
    assert form.status_code == 200
    initial = form.context["form"].initial
    data = {k: ("" if v is None else v) for k, v in initial.items() if k != "kelurahan"}
    data["occurred_from"] = initial["occurred_from"].strftime("%Y-%m-%dT%H:%M")
    data.update(status="solved", suspects_count="2")
    response = client.post(f"{LIST}{selatan_incident.pk}/ubah/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    selatan_incident.refresh_from_db()
    assert selatan_incident.status == "solved"
    assert selatan_incident.version == 2
    changed = {e.field: e for e in selatan_incident.events.filter(action="changed")}
    assert set(changed) == {"status", "suspects_count"}
    assert (changed["status"].old_value, changed["status"].new_value) == ("open", "solved")
    assert changed["status"].actor == officer_selatan


def test_a_stale_edit_is_refused_with_a_clear_message(
    officer_selatan: User, commander_polres: User, selatan_incident: Incident
) -> None:
    services.update_incident(selatan_incident, commander_polres, {"status": "closed"})
    data = {
        "version": "1", "category": "curanmor", "status": "solved",
        "lat": selatan_incident.lat, "lon": selatan_incident.lon,
        "lp_number": "LP-MINE",
    }  # fmt: skip
    response = login(officer_selatan).post(f"{LIST}{selatan_incident.pk}/ubah/", data)
    assert response.status_code == 409
    page = response.content.decode()
    assert (
        in_indonesian(
            "Someone else changed this incident while you were editing. "
            "Your change was not saved; reload the page to see their change."
        )
        in page
    )
    assert "LP-MINE" in page  # what the officer typed is still there
    selatan_incident.refresh_from_db()
    assert selatan_incident.status == "closed"


def test_update_refuses_fields_that_are_not_editable(selatan_incident: Incident) -> None:
    with pytest.raises(services.IncidentError):
        services.update_incident(selatan_incident, None, {"version": 9})


# ---- filters and export --------------------------------------------------------------------


def test_filters_narrow_the_list(commander_polres: User, selatan_incident: Incident) -> None:
    make_incident(UTARA_KELURAHAN, category="curat", lp_number="LP-CURAT",
                  occurred_from=timezone.now() - timedelta(days=40))  # fmt: skip
    client = login(commander_polres)

    def numbers(**params: str) -> set[str]:
        page = client.get(LIST, params).content.decode()
        return {n for n in ("LP/B/101/2025/SPKT", "LP-CURAT") if n in page}

    assert numbers(category="curat") == {"LP-CURAT"}
    assert numbers(q="leter") == {"LP/B/101/2025/SPKT"}
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    assert numbers(date_from=since) == {"LP/B/101/2025/SPKT"}
    assert numbers(kelurahan=UTARA_KELURAHAN) == {"LP-CURAT"}
    assert numbers(location="without") == set()
    response = client.get(LIST, {"date_from": "not-a-date"})
    assert response.status_code == 200
    assert numbers(sort="oldest") == {"LP/B/101/2025/SPKT", "LP-CURAT"}


def _export_available() -> None:
    try:
        import kamtibmas.incidents.export  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"kamtibmas.incidents.export is not written yet ({exc})")


def test_csv_export_holds_only_the_scoped_filtered_rows(
    officer_selatan: User, selatan_incident: Incident, utara_incident: Incident
) -> None:
    _export_available()
    make_incident(category="curat", lp_number="LP-SEL-CURAT", external_id="SEL-CURAT")
    response = login(officer_selatan).get(f"{LIST}ekspor.csv", {"category": "curanmor"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    rows = list(csv.DictReader(io.StringIO(text.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["category"] == "curanmor"


def test_geojson_export_holds_only_the_scoped_rows(
    officer_utara: User, selatan_incident: Incident, utara_incident: Incident
) -> None:
    _export_available()
    response = login(officer_utara).get(f"{LIST}ekspor.geojson")
    assert response.status_code == 200
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    data = json.loads(text)
    assert len(data["features"]) == 1
    assert data["features"][0]["properties"]["category"] == "curat"


def test_export_of_an_unknown_format_is_not_found(officer_selatan: User) -> None:
    assert login(officer_selatan).get(f"{LIST}ekspor.xlsx").status_code == 404


# ---- import --------------------------------------------------------------------------------

CSV_TEXT = (
    "external_id,category,occurred_from,occurred_to,lat,lon\n"
    "A-1,curat,2025-01-02T21:00:00+08:00,,-1.2652,116.8938\n"
    "A-2,unknown,2025-01-03T08:30:00+08:00,,-1.2652,116.8938\n"
    "A-3,curanmor,2025-01-04T10:00:00+08:00,,,\n"
)


@dataclass
class FakeOptions:
    dataset: str = "balikpapan"
    crs: str = "EPSG:4326"
    columns: dict[str, str] = field(default_factory=dict)
    time_zone: str = "Asia/Makassar"
    date_format: str | None = None
    category_scheme: str | None = None
    category_map: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    id_prefix: str = ""


class FakeImporter:
    """The documented importer API, enough for the UI flow (the real one is tested
    elsewhere): reads the header, reports unknown categories as rejected."""

    CANONICAL_FIELDS = ("external_id", "category", "occurred_from", "occurred_to", "lat", "lon")
    ImportOptions = FakeOptions

    @staticmethod
    def _rows(path: str) -> list[dict[str, str]]:
        with open(path, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))

    def sniff(self, path: str, sample_rows: int = 20) -> Any:
        rows = self._rows(path)
        header = list(rows[0]) if rows else []
        guessed = FakeOptions(columns={h: h for h in header if h in self.CANONICAL_FIELDS})
        return SimpleNamespace(header=header, sample=rows[:sample_rows], delimiter=",",
                               guessed=guessed)  # fmt: skip

    def preview(self, path: str, options: Any, rows: int = 20) -> list[Any]:
        out = []
        for line, row in enumerate(self._rows(path)[:rows], start=2):
            error = "" if row["category"] != "unknown" else "unknown category: unknown"
            values = {k: row[v] for k, v in options.columns.items()}
            out.append(SimpleNamespace(line=line, values=values, error=error))
        return out

    def run(self, batch: ImportBatch) -> None:
        rows = self._rows(batch.options["source_path"])
        bad = [i for i, r in enumerate(rows, start=2) if r["category"] == "unknown"]
        ImportBatch.objects.filter(pk=batch.pk).update(
            state=ImportBatch.State.DRY_RUN if batch.options["dry_run"] else ImportBatch.State.DONE,
            rows_total=len(rows), rows_created=len(rows) - len(bad), rows_rejected=len(bad),
            rows_without_location=1, progress=1.0,
            rejected=[{"line": i, "reason": "unknown category: unknown"} for i in bad],
        )  # fmt: skip


@pytest.fixture
def fake_importer(monkeypatch: pytest.MonkeyPatch) -> FakeImporter:
    fake = FakeImporter()
    monkeypatch.setattr(views_import, "_importer", lambda: fake)
    monkeypatch.setattr(
        views_import, "enqueue_import", lambda pk: fake.run(ImportBatch.objects.get(pk=pk))
    )
    return fake


def upload(client: Client, text: str = CSV_TEXT, name: str = "kejadian.csv") -> Any:
    data = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
    return client.post(f"{LIST}impor/", {"file": data})


def test_import_pages_are_for_polres_analysts_and_commanders(
    officer_selatan: User, resident: User, commander_polres: User, analyst_polres: User
) -> None:
    assert login(officer_selatan).get(f"{LIST}impor/").status_code == 403
    assert login(resident).get(f"{LIST}impor/").status_code == 403
    assert login(commander_polres).get(f"{LIST}impor/").status_code == 200
    assert login(analyst_polres).get(f"{LIST}impor/").status_code == 200
    polsek_analyst = make_user("analis.selatan", roles.ANALYST, "polsek-balikpapan-selatan")
    assert login(polsek_analyst).get(f"{LIST}impor/").status_code == 403


def test_the_import_flow_from_upload_to_result(
    analyst_polres: User, fake_importer: FakeImporter
) -> None:
    client = login(analyst_polres)
    response = upload(client)
    assert response.status_code == 302
    mapping_url = response["Location"]
    page = client.get(mapping_url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "A-2" in text and "unknown category: unknown" in text
    assert page.context["form"]["col_lat"].value() == "lat"

    options = {
        "dataset": "balikpapan", "crs": "EPSG:4326", "time_zone": "Asia/Makassar",
        "date_format": "", "category_scheme": "", "id_prefix": "",
        "col_external_id": "external_id", "col_category": "category",
        "col_occurred_from": "occurred_from", "col_lat": "lat", "col_lon": "lon",
    }  # fmt: skip
    preview = client.post(mapping_url, {**options, "dry_run": "on", "action": "preview"})
    assert preview.status_code == 200
    assert not ImportBatch.objects.exists()

    started = client.post(mapping_url, {**options, "action": "start"})
    assert started.status_code == 302
    batch = ImportBatch.objects.get()
    assert batch.created_by == analyst_polres
    assert batch.options["columns"]["lat"] == "lat"
    assert batch.options["dry_run"] is False
    assert batch.file_name == "kejadian.csv"
    stored = Path(batch.options["source_path"])
    assert stored.parent.parent == Path(settings.MEDIA_ROOT) / "imports"

    status = client.get(f"{LIST}impor/{batch.pk}/status.json").json()
    assert status["state"] == "done" and status["finished"] is True
    assert status["progress"] == 1.0
    assert (status["rows_created"], status["rows_rejected"]) == (2, 1)

    result = client.get(started["Location"]).content.decode()
    assert "unknown category: unknown" in result
    assert in_indonesian("The import is finished.") in result


def test_a_non_csv_upload_is_refused_nicely(analyst_polres: User) -> None:
    response = upload(login(analyst_polres), "\x00\x01PK\x03\x04", name="data.xlsx")
    assert response.status_code == 400
    assert in_indonesian("Only CSV files (.csv) can be imported.") in response.content.decode()
    binary = upload(login(analyst_polres), "PK\x03\x04\x00\x00\x00", name="data.csv")
    assert binary.status_code == 400


def test_an_unreadable_file_is_a_message_not_an_error(
    analyst_polres: User, fake_importer: FakeImporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(path: str, sample_rows: int = 20) -> Any:
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    monkeypatch.setattr(fake_importer, "sniff", broken)
    client = login(analyst_polres)
    response = client.get(upload(client)["Location"])
    assert response.status_code == 400
    assert "UTF-8" in response.content.decode()


def test_a_bad_mapping_keeps_the_choices_and_explains(
    analyst_polres: User, fake_importer: FakeImporter
) -> None:
    client = login(analyst_polres)
    url = upload(client)["Location"]
    response = client.post(url, {"dataset": "balikpapan", "crs": "4326", "time_zone": "Mars/Base",
                                 "col_lat": "lat", "action": "start"})  # fmt: skip
    assert response.status_code == 400
    assert not ImportBatch.objects.exists()
    page = response.content.decode()
    assert in_indonesian("Unknown time zone.") in page
    assert "EPSG:4326" in page  # the help in the CRS error


def test_an_upload_belongs_to_the_session_that_made_it(
    analyst_polres: User, commander_polres: User, fake_importer: FakeImporter
) -> None:
    url = upload(login(analyst_polres))["Location"]
    assert login(commander_polres).get(url).status_code == 404
    assert login(analyst_polres).get(f"{LIST}impor/berkas/..%2F..%2Fetc/").status_code == 404


def test_batch_pages_are_refused_to_polsek_officers(
    officer_selatan: User, analyst_polres: User
) -> None:
    batch = ImportBatch.objects.create(file_name="imports/x/a.csv", created_by=analyst_polres)
    assert login(officer_selatan).get(f"{LIST}impor/{batch.pk}/").status_code == 403
    assert login(officer_selatan).get(f"{LIST}impor/{batch.pk}/status.json").status_code == 403
    page = login(analyst_polres).get(f"{LIST}impor/{batch.pk}/").content.decode()
    assert 'id="import-progress"' in page and 'data-finished="0"' in page


def test_the_real_importer_runs_from_the_ui_with_the_task_backend(analyst_polres: User) -> None:
    try:
        import kamtibmas.incidents.importer  # noqa: F401
        import kamtibmas.incidents.tasks  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"the importer or its task is not written yet ({exc})")
    client = login(analyst_polres)
    url = upload(client)["Location"]
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(action="start", dry_run="")
    data = {k: v for k, v in data.items() if v not in (False, None)}
    started = client.post(url, data)
    assert started.status_code == 302, started.content.decode()[:3000]
    status = client.get(f"{LIST}impor/{ImportBatch.objects.get().pk}/status.json").json()
    assert status["finished"] is True
    assert status["rows_total"] == 3
    assert status["rows_without_location"] >= 1


def test_a_known_foreign_layout_is_not_offered_as_balikpapan(
    analyst_polres: User, fake_importer: FakeImporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = fake_importer.sniff

    def chicago(path: str, sample_rows: int = 20) -> Any:
        result = original(path, sample_rows)
        result.layout = "chicago"
        return result

    monkeypatch.setattr(fake_importer, "sniff", chicago)
    client = login(analyst_polres)
    page = client.get(upload(client)["Location"])
    assert page.context["form"]["dataset"].value() == "chicago"


def test_it_runs_a_dry_run_for_real_only_once_it_finished(
    client: Any, commander_polres: Any, tmp_path: Any
) -> None:
    from kamtibmas.incidents.models import ImportBatch

    source = tmp_path / "x.csv"
    source.write_text("external_id,category,occurred_from,occurred_to,lat,lon\n")
    pending = ImportBatch.objects.create(
        file_name="x.csv",
        state=ImportBatch.State.PENDING,
        options={"dry_run": True, "source_path": str(source)},
    )
    client.force_login(commander_polres)
    response = client.post(f"/petugas/kejadian/impor/{pending.pk}/jalankan/")
    assert response.status_code == 302 and ImportBatch.objects.count() == 1
