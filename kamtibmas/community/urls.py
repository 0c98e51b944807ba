"""Staff pages of community programmes (/petugas/kegiatan/)."""

from kamtibmas.community import urls_aspirations, urls_events

app_name = "community"
urlpatterns = [*urls_events.urlpatterns, *urls_aspirations.urlpatterns]
