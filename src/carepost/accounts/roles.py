"""The roles a user can hold in an organisation (DESIGN.md section 2)."""

from django.db import models


class Role(models.TextChoices):
    WORKER = "worker", "Worker"
    REVIEWER = "reviewer", "Reviewer (social media administrator)"
    LINE_MANAGER = "line_manager", "Line manager"
    CONSENT_OFFICER = "consent_officer", "Consent officer"
    SAFEGUARDING_LEAD = "safeguarding_lead", "Safeguarding lead"
    ORG_ADMIN = "org_admin", "Organisation administrator"
