from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "kamtibmas.geo"
    label = "geo"
