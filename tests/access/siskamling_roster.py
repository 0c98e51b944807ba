"""Access-matrix entries of the Siskamling roster, dashboard and door-visit pages (helper B)."""

ROUTES: dict[str, tuple[str, tuple[int, int, int, int]]] = {
    "siskamling:roster": ("/petugas/siskamling/pos/999999/jadwal/", (302, 403, 404, 404)),
    "siskamling:roster_pdf": ("/petugas/siskamling/pos/999999/jadwal.pdf", (302, 403, 404, 404)),
    "siskamling:dashboard": ("/petugas/siskamling/dasbor/", (302, 403, 200, 200)),
    "siskamling:visit_list": ("/petugas/siskamling/kunjungan/", (302, 403, 200, 200)),
}
