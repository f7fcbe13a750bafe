"""The consent register: people supported, capacity, representatives, consent events.

"Current consent" is never stored: `consent.selectors.consent_status` computes it from
these append-only records and the rules in `consent/rules/*.toml`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from carepost.common.models import TimeStampedModel


class Person(TimeStampedModel):
    """A person supported by one of the organisation's services."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="people"
    )
    service = models.ForeignKey("accounts.Service", on_delete=models.PROTECT, related_name="people")
    legal_name = models.CharField(max_length=200)
    preferred_name = models.CharField(max_length=100, blank=True)
    aliases = models.JSONField(default=list, blank=True, help_text="Nicknames staff use.")
    date_of_birth = models.DateField(null=True, blank=True)
    # Overrides: each beats every consent.
    do_not_photograph = models.BooleanField(default=False)
    do_not_name = models.BooleanField(default=False)
    do_not_publish = models.BooleanField(default=False)
    looked_after = models.BooleanField(default=False, help_text="A looked-after child.")
    childrens_hearing = models.BooleanField(
        default=False, help_text="Involved in a children's hearing: never identifiable."
    )
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.preferred_name or self.legal_name.split()[0]


FLAG_FIELDS = (
    "do_not_photograph",
    "do_not_name",
    "do_not_publish",
    "looked_after",
    "childrens_hearing",
)


class Media(models.TextChoices):
    NAME = "name", "Name"
    PHOTO = "photo", "Photo"
    VIDEO = "video", "Video"
    STORY = "story", "Story or quote"


class DecisionType(models.TextChoices):
    PUBLICATION = "publication", "Consent to publish their name, photos, videos or story"


class CapacityDecision(models.Model):
    """A recorded assessment of capacity for one decision. Capacity is presumed without one."""

    class Outcome(models.TextChoices):
        HAS_CAPACITY = "has_capacity", "Has capacity for this decision"
        LACKS_CAPACITY = "lacks_capacity", "Lacks capacity for this decision"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="capacity_decisions")
    decision_type = models.CharField(
        max_length=30, choices=DecisionType.choices, default=DecisionType.PUBLICATION
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    assessed_on = models.DateField()
    assessed_by = models.CharField(max_length=200, help_text="Name and role of the assessor.")
    review_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assessed_on", "id"]

    def __str__(self) -> str:
        return f"{self.person}: {self.get_outcome_display()} ({self.assessed_on})"


class AuthorityType(models.TextChoices):
    WELFARE_ATTORNEY = "welfare_attorney", "Welfare attorney (power of attorney)"
    WELFARE_GUARDIAN = "welfare_guardian", "Welfare guardian"
    INTERVENTION_ORDER = "intervention_order", "Intervention order holder"
    PARENTAL_RESPONSIBILITIES = "parental_responsibilities", "Person with parental responsibilities"
    LOCAL_AUTHORITY = "local_authority", "Local authority (looked-after child)"
    LPA_HEALTH_WELFARE = (
        "lpa_health_welfare",
        "Lasting power of attorney, health and welfare (England & Wales)",
    )
    DEPUTY = "deputy", "Court of Protection deputy, health and welfare (England & Wales)"
    CONSULTED_ONLY = "consulted_only", "Consulted only (for example next of kin, family)"


class Representative(TimeStampedModel):
    """Someone who may act for, or must be consulted about, a person."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="representatives")
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=100)
    authority = models.CharField(max_length=30, choices=AuthorityType.choices)
    covers_publicity = models.BooleanField(
        default=False,
        help_text="Their powers cover decisions about photos, publicity and personal information.",
    )
    evidence_reference = models.CharField(
        max_length=200, blank=True, help_text="Certificate or order reference."
    )
    evidence = models.ForeignKey(
        "consent.EvidenceFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="representative_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_authority_display()}) for {self.person}"


class ConsentMethod(models.TextChoices):
    SIGNED_FORM = "signed_form", "Signed consent form (uploaded)"
    EASY_READ_FORM = "easy_read_form", "Signed easy-read form (uploaded)"
    VERBAL_WITNESSED = "verbal_witnessed", "Verbal, with a witness"


class ConsentRecord(models.Model):
    """One consent (or objection) event: who, for what media and channels, for how long.

    Append-only: a record is never edited. Withdrawal is a separate event.
    """

    class Kind(models.TextChoices):
        CONSENT = "consent", "Consent"
        OBJECTION = "objection", "Objection"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consent_records")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CONSENT)
    # Given by the person themselves when `representative` is empty.
    representative = models.ForeignKey(
        Representative, null=True, blank=True, on_delete=models.PROTECT, related_name="consents"
    )
    media = models.JSONField(help_text="Media covered: any of name, photo, video, story.")
    all_public_channels = models.BooleanField(default=False)
    channels = models.ManyToManyField("publishing.Channel", blank=True, related_name="+")
    valid_from = models.DateField()
    valid_until = models.DateField()
    method = models.CharField(max_length=30, choices=ConsentMethod.choices)
    witness = models.CharField(max_length=200, blank=True)
    evidence = models.ForeignKey(
        "consent.EvidenceFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    persons_own_view = models.TextField(
        blank=True, help_text="What the person said or showed, even when someone else decides."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("valid_from")), name="consent_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        who = self.representative.name if self.representative else "themselves"
        return f"{self.get_kind_display()} for {self.person} by {who}"


class ConsentWithdrawal(models.Model):
    """Withdrawal of one consent record. As easy to record as the consent itself."""

    record = models.OneToOneField(
        ConsentRecord, on_delete=models.CASCADE, related_name="withdrawal"
    )
    withdrawn_at = models.DateTimeField()
    reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"Withdrawal of {self.record}"


class EvidenceFile(models.Model):
    """A signed form or authority document, encrypted at rest."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="evidence_files")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    ciphertext = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name


class ReviewDigest(models.Model):
    """The weekly "consents due for review" email, sent once per organisation and week."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    week = models.CharField(max_length=10)  # ISO year-week, e.g. 2026-W47
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "week"], name="review_digest_once_a_week"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.week}"
