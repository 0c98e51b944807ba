from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "kamtibmas.portal"
    label = "portal"
