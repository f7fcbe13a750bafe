from typing import Any

from django import forms

from carepost.posts.services import MAX_TEXT_LENGTH


class TakeDownForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why is it being taken down?",
        max_length=1000,
    )


class IdListField(forms.Field):
    """A list of ids (`?channels=1&channels=2`); the selector keeps only the member's."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        try:
            return [int(v) for v in value]
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError("Not a list of channels.") from exc


class PreviewForm(forms.Form):
    """What the write/edit page sends for a live preview: the text and the channels."""

    text = forms.CharField(max_length=MAX_TEXT_LENGTH, required=False, strip=False)
    channels = IdListField(required=False)
    post = forms.IntegerField(required=False)
