"""Posts and their immutable revisions, photos and screening findings."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q

from carepost.common.models import TimeStampedModel

# Uploaded files live outside any URL (MEDIA_ROOT is never served); views hand out the
# clean copies after an access check. The location follows settings.MEDIA_ROOT.
private_storage = FileSystemStorage()


class PostStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "Waiting for review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class Post(TimeStampedModel):
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="posts"
    )
    service = models.ForeignKey(
        "accounts.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="posts"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts"
    )
    status = models.CharField(max_length=32, choices=PostStatus.choices, default=PostStatus.DRAFT)
    # Bumped by every transition; a decision carries the version it was made on.
    version = models.PositiveIntegerField(default=1)
    current_revision = models.ForeignKey(
        "PostRevision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_revision = models.ForeignKey(
        "PostRevision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return f"Post {self.pk}"

    @property
    def title(self) -> str:
        text = self.current_revision.text if self.current_revision else ""
        first_line = text.strip().splitlines()[0] if text.strip() else "(empty post)"
        return first_line if len(first_line) <= 80 else first_line[:77] + "…"


class PostRevision(models.Model):
    """An exact, immutable version of a post. Approval is of one revision."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    text = models.TextField()
    channels = models.ManyToManyField("publishing.Channel", related_name="+")
    people = models.ManyToManyField("consent.Person", related_name="featured_in", blank=True)
    publish_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    screened_at = models.DateTimeField(null=True, blank=True)
    screening_verdict = models.CharField(max_length=16, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "number"], name="revision_number_unique"),
        ]
        ordering = ["number"]

    def __str__(self) -> str:
        return f"Post {self.post_id} revision {self.number}"


class Photo(models.Model):
    """An uploaded photo: the original (private, may carry metadata) and the clean copy."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    original = models.FileField(storage=private_storage, upload_to="originals/%Y/%m/")
    clean_copy = models.FileField(storage=private_storage, upload_to="clean/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    metadata_found = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name or f"Photo {self.pk}"


class RevisionPhoto(models.Model):
    revision = models.ForeignKey(PostRevision, on_delete=models.CASCADE, related_name="photos")
    photo = models.ForeignKey(Photo, on_delete=models.PROTECT, related_name="uses")
    alt_text = models.CharField(max_length=1000)
    position = models.PositiveSmallIntegerField()
    # The clean copy with this version's face decisions applied (blurred faces burnt in).
    # Empty until a face is blurred: then the clean copy itself is what goes out.
    published_copy = models.FileField(
        storage=private_storage, upload_to="published/%Y/%m/", blank=True
    )

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "position"], name="revision_photo_position_unique"
            ),
            models.CheckConstraint(
                condition=~Q(alt_text=""), name="revision_photo_alt_text_required"
            ),
        ]

    def __str__(self) -> str:
        return f"Photo {self.position + 1} of {self.revision}"

    def published_image(self) -> tuple[bytes, str]:
        """The exact bytes and content type every channel publishes for this photo."""
        if self.published_copy:
            with self.published_copy.open("rb") as f:
                return f.read(), "image/jpeg"
        with self.photo.clean_copy.open("rb") as f:
            return f.read(), self.photo.content_type


class FindingAction(models.TextChoices):
    BLOCK = "block", "Must be fixed"
    REVIEW = "review", "Needs a reason to go ahead"
    WARN = "warn", "Worth a second look"


class ScreeningFinding(models.Model):
    """One screening finding on one revision, as the engine reported it."""

    revision = models.ForeignKey(PostRevision, on_delete=models.CASCADE, related_name="findings")
    check_name = models.CharField(max_length=40)
    code = models.CharField(max_length=80)
    action = models.CharField(max_length=10, choices=FindingAction.choices)
    source = models.CharField(max_length=20, default="text")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.CharField(max_length=500)
    message = models.TextField()
    person = models.ForeignKey(
        "consent.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=40, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["start", "id"]

    def __str__(self) -> str:
        return f"{self.code} at {self.start}-{self.end}"
