from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "carepost.audit"
    label = "audit"
