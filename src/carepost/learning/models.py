"""Learning modules, reflections, self-assessments, scenario attempts and Open Badges."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from carepost.common.models import TimeStampedModel


class AppendOnlyError(Exception):
    pass


class _AppendOnly(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows never change once written.")
        super().save(*args, **kwargs)


class Module(TimeStampedModel):
    """A "Thing": guidance, links and activities, completed by a reflection."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="learning_modules"
    )
    slug = models.SlugField(max_length=80)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500)
    guidance = models.TextField()
    activities = models.JSONField(default=list, blank=True)
    links = models.JSONField(default=list, blank=True)
    codes = models.JSONField(default=list, blank=True)
    min_words = models.PositiveSmallIntegerField(default=100)
    position = models.PositiveSmallIntegerField(default=0)
    is_published = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "title"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="module_slug_unique"),
            models.CheckConstraint(condition=Q(min_words__gte=1), name="module_min_words_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class BadgeIssuer(TimeStampedModel):
    """The organisation as an Open Badges issuer (its public Profile)."""

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="badge_issuer"
    )
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    email = models.EmailField()
    url = models.URLField()
    description = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return self.name


class BadgeClass(TimeStampedModel):
    """The badge a module earns. Its image is a PNG made when the module is added."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    module = models.OneToOneField(Module, on_delete=models.CASCADE, related_name="badge_class")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField()
    criteria = models.TextField()
    image_png = models.BinaryField()

    def __str__(self) -> str:
        return self.name


class ReflectionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    COMPLETED = "completed", "Completed"


class Reflection(TimeStampedModel):
    """A worker's reflection on a module. Screened every time it is saved."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="reflections")
    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="reflections"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reflections"
    )
    text = models.TextField()
    word_count = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=16, choices=ReflectionStatus.choices, default=ReflectionStatus.DRAFT
    )
    version = models.PositiveIntegerField(default=1)
    screened_at = models.DateTimeField(null=True, blank=True)
    screening_verdict = models.CharField(max_length=16, blank=True)
    findings = models.JSONField(default=list, blank=True)
    shared_with_manager_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["module", "author"], name="reflection_one_per_module"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(completed_at__isnull=False),
                name="reflection_completed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author} on {self.module}"

    @property
    def blocking_findings(self) -> list[dict[str, Any]]:
        """Findings the worker must resolve before sharing: anything not a mere warning."""
        return [f for f in self.findings if f.get("action") in ("block", "review")]

    @property
    def is_clean(self) -> bool:
        return self.screened_at is not None and not self.blocking_findings


class ReflectionComment(_AppendOnly):
    reflection = models.ForeignKey(Reflection, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Comment by {self.author}"


class SelfAssessment(_AppendOnly):
    """One sitting of the self-assessment. Taken again later; history kept."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="self_assessments"
    )
    taken_at = models.DateTimeField()
    traits = models.JSONField()  # {trait_id: 1..5}
    skills = (
        models.JSONField()
    )  # {skill_id: {"capability": 1..5, "confidence": .., "relevance": ..}}

    class Meta:
        ordering = ["taken_at"]

    def __str__(self) -> str:
        return f"Self-assessment {self.taken_at:%Y-%m-%d}"


class ScenarioAttempt(_AppendOnly):
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="scenario_attempts"
    )
    scenario = models.CharField(max_length=80)
    path = models.JSONField()
    good_choices = models.PositiveSmallIntegerField()
    completed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.scenario} by {self.membership}"


class BadgeAssertion(TimeStampedModel):
    """An issued Open Badges 2.0 assertion (hosted verification)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    badge_class = models.ForeignKey(BadgeClass, on_delete=models.PROTECT, related_name="assertions")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="badges"
    )
    reflection = models.OneToOneField(
        Reflection, on_delete=models.PROTECT, related_name="assertion"
    )
    salt = models.CharField(max_length=64)
    identity_hash = models.CharField(max_length=80)  # "sha256$<hex>"
    issued_on = models.DateTimeField()
    evidence_public = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["badge_class", "recipient"], name="badge_once_per_recipient"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.badge_class} for {self.recipient}"
