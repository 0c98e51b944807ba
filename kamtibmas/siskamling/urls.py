"""Staff pages of Siskamling (/petugas/siskamling/)."""

from kamtibmas.siskamling import urls_posts, urls_roster

app_name = "siskamling"
urlpatterns = [*urls_posts.urlpatterns, *urls_roster.urlpatterns]
