from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "kamtibmas.notifications"
    label = "notifications"
