"""Access matrix: public home content, news, statistics and open data; the Humas editor."""

ROUTES = {
    "portal:article_list": ("/berita/", (200, 200, 200, 200)),
    "portal:article_detail": ("/berita/tidak-ada/", (404, 404, 404, 404)),
    "portal:article_image": ("/berita/tidak-ada/gambar.jpg", (404, 404, 404, 404)),
    "portal:content_list": ("/petugas/konten/", (302, 403, 403, 403)),
    "portal:content_create": ("/petugas/konten/baru/", (302, 403, 403, 403)),
    "portal:content_edit": ("/petugas/konten/999999/ubah/", (302, 403, 403, 403)),
    "portal:content_publish": ("/petugas/konten/999999/terbitkan/", (302, 403, 405, 405)),
    "portal:content_unpublish": ("/petugas/konten/999999/tarik/", (302, 403, 405, 405)),
    "portal:stats": ("/statistik/", (200, 200, 200, 200)),
    "portal:crime_stats_csv": ("/statistik/kejahatan.csv", (200, 200, 200, 200)),
    "api:crime_stats_geojson": ("/api/v1/public/crime-stats.geojson", (200, 200, 200, 200)),
}
