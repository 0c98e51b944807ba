"""Access matrix: the Humas article preview and a draft's image (editors only)."""

ROUTES = {
    "portal:content_preview": ("/petugas/konten/999999/pratinjau/", (302, 403, 403, 403)),
    "portal:content_image": ("/petugas/konten/999999/gambar.jpg", (302, 403, 403, 403)),
}
