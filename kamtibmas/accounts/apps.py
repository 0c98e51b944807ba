from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kamtibmas.accounts"
    label = "accounts"
