from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "carepost.accounts"
    label = "accounts"
