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


class AnalysisState(models.TextChoices):
    """A photo's face and text check: pending → running → done | failed (failed → pending)."""

    PENDING = "pending", "Waiting to be checked"
    RUNNING = "running", "Being checked"
    DONE = "done", "Checked"
    FAILED = "failed", "Could not be checked"


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
    # Face detection and text reading run in a task (posts/tasks.py::analyse_photo).
    analysis_state = models.CharField(
        max_length=10, choices=AnalysisState.choices, default=AnalysisState.PENDING
    )
    analysis_progress = models.PositiveSmallIntegerField(default=0)  # 0-100
    analysis_error = models.CharField(max_length=500, blank=True)
    analysis_started_at = models.DateTimeField(null=True, blank=True)
    analysed_at = models.DateTimeField(null=True, blank=True)
    # What the check found, besides faces: {"metadata": [{kind, label, blocking}],
    # "clean_metadata": [...] (what is left in the clean copy: must be nothing blocking),
    # "text": [{text, box}] (words read in the photo), "findings": [text-check findings]}.
    report = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(analysis_progress__lte=100), name="photo_analysis_progress_percent"
            ),
        ]

    def __str__(self) -> str:
        return self.original_name or f"Photo {self.pk}"


class FaceSource(models.TextChoices):
    DETECTOR = "detector", "Found by Carepost"
    MANUAL = "manual", "Marked by hand"


class FaceRegion(models.Model):
    """A face in a photo: a box in the upright, full-size image's pixel coordinates."""

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="faces")
    number = models.PositiveSmallIntegerField()  # 1, 2, 3… as shown on the page
    x = models.PositiveIntegerField()
    y = models.PositiveIntegerField()
    w = models.PositiveIntegerField()
    h = models.PositiveIntegerField()
    source = models.CharField(max_length=10, choices=FaceSource.choices)
    score = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["photo", "number"], name="face_number_unique"),
            models.CheckConstraint(condition=Q(w__gt=0, h__gt=0), name="face_box_not_empty"),
            models.CheckConstraint(
                condition=Q(source="detector") | Q(created_by__isnull=False),
                name="face_manual_has_author",
            ),
        ]

    def __str__(self) -> str:
        return f"Face {self.number} of {self.photo}"


class FaceChoice(models.TextChoices):
    PERSON = "person", "This is a tagged person"
    BLUR = "blur", "Blur this face"


class FaceDecision(models.Model):
    """What one version of a post does with one face: a tagged person, or blurred.

    No row means undecided, which blocks approval. Rows belong to one revision, so each
    version freezes what goes out.
    """

    revision_photo = models.ForeignKey(
        "RevisionPhoto", on_delete=models.CASCADE, related_name="face_decisions"
    )
    face = models.ForeignKey(FaceRegion, on_delete=models.CASCADE, related_name="decisions")
    choice = models.CharField(max_length=10, choices=FaceChoice.choices)
    person = models.ForeignKey(
        "consent.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["revision_photo", "face"], name="one_decision_per_face_per_version"
            ),
            models.CheckConstraint(
                condition=(Q(choice="person") & Q(person__isnull=False))
                | (Q(choice="blur") & Q(person__isnull=True)),
                name="face_decision_person_iff_linked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.face}: {self.choice}"


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
            name = self.published_copy.name or ""
            content_type = "image/png" if name.endswith(".png") else "image/jpeg"
            with self.published_copy.open("rb") as f:
                return f.read(), content_type
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
    # Set for findings in a photo's text (source "image"): which photo of this version.
    revision_photo = models.ForeignKey(
        RevisionPhoto, null=True, blank=True, on_delete=models.CASCADE, related_name="findings"
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["start", "id"]

    def __str__(self) -> str:
        return f"{self.code} at {self.start}-{self.end}"
