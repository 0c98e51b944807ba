from django.apps import AppConfig


class Open311Config(AppConfig):
    name = "kamtibmas.open311"
    label = "open311"
