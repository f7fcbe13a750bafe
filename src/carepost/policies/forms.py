from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from carepost.accounts.models import Service
from carepost.policies import codes
from carepost.policies.services import VersionInput

BODY_HELP = (
    "Write in Markdown. Start each section with a heading line such as “## Photos”. "
    "Under a heading you can add “Codes: 2.3, 5.8” to say which SSSC Codes it serves, and "
    "“See: data-protection#sharing” to link to a section of another policy."
)


class CodeChoices(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, edition: str = codes.DEFAULT_EDITION, **kwargs: Any) -> None:
        choices = [(c.number, c.label) for c in codes.edition(edition).codes]
        super().__init__(choices=choices, **kwargs)


class VersionFields(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 18}), label="Policy text", help_text=BODY_HELP
    )
    summary_of_changes = forms.CharField(
        max_length=1000,
        label="What does this version change?",
        help_text="One or two sentences. Readers see this before they read the changes.",
    )
    effective_from = forms.DateField(
        label="Takes effect on",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )

    def __init__(self, *args: Any, edition: str = codes.DEFAULT_EDITION, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["adopted_codes"] = CodeChoices(
            edition,
            required=False,
            label="Which SSSC Codes does this policy adopt?",
            help_text="They are listed with the policy, linked to the SSSC's own pages.",
        )
        self.fields["effective_from"].initial = timezone.localdate()

    def version_input(self) -> VersionInput:
        d = self.cleaned_data
        return VersionInput(
            body=d["body"],
            summary_of_changes=d["summary_of_changes"],
            effective_from=d["effective_from"],
            requires_reattestation=bool(d.get("requires_reattestation", True)),
            adopted_codes=list(d.get("adopted_codes") or []),
        )


class PolicyCreateForm(VersionFields):
    title = forms.CharField(max_length=200, label="Title")
    slug = forms.SlugField(
        max_length=80,
        label="Short name",
        help_text="Lower-case letters, numbers and hyphens, e.g. social-media. "
        "Other policies use it to link here.",
    )
    review_cycle_months = forms.IntegerField(
        min_value=0,
        max_value=60,
        initial=12,
        label="Re-read every (months)",
        help_text="Everyone confirms they have re-read it this often. 0 means only at "
        "induction and when a new version asks for it.",
    )

    field_order = ["title", "slug", "review_cycle_months", "body", "summary_of_changes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["summary_of_changes"].initial = "First version."


class VersionPublishForm(VersionFields):
    requires_reattestation = forms.BooleanField(
        required=False,
        initial=True,
        label="Everyone must read and confirm this version again",
    )
    expected_number = forms.IntegerField(widget=forms.HiddenInput)


class AttestForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label="I have read and understood this version of the policy",
        error_messages={"required": "Tick the box to confirm you have read and understood it."},
    )


class PlacementForm(forms.Form):
    service: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=Service.objects.none(),
        required=False,
        label="Works mainly at",
        empty_label="Not recorded",
    )

    def __init__(self, *args: Any, services: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services  # type: ignore[attr-defined]
