from django.conf import settings
from django.db import models
from django.db.models import Q


class ReviewOutcome(models.TextChoices):
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    REJECTED = "rejected", "Rejected"
    SUPERSEDED = "superseded", "Superseded by an edit"
    WITHDRAWN = "withdrawn", "Withdrawn by the author"


class Review(models.Model):
    """A request to review one exact revision. At most one is open per post."""

    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="reviews")
    revision = models.ForeignKey(
        "posts.PostRevision", on_delete=models.PROTECT, related_name="reviews"
    )
    is_open = models.BooleanField(default=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=20, choices=ReviewOutcome.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    # Consent records and findings relied on at approval (filled by later modules too).
    relied_on = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post"], condition=Q(is_open=True), name="one_open_review_per_post"
            ),
            models.CheckConstraint(
                condition=Q(is_open=True, outcome="") | Q(is_open=False) & ~Q(outcome=""),
                name="review_open_xor_outcome",
            ),
        ]
        ordering = ["opened_at", "id"]

    def __str__(self) -> str:
        return f"Review of {self.revision}"
