"""An unmodified third-party Open311 client (the `georeport` package from PyPI) lists our
services and reads our requests over real HTTP, in JSON and in XML."""

from __future__ import annotations

from typing import Any

import pytest
from georeport import GeoReport

from kamtibmas.open311.georeport import JURISDICTION
from tests.conftest import CANARY_EMAIL, CANARY_NAME, CANARY_PHONE

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def filed(live_reference: None, make_report: Any) -> Any:
    return make_report()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_third_party_client_lists_services_and_reads_requests(
    live_server: Any, filed: Any, fmt: str
) -> None:
    client = GeoReport(
        f"{live_server.url}/open311/v2", jurisdiction=JURISDICTION, output_format=fmt
    )
    services = client.get_service_list()
    codes = {s["service_code"] for s in services}
    assert "crime.curanmor" in codes and "complaint.police_conduct" in codes
    definition = client.get_service_definition("crime.curanmor")
    assert definition["service_code"] == "crime.curanmor"
    requests_ = client.get_service_requests()
    if isinstance(requests_, dict):  # xmltodict gives a dict for a single <request>
        requests_ = [requests_]
    assert [r["service_request_id"] for r in requests_] == [filed.tracking_code]
    one = client.get_service_request(filed.tracking_code)
    text = str(one) + str(requests_)
    assert filed.tracking_code in text
    for canary in (CANARY_NAME, CANARY_PHONE, CANARY_EMAIL):
        assert canary not in text
