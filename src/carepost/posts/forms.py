from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from carepost.accounts.models import Membership
from carepost.accounts.selectors import services_for
from carepost.consent.models import Person
from carepost.consent.selectors import people_for
from carepost.posts.models import FaceChoice, FaceRegion, Post, RevisionPhoto
from carepost.posts.services import MAX_TEXT_LENGTH, DraftInput, FaceDecisionInput, PhotoInput
from carepost.publishing.selectors import channels_for

NEW_PHOTO_SLOTS = 3
UNDECIDED = ""


def face_field_name(rp: RevisionPhoto, face: FaceRegion) -> str:
    return f"face_{rp.pk}_{face.pk}"


def add_face_fields(form: forms.Form, rps: list[RevisionPhoto], people: list[Person]) -> None:
    """One radio group per face: a tagged person, blur it, or not decided yet."""
    choices = [
        *((f"person-{p.pk}", f"This is {p.display_name}") for p in people),
        (FaceChoice.BLUR.value, "Blur this face"),
        (UNDECIDED, "Not decided yet"),
    ]
    for rp in rps:
        current = {d.face_id: d for d in rp.face_decisions.all()}
        for face in rp.photo.faces.all():
            d = current.get(face.pk)
            initial = UNDECIDED
            if d is not None:
                initial = d.choice if d.choice == FaceChoice.BLUR else f"person-{d.person_id}"
            form.fields[face_field_name(rp, face)] = forms.ChoiceField(
                choices=choices,
                required=False,
                initial=initial,
                widget=forms.RadioSelect,
                label=f"Face {face.number}",
            )


def face_decisions_from(
    data: dict[str, Any], rps: list[RevisionPhoto], people: list[Person]
) -> dict[int, dict[int, FaceDecisionInput | None]]:
    by_id = {p.pk: p for p in people}
    out: dict[int, dict[int, FaceDecisionInput | None]] = {}
    for rp in rps:
        faces: dict[int, FaceDecisionInput | None] = {}
        for face in rp.photo.faces.all():
            value = data.get(face_field_name(rp, face)) or UNDECIDED
            if value == FaceChoice.BLUR:
                faces[face.pk] = FaceDecisionInput(choice=FaceChoice.BLUR)
            elif value.startswith("person-") and int(value.split("-", 1)[1]) in by_id:
                person = by_id[int(value.split("-", 1)[1])]
                faces[face.pk] = FaceDecisionInput(choice=FaceChoice.PERSON, person=person)
            else:
                faces[face.pk] = None
        out[rp.pk] = faces
    return out


class FaceDecisionsForm(forms.Form):
    """The face choices of the current version's photos, on the post page."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, revision: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rps = list(
            revision.photos.select_related("photo").prefetch_related(
                "photo__faces", "face_decisions"
            )
        )
        self.people = list(revision.people.all())
        add_face_fields(self, self.rps, self.people)
        for name, f in self.fields.items():
            if name.startswith("face_"):
                f.widget.attrs["form"] = "face-form"  # the radios sit beside each photo

    def face_rows(self, rp: RevisionPhoto) -> list[tuple[FaceRegion, forms.BoundField]]:
        return [(face, self[face_field_name(rp, face)]) for face in rp.photo.faces.all()]

    def decisions(self) -> dict[int, dict[int, FaceDecisionInput | None]]:
        return face_decisions_from(self.cleaned_data, self.rps, self.people)


FACE_CELLS = [
    ("1", "Top left"),
    ("2", "Top middle"),
    ("3", "Top right"),
    ("4", "Middle left"),
    ("5", "Centre"),
    ("6", "Middle right"),
    ("7", "Bottom left"),
    ("8", "Bottom middle"),
    ("9", "Bottom right"),
]


class FaceMarkForm(forms.Form):
    """Mark a missed face: a box drawn on the photo, or (by keyboard) a ninth of it."""

    cell = forms.ChoiceField(
        choices=[("", "Choose where the face is"), *FACE_CELLS],
        required=False,
        label="Where in the photo is the face?",
    )
    x = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    y = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    w = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    h = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def box(self, width: int, height: int) -> tuple[int, int, int, int] | None:
        d = self.cleaned_data
        if all(d.get(k) is not None for k in ("x", "y", "w", "h")):
            return d["x"], d["y"], d["w"], d["h"]
        if d.get("cell"):
            i = int(d["cell"]) - 1
            cw, ch = width // 3, height // 3
            return (i % 3) * cw, (i // 3) * ch, cw, ch
        return None


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
            self.existing = list(
                post.current_revision.photos.select_related("photo").prefetch_related(
                    "photo__faces", "face_decisions"
                )
            )
        self.tagged: list[Person] = (
            list(post.current_revision.people.all())
            if post is not None and post.current_revision is not None
            else []
        )
        add_face_fields(self, self.existing, self.tagged)
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

    def face_rows(self, rp: RevisionPhoto) -> list[tuple[FaceRegion, forms.BoundField]]:
        return [(face, self[face_field_name(rp, face)]) for face in rp.photo.faces.all()]

    def new_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"photo_{i}"], self[f"photo_{i}_alt"]) for i in range(NEW_PHOTO_SLOTS)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        photos: list[PhotoInput] = []
        faces = face_decisions_from(data, self.existing, self.tagged)
        for rp in self.existing:
            if data.get(f"keep_{rp.pk}"):
                alt = (data.get(f"alt_{rp.pk}") or "").strip()
                if not alt:
                    self.add_error(
                        f"alt_{rp.pk}", "Describe this photo for people who cannot see it."
                    )
                chosen = {k: v for k, v in faces[rp.pk].items() if v is not None}
                photos.append(PhotoInput(alt_text=alt, photo=rp.photo, faces=chosen))
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
