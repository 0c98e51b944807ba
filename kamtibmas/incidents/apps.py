from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "kamtibmas.incidents"
    label = "incidents"
