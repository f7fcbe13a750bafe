from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "carepost.policies"
    label = "policies"
