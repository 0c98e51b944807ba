"""Public pages (views_public) and staff pages (views_staff) of reports."""

from kamtibmas.reports import views_public, views_staff

app_name = "reports"
urlpatterns = views_public.urlpatterns + views_staff.urlpatterns
