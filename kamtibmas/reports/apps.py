from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "kamtibmas.reports"
    label = "reports"
