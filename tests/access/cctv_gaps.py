"""Routes added by the CCTV gaps work: the risk layer of the camera map."""

ROUTES = {
    "cctv:risk_geojson": ("/petugas/cctv/risiko.geojson", (302, 403, 400, 400)),
}
