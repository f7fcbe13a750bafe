"""The boundaries register: append-only rows; current state comes from the selectors.

Nothing here is ever edited after it is written, except the delivery columns of a
Notification (claimed / sent), which a task fills in once.
"""

from __future__ import annotations

from django.db import models

from carepost.boundaries import rules


def _choices(d: dict[str, str]) -> list[tuple[str, str]]:
    return list(d.items())


class BoundaryPolicyVersion(models.Model):
    """One version of an organisation's decision-aid rules, reply templates and Code numbers.

    With no version stored, the shipped defaults apply. Each edit appends a new version.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    number = models.PositiveIntegerField()
    document = models.JSONField()
    created_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"], name="boundary_policy_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Boundaries policy v{self.number} ({self.organisation_id})"


class ConnectionRequest(models.Model):
    """A friend or connection request a worker received, what the aid said, and what they did."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    worker = models.ForeignKey(
        "accounts.Membership", on_delete=models.PROTECT, related_name="connection_requests"
    )
    line_manager = models.ForeignKey(
        "accounts.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The worker's line manager when it was recorded.",
    )
    platform = models.CharField(max_length=20, choices=_choices(rules.PLATFORMS))
    requester = models.CharField(max_length=20, choices=_choices(rules.REQUESTERS))
    knew_before = models.CharField(max_length=5, choices=_choices(rules.KNEW_BEFORE))
    child = models.CharField(max_length=10, choices=_choices(rules.CHILD))
    person = models.ForeignKey(
        "consent.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requester_name = models.CharField(max_length=100, blank=True)
    outcome = models.CharField(max_length=20, choices=_choices(rules.OUTCOMES))
    note = models.TextField(blank=True)
    # What the aid recommended, kept as it was shown.
    policy_version = models.PositiveIntegerField(default=0)
    rule_key = models.CharField(max_length=60)
    recommended_action = models.CharField(max_length=20, choices=_choices(rules.ACTIONS))
    advice = models.TextField()
    code_edition = models.CharField(max_length=10)
    codes = models.JSONField(default=list)
    notify_manager = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["organisation", "created_at"])]

    def __str__(self) -> str:
        return f"Connection request {self.pk} ({self.get_outcome_display()})"


class ConnectionRequestSeen(models.Model):
    """The line manager has looked at a connection request (once)."""

    request = models.OneToOneField(ConnectionRequest, on_delete=models.CASCADE, related_name="seen")
    seen_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Seen {self.request_id}"


class Relationship(models.TextChoices):
    FAMILY = "family", "Family"
    NEIGHBOUR = "neighbour", "Neighbour"
    FRIEND = "friend", "Friend"
    SOCIAL_MEDIA = "social_media", "Connected on social media"
    OTHER = "other", "Another way"


class Declaration(models.Model):
    """A worker declares that they already know a person supported (or someone referred)."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    worker = models.ForeignKey(
        "accounts.Membership", on_delete=models.PROTECT, related_name="declarations"
    )
    line_manager = models.ForeignKey(
        "accounts.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The worker's line manager when it was declared.",
    )
    person = models.ForeignKey(
        "consent.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    referral_name = models.CharField(
        max_length=200, blank=True, help_text="For someone not yet on the register."
    )
    referral_note = models.CharField(max_length=300, blank=True)
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    relationship_detail = models.CharField(max_length=300, blank=True)
    known_since = models.CharField(max_length=100)
    social_media_connected = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Declaration {self.pk}"


class DeclarationPlan(models.Model):
    """The plan a line manager agrees: number 1 is the acknowledgement, later ones reviews."""

    class Kind(models.TextChoices):
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        REVIEWED = "reviewed", "Reviewed"

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="plans")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    measures = models.JSONField(default=list)
    plan = models.TextField()
    review_on = models.DateField()
    agreed_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "number"], name="declaration_plan_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Plan {self.number} for declaration {self.declaration_id}"


class DeclarationPlanRead(models.Model):
    """The worker confirms they have read a plan."""

    plan = models.OneToOneField(DeclarationPlan, on_delete=models.CASCADE, related_name="read")
    read_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Plan {self.plan_id} read"


class DeclarationLink(models.Model):
    """A referral declaration linked to the person once they are on the register."""

    declaration = models.OneToOneField(Declaration, on_delete=models.CASCADE, related_name="link")
    person = models.ForeignKey("consent.Person", on_delete=models.CASCADE, related_name="+")
    linked_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Declaration {self.declaration_id} → person {self.person_id}"


class DeclarationClosure(models.Model):
    """The declaration no longer applies (the person left, the relationship ended)."""

    declaration = models.OneToOneField(
        Declaration, on_delete=models.CASCADE, related_name="closure"
    )
    closed_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Declaration {self.declaration_id} closed"


class PrivacyCheckup(models.Model):
    """A worker did their (optional) privacy check-up. Only the ticked items are kept."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    member = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="privacy_checkups"
    )
    items_done = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Privacy check-up {self.pk}"


class Notification(models.Model):
    """An email to send after commit. `key` makes each notice once-only."""

    class Kind(models.TextChoices):
        CONNECTION_REQUEST = "connection_request", "Connection request"
        DECLARATION = "declaration", "Declaration"
        PLAN = "plan", "Plan agreed"
        REVIEW_DUE = "review_due", "Review due"
        CHECKUP_DUE = "checkup_due", "Privacy check-up due"

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    key = models.CharField(max_length=120, unique=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id}"
