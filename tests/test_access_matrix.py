"""Every URL against each persona: a new route cannot ship without its expected status.

Personas: anonymous, a resident, a desk officer of the owning Polsek (Balikpapan Selatan) and
a desk officer of another Polsek (Balikpapan Utara). The report lives in Selatan.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from kamtibmas.incidents.models import ImportBatch, Incident
from tests.access import contributed_routes
from tests.conftest import png_bytes

PERSONAS = ("anonymous", "resident", "owner", "other")
# The staff list API answers a signed-in resident with an empty, scoped list (200).

# url name -> (path template, expected GET status per persona in PERSONAS order)
MATRIX: dict[str, tuple[str, tuple[int, int, int, int]]] = {
    "portal:home": ("/", (200, 200, 200, 200)),
    "set_language": ("/i18n/setlang/", (302, 302, 302, 302)),
    "reports:new": ("/lapor/", (200, 200, 200, 200)),
    "reports:receipt": ("/lapor/tanda-terima/{code}/", (302, 302, 302, 302)),
    "reports:track_form": ("/lacak/", (200, 200, 200, 200)),
    "reports:track": ("/lacak/{code}/", (200, 200, 200, 200)),
    "reports:inbox": ("/petugas/laporan/", (302, 403, 200, 200)),
    "reports:inbox_map": ("/petugas/laporan/peta.json", (302, 403, 200, 200)),
    "reports:detail": ("/petugas/laporan/{code}/", (302, 403, 200, 404)),
    "reports:staff_photo": ("/petugas/laporan/{code}/foto/{photo}/", (302, 403, 200, 404)),
    "reports:reveal_reporter": ("/petugas/laporan/{code}/pelapor/", (302, 403, 405, 405)),
    "reports:action": ("/petugas/laporan/{code}/aksi/note/", (302, 403, 405, 405)),
    "incidents:list": ("/petugas/kejadian/", (302, 403, 200, 200)),
    "incidents:export": ("/petugas/kejadian/ekspor.csv", (302, 403, 200, 200)),
    "incidents:create": ("/petugas/kejadian/baru/", (302, 403, 200, 200)),
    "incidents:detail": ("/petugas/kejadian/{incident}/", (302, 403, 200, 404)),
    "incidents:edit": ("/petugas/kejadian/{incident}/ubah/", (302, 403, 200, 404)),
    "incidents:import_upload": ("/petugas/kejadian/impor/", (302, 403, 403, 403)),
    "incidents:import_mapping": (
        "/petugas/kejadian/impor/berkas/0123456789abcdef0123456789abcdef/",
        (302, 403, 403, 403),
    ),
    "incidents:import_batch": ("/petugas/kejadian/impor/{batch}/", (302, 403, 403, 403)),
    "incidents:import_status": (
        "/petugas/kejadian/impor/{batch}/status.json",
        (302, 403, 403, 403),
    ),
    "incidents:import_confirm": ("/petugas/kejadian/impor/{batch}/jalankan/", (302, 403, 403, 403)),
    "accounts:login": ("/akun/masuk/", (200, 302, 302, 302)),
    "accounts:logout": ("/akun/keluar/", (405, 405, 405, 405)),
    "accounts:audit_log": ("/akun/audit/", (302, 403, 403, 403)),
    "apikeys:list": ("/akun/kunci-api/", (302, 403, 200, 200)),
    "apikeys:revoke": ("/akun/kunci-api/1/cabut/", (302, 405, 405, 405)),
    "geo:kelurahan_geojson": ("/geo/kelurahan.geojson", (200, 200, 200, 200)),
    "geo:lookup": ("/geo/lookup", (400, 400, 400, 400)),
    "analytics:dashboard": ("/analisis/", (302, 403, 200, 200)),
    "analytics:knox_fragment": ("/analisis/dasbor/knox/", (302, 403, 200, 200)),
    "analytics:emerging_fragment": ("/analisis/dasbor/hotspot-baru/", (302, 403, 200, 200)),
    "analytics:crime_map": ("/analisis/peta/", (302, 403, 200, 200)),
    "analytics:density_meta": ("/analisis/peta/kepadatan.json", (302, 403, 200, 200)),
    "analytics:density_png": ("/analisis/peta/kepadatan.png", (302, 403, 200, 200)),
    "analytics:hotspots_geojson": ("/analisis/peta/titik-rawan.geojson", (302, 403, 200, 200)),
    "analytics:choropleth_geojson": ("/analisis/peta/kelurahan.geojson", (302, 403, 200, 200)),
    "analytics:points_json": ("/analisis/peta/titik.json", (302, 403, 200, 200)),
    "analytics:points_geojson": ("/analisis/peta/kejadian.geojson", (302, 403, 200, 200)),
    "analytics:cell_json": ("/analisis/peta/sel.json", (302, 403, 400, 400)),
    "analytics:download": ("/analisis/unduh/polsek.csv", (302, 403, 200, 200)),
    "analytics:monthly_report": ("/analisis/laporan-bulanan/", (302, 403, 200, 200)),
    "analytics:stored_report": (
        "/analisis/laporan-bulanan/arsip/laporan-kamtibmas-2026-10.pdf",
        (302, 403, 404, 404),
    ),
    "forecasts:list": ("/analisis/prakiraan/", (302, 403, 200, 200)),
    "forecasts:make": ("/analisis/prakiraan/buat/", (302, 403, 405, 405)),
    "forecasts:accuracy": ("/analisis/prakiraan/akurasi/", (302, 403, 200, 200)),
    "forecasts:detail": ("/analisis/prakiraan/999999/", (302, 403, 404, 404)),
    "forecasts:cells_geojson": ("/analisis/prakiraan/999999/sel.geojson", (302, 403, 404, 404)),
    "forecasts:cells_csv": ("/analisis/prakiraan/999999/sel.csv", (302, 403, 404, 404)),
    "patrols:plan_overview": ("/petugas/patroli/", (302, 403, 200, 200)),
    "patrols:plan_draft": ("/petugas/patroli/rencana/buat/", (302, 403, 405, 405)),
    "patrols:plan_detail": ("/petugas/patroli/rencana/999999/", (302, 403, 404, 404)),
    "patrols:plan_change": ("/petugas/patroli/rencana/999999/ubah/", (302, 403, 405, 405)),
    "patrols:plan_pdf": ("/petugas/patroli/rencana/999999/lembar.pdf", (302, 403, 404, 404)),
    "patrols:field_home": ("/petugas/patroli/tugas/", (302, 403, 403, 403)),
    "patrols:field_sw": ("/petugas/patroli/tugas/sw.js", (200, 200, 200, 200)),
    "patrols:field_plan": ("/petugas/patroli/tugas/999999/", (302, 403, 403, 403)),
    "patrols:field_team": ("/petugas/patroli/tugas/999999/tim/1/", (302, 403, 403, 403)),
    "patrols:field_sync": ("/petugas/patroli/sinkron/", (405, 405, 405, 405)),
    "patrols:dosage": ("/petugas/patroli/dosis/", (302, 403, 403, 403)),
    "patrols:dosage_csv": ("/petugas/patroli/dosis.csv", (302, 403, 403, 403)),
    "patrols:effect": ("/petugas/patroli/dampak/", (302, 403, 403, 403)),
    "cctv:camera_list": ("/petugas/cctv/", (302, 403, 200, 200)),
    "cctv:cameras_geojson": ("/petugas/cctv/kamera.geojson", (302, 403, 200, 200)),
    "cctv:camera_create": ("/petugas/cctv/kamera/baru/", (302, 403, 403, 403)),
    "cctv:camera_detail": ("/petugas/cctv/kamera/999999/", (302, 403, 404, 404)),
    "cctv:camera_edit": ("/petugas/cctv/kamera/999999/ubah/", (302, 403, 404, 404)),
    "cctv:alert_list": ("/petugas/cctv/peringatan/", (302, 403, 200, 200)),
    "cctv:alert_detail": ("/petugas/cctv/peringatan/999999/", (302, 403, 404, 404)),
    "cctv:alert_snapshot": ("/petugas/cctv/peringatan/999999/foto.jpg", (302, 403, 404, 404)),
    "cctv:alert_action": (
        "/petugas/cctv/peringatan/999999/aksi/acknowledge/",
        (302, 403, 405, 405),
    ),
    "cctv:placement": ("/petugas/cctv/penempatan/", (302, 403, 200, 200)),
    "cctv:placement_geojson": ("/petugas/cctv/penempatan.geojson", (302, 403, 400, 400)),
    "cctv:placement_csv": ("/petugas/cctv/penempatan.csv", (302, 403, 400, 400)),
    "api:cctv_event": ("/api/v1/cctv/events", (405, 405, 405, 405)),
    "api:cctv_status": ("/api/v1/cctv/status", (405, 405, 405, 405)),
    "api:openapi-json": ("/api/v1/openapi.json", (200, 200, 200, 200)),
    "api:openapi-view": ("/api/v1/docs", (200, 200, 200, 200)),
    "api:api-root": ("/api/v1/", (404, 404, 404, 404)),
    "api:create_report": ("/api/v1/reports", (401, 200, 200, 200)),
    "api:report_list": ("/api/v1/reports", (401, 200, 200, 200)),
    "api:track_report": ("/api/v1/reports/track/{code}", (200, 200, 200, 200)),
    "api:get_report": ("/api/v1/reports/{code}", (401, 404, 200, 404)),
    "api:transition_report": ("/api/v1/reports/{code}/transitions", (405, 405, 405, 405)),
    "api:add_note": ("/api/v1/reports/{code}/notes", (405, 405, 405, 405)),
    "open311:discovery": ("/open311/v2/discovery.json", (200, 200, 200, 200)),
    "open311:services": ("/open311/v2/services.xml", (200, 200, 200, 200)),
    "open311:service_definition": (
        "/open311/v2/services/crime.curanmor.json",
        (200, 200, 200, 200),
    ),
    "open311:requests": ("/open311/v2/requests.json", (200, 200, 200, 200)),
    "open311:request": ("/open311/v2/requests/{code}.json", (200, 200, 200, 200)),
    "open311:token": ("/open311/v2/tokens/unknown-token.json", (404, 404, 404, 404)),
    "open311:not_found": ("/open311/v2/nothing-here", (404, 404, 404, 404)),
}

MATRIX.update(contributed_routes())


def _walk(patterns: list[Any], namespace: str = "") -> list[str]:
    names = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace + (f"{entry.namespace}:" if entry.namespace else "")
            names += _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            names.append(namespace + (entry.name or str(entry.pattern)))
    return names


def test_every_route_has_expected_statuses() -> None:
    routes = {name for name in _walk(get_resolver().url_patterns) if not name.startswith("admin:")}
    assert routes - set(MATRIX) == set(), "add the new routes to MATRIX"
    assert set(MATRIX) - routes == set(), "MATRIX names routes that no longer exist"


@pytest.fixture
def clients(officer_selatan: Any, officer_utara: Any, resident: Any) -> dict[str, Client]:
    result = {"anonymous": Client()}
    for persona, user in (
        ("resident", resident),
        ("owner", officer_selatan),
        ("other", officer_utara),
    ):
        client = Client()
        client.force_login(user)
        result[persona] = client
    return result


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_route_answers_each_persona_as_expected(
    name: str, clients: dict[str, Client], make_report: Any
) -> None:
    report = make_report(photos=[("a.png", io.BytesIO(png_bytes()))])
    incident = Incident.objects.create(
        category="curanmor", lat=report.lat, lon=report.lon, kelurahan=report.kelurahan,
        kelurahan_code=report.kelurahan_code, unit=report.assigned_unit,
    )  # fmt: skip
    batch = ImportBatch.objects.create(file_name="imports/matrix/a.csv")
    template, expected = MATRIX[name]
    path = template.format(
        code=report.tracking_code, photo=report.photos.get().pk, incident=incident.pk,
        batch=batch.pk,
    )  # fmt: skip
    actual = tuple(clients[p].get(path).status_code for p in PERSONAS)
    assert actual == expected, f"{name} {path}: {dict(zip(PERSONAS, actual, strict=True))}"
