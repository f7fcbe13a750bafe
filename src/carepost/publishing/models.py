"""Channels and the publication outbox."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models

from carepost.common.models import TimeStampedModel


class ChannelKind(models.TextChoices):
    WEBSITE = "website", "Website news page"
    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"
    FACEBOOK = "facebook", "Facebook Page"


class ChannelStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    NEEDS_REAUTH = "needs_reauth", "Needs reconnecting"
    DISABLED = "disabled", "Disabled"


class Channel(TimeStampedModel):
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="channels"
    )
    kind = models.CharField(max_length=20, choices=ChannelKind.choices)
    name = models.CharField(max_length=100)
    status = models.CharField(
        max_length=20, choices=ChannelStatus.choices, default=ChannelStatus.ACTIVE
    )
    # Non-secret settings: instance URL, page id, handle, visibility.
    config = models.JSONField(default=dict, blank=True)
    # Tokens and passwords, Fernet-encrypted JSON (common.crypto). Never logged or shown.
    credentials_encrypted = models.BinaryField(default=b"", blank=True, editable=False)
    status_reason = models.TextField(blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # A rate limit (or "come back later") from the platform holds back every queued
    # publication and take-down of this channel until then. Null: not held back.
    paused_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="channel_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:  # never let a token reach a log line through repr()
        return f"<Channel {self.pk} {self.kind} {self.name!r}>"

    @property
    def credentials(self) -> dict[str, str]:
        """The decrypted secrets. Only connectors read them; services write them."""
        if not self.credentials_encrypted:
            return {}
        from carepost.common.crypto import decrypt

        data: dict[str, str] = json.loads(decrypt(bytes(self.credentials_encrypted)))
        return data

    def set_credentials(self, secrets: dict[str, str]) -> None:
        from carepost.common.crypto import encrypt

        self.credentials_encrypted = encrypt(json.dumps(secrets).encode()) if secrets else b""


class PublicationState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"
    UNKNOWN = "unknown", "Outcome unknown (being checked)"
    TAKEN_DOWN = "taken_down", "Taken down"
    CANCELLED = "cancelled", "Cancelled before sending"


LIVE_STATES = (PublicationState.PUBLISHED, PublicationState.UNKNOWN)


class Publication(TimeStampedModel):
    """One approved revision on one channel: a row in the outbox."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    post = models.ForeignKey("posts.Post", on_delete=models.PROTECT, related_name="publications")
    revision = models.ForeignKey(
        "posts.PostRevision", on_delete=models.PROTECT, related_name="publications"
    )
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="publications")
    state = models.CharField(
        max_length=20, choices=PublicationState.choices, default=PublicationState.QUEUED
    )
    scheduled_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    external_id = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True)
    last_error = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    take_down_requested_at = models.DateTimeField(null=True, blank=True)
    take_down_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    take_down_reason = models.TextField(blank=True)
    take_down_outcome = models.CharField(max_length=200, blank=True)
    taken_down_at = models.DateTimeField(null=True, blank=True)
    # Recovery (docs/connectors.md): when the outcome became unknown; how many
    # reconcile checks or take-down tries were made; not to be tried again before
    # `retry_at` (back-off); when reviewers were told a person must check it.
    unknown_since = models.DateTimeField(null=True, blank=True)
    recovery_attempts = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "channel"], name="publication_revision_channel_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "scheduled_at"]),
            models.Index(fields=["channel", "state"]),
        ]

    def __str__(self) -> str:
        return f"Publication {self.pk} ({self.channel}, {self.state})"

    @property
    def is_live(self) -> bool:
        return self.state == PublicationState.PUBLISHED and self.take_down_requested_at is None
