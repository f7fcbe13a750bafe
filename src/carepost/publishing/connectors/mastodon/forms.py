"""Forms for connecting a Mastodon account: which server, what to call it, who sees posts."""

from __future__ import annotations

from typing import Any

from django import forms

from carepost.publishing.connectors.mastodon.oauth import SetupError, normalise_instance_url

VISIBILITY_CHOICES = [
    ("public", "Public: anyone can see the posts, and they appear in public timelines"),
    (
        "unlisted",
        "Quiet public: anyone can see the posts on your profile, but they stay out of "
        "public timelines and trending lists",
    ),
]


class VisibilityForm(forms.Form):
    visibility = forms.ChoiceField(
        label="Who sees the posts",
        choices=VISIBILITY_CHOICES,
        initial="public",
        widget=forms.RadioSelect,
    )


class ConnectForm(VisibilityForm):
    name = forms.CharField(
        label="Channel name",
        max_length=100,
        help_text="The name staff will see when choosing where to publish, "
        "for example “Thistle Care Mastodon”.",
    )
    instance_url = forms.CharField(
        label="Mastodon server address",
        max_length=200,
        help_text="The web address where you sign in to Mastodon, for example "
        "https://mastodon.social. Your account name ends with it: @thistlecare@mastodon.social.",
        widget=forms.TextInput(
            attrs={"autocomplete": "url", "spellcheck": "false", "inputmode": "url"}
        ),
    )

    field_order = ["name", "instance_url", "visibility"]

    def __init__(self, *args: Any, taken: set[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.taken = set(taken or ())
        for name, field in self.fields.items():
            if field.help_text and not isinstance(field.widget, forms.RadioSelect):
                field.widget.attrs["aria-describedby"] = f"id_{name}-hint"

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the channel a name staff will recognise.")
        if name in self.taken:
            raise forms.ValidationError(
                f"There is already a channel called {name}. Choose another name."
            )
        return name

    def clean_instance_url(self) -> str:
        try:
            return normalise_instance_url(self.cleaned_data["instance_url"])
        except SetupError as exc:
            raise forms.ValidationError(exc.message) from None
