"""Access matrix: Siskamling post pages (staff) and the coordinator's check-in pages (public,
by secret token; an unknown token is a 404 for everyone). "owner" and "other" are desk
officers: they see posts of their unit but may not create or change them."""

ROUTES = {
    "siskamling:post_list": ("/petugas/siskamling/", (302, 403, 200, 200)),
    "siskamling:post_map": ("/petugas/siskamling/peta/", (302, 403, 200, 200)),
    "siskamling:post_create": ("/petugas/siskamling/pos/baru/", (302, 403, 403, 403)),
    "siskamling:post_detail": ("/petugas/siskamling/pos/999999/", (302, 403, 404, 404)),
    "siskamling:post_edit": ("/petugas/siskamling/pos/999999/ubah/", (302, 403, 404, 404)),
    "siskamling:post_rotate_token": (
        "/petugas/siskamling/pos/999999/tautan-baru/",
        (302, 403, 405, 405),
    ),
    "siskamling:post_photo": ("/petugas/siskamling/pos/999999/foto/", (302, 403, 404, 404)),
    "pos:checkin": ("/pos/unknown-token-0000/", (404, 404, 404, 404)),
    "pos:report": ("/pos/unknown-token-0000/lapor/", (404, 404, 404, 404)),
}
