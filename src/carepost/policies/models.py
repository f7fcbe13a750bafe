"""Policies, their immutable versions and sections, attestations and reminders."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from carepost.common.models import TimeStampedModel
from carepost.policies.codes import DEFAULT_EDITION, EDITIONS


class ImmutableError(Exception):
    """A policy version or an attestation was about to be changed or deleted."""


class _AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise ImmutableError(f"{self.model.__name__} rows never change once written.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableError(f"{self.model.__name__} rows are never deleted.")


class _AppendOnly(models.Model):
    objects = _AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableError(f"{type(self).__name__} rows never change once written.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableError(f"{type(self).__name__} rows are never deleted.")


EDITION_CHOICES = [(e, f"{e} Codes") for e in EDITIONS]


class Policy(TimeStampedModel):
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="policies"
    )
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    review_cycle_months = models.PositiveSmallIntegerField(default=12)
    code_edition = models.CharField(max_length=8, choices=EDITION_CHOICES, default=DEFAULT_EDITION)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="policy_slug_unique"),
            models.CheckConstraint(
                condition=Q(review_cycle_months__lte=60), name="policy_cycle_at_most_5_years"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PolicyVersion(_AppendOnly):
    """One published text of a policy. Never edited: a change is a new version."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    summary_of_changes = models.CharField(max_length=1000)
    effective_from = models.DateField()
    requires_reattestation = models.BooleanField(default=True)
    code_edition = models.CharField(max_length=8, choices=EDITION_CHOICES, default=DEFAULT_EDITION)
    adopted_codes = models.JSONField(default=list, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policy_version_unique"),
        ]
        ordering = ["policy", "number"]

    def __str__(self) -> str:
        return f"{self.policy} v{self.number}"


class PolicySection(_AppendOnly):
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField()
    heading = models.CharField(max_length=300)
    anchor = models.CharField(max_length=120)
    body = models.TextField(blank=True)
    codes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "anchor"], name="policy_section_anchor"),
        ]

    def __str__(self) -> str:
        return self.heading


class SectionReference(_AppendOnly):
    """A section of one policy pointing at another policy (and maybe one of its sections)."""

    section = models.ForeignKey(PolicySection, on_delete=models.CASCADE, related_name="references")
    target_policy = models.ForeignKey(
        Policy, on_delete=models.CASCADE, related_name="referenced_by"
    )
    target_anchor = models.CharField(max_length=120, blank=True)

    def __str__(self) -> str:
        return f"{self.section} → {self.target_policy}#{self.target_anchor}"


class Attestation(_AppendOnly):
    """ "I have read and understood" one exact version. Append-only."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="attestations"
    )
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="attestations")
    version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, related_name="attestations"
    )
    attested_at = models.DateTimeField()
    statement = models.CharField(max_length=300)

    class Meta:
        indexes = [models.Index(fields=["membership", "policy", "attested_at"])]

    def __str__(self) -> str:
        return f"{self.membership} read {self.version}"


class AttestationReminder(models.Model):
    """One reminder email per (member, version, kind, due date): the row is the claim."""

    class Kind(models.TextChoices):
        DUE = "due", "Due"
        OVERDUE = "overdue", "Overdue"

    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="attestation_reminders"
    )
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    due_on = models.DateField()
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "version", "kind", "due_on"], name="attestation_reminder_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder to {self.membership} for {self.version}"


class StaffPlacement(TimeStampedModel):
    """Which service a member mainly works in, for coverage per service."""

    membership = models.OneToOneField(
        "accounts.Membership", on_delete=models.CASCADE, related_name="placement"
    )
    service = models.ForeignKey("accounts.Service", on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.membership} at {self.service}"
