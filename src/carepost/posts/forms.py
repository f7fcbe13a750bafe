from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from carepost.accounts.models import Membership
from carepost.accounts.selectors import services_for
from carepost.consent.selectors import people_for
from carepost.posts.models import Post, RevisionPhoto
from carepost.posts.services import MAX_TEXT_LENGTH, DraftInput, PhotoInput
from carepost.publishing.selectors import channels_for

NEW_PHOTO_SLOTS = 3


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        preferred = (
            f" ({obj.preferred_name})"
            if obj.preferred_name and obj.preferred_name not in obj.legal_name
            else ""
        )
        return f"{obj.legal_name}{preferred}, {obj.service.name}"


class PostForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 7, "aria-describedby": "text-hint"}),
        max_length=MAX_TEXT_LENGTH,
        required=False,
        label="What do you want to say?",
    )
    channels: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        queryset=None, widget=forms.CheckboxSelectMultiple, label="Where should it be published?"
    )
    people = PersonChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Who is featured (named or in a photo)?",
    )
    service: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, required=False, label="Which service is it about?"
    )
    publish_at = forms.DateTimeField(
        required=False,
        label="Publish at (optional)",
        help_text="Leave empty to publish as soon as it is approved.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )

    def __init__(
        self, *args: Any, membership: Membership, post: Post | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.membership = membership
        self.fields["channels"].queryset = channels_for(membership=membership)  # type: ignore[attr-defined]
        self.fields["people"].queryset = people_for(membership=membership)  # type: ignore[attr-defined]
        self.fields["service"].queryset = services_for(membership=membership)  # type: ignore[attr-defined]
        self.existing: list[RevisionPhoto] = []
        if post is not None and post.current_revision is not None:
            self.existing = list(post.current_revision.photos.select_related("photo"))
        for rp in self.existing:
            self.fields[f"keep_{rp.pk}"] = forms.BooleanField(
                required=False, initial=True, label="Keep this photo"
            )
            self.fields[f"alt_{rp.pk}"] = forms.CharField(
                max_length=1000, required=False, initial=rp.alt_text, label="Description (alt text)"
            )
        for i in range(NEW_PHOTO_SLOTS):
            self.fields[f"photo_{i}"] = forms.FileField(required=False, label=f"Add photo {i + 1}")
            self.fields[f"photo_{i}_alt"] = forms.CharField(
                max_length=1000, required=False, label=f"Describe photo {i + 1} (alt text)"
            )

    def existing_rows(self) -> list[tuple[RevisionPhoto, forms.BoundField, forms.BoundField]]:
        return [(rp, self[f"keep_{rp.pk}"], self[f"alt_{rp.pk}"]) for rp in self.existing]

    def new_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"photo_{i}"], self[f"photo_{i}_alt"]) for i in range(NEW_PHOTO_SLOTS)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        photos: list[PhotoInput] = []
        for rp in self.existing:
            if data.get(f"keep_{rp.pk}"):
                alt = (data.get(f"alt_{rp.pk}") or "").strip()
                if not alt:
                    self.add_error(
                        f"alt_{rp.pk}", "Describe this photo for people who cannot see it."
                    )
                photos.append(PhotoInput(alt_text=alt, photo=rp.photo))
        for i in range(NEW_PHOTO_SLOTS):
            upload = data.get(f"photo_{i}")
            alt = (data.get(f"photo_{i}_alt") or "").strip()
            if upload is None:
                if alt:
                    self.add_error(
                        f"photo_{i}",
                        "Choose the photo this description is for, or clear the description.",
                    )
                continue
            if upload.size and upload.size > settings.CAREPOST_PHOTO_MAX_BYTES:
                self.add_error(
                    f"photo_{i}",
                    f"This photo is larger than {settings.CAREPOST_PHOTO_MAX_BYTES // 2**20} MB.",
                )
                continue
            if not alt:
                self.add_error(
                    f"photo_{i}_alt", "Describe this photo for people who cannot see it."
                )
            photos.append(PhotoInput(alt_text=alt, data=upload.read(), name=upload.name or ""))
        if not (data.get("text") or "").strip() and not photos:
            self.add_error("text", "Write something, or add a photo.")
        data["photos"] = photos
        return data

    def to_draft(self) -> DraftInput:
        d = self.cleaned_data
        return DraftInput(
            text=d.get("text") or "",
            channels=list(d["channels"]),
            people=list(d.get("people") or []),
            photos=d["photos"],
            publish_at=d.get("publish_at"),
            service=d.get("service"),
        )

    @classmethod
    def initial_for(cls, post: Post) -> dict[str, Any]:
        rev = post.current_revision
        assert rev is not None
        return {
            "text": rev.text,
            "channels": list(rev.channels.all()),
            "people": list(rev.people.all()),
            "service": post.service,
            "publish_at": rev.publish_at,
        }


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            ("approve", "Approve"),
            ("request_changes", "Request changes"),
            ("reject", "Reject"),
        ]
    )
    revision = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Comment for the author"
    )


class AcknowledgeForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why is it all right to go ahead?",
        max_length=1000,
    )
