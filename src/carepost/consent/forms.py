from __future__ import annotations

from typing import Any

from django import forms

from carepost.accounts.models import Membership
from carepost.accounts.selectors import services_for
from carepost.consent.models import (
    FLAG_FIELDS,
    AuthorityType,
    CapacityDecision,
    ConsentMethod,
    ConsentRecord,
    Media,
    Person,
)
from carepost.publishing.selectors import channels_for

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
FLAG_LABELS = {
    "do_not_publish": "Do not publish anything about this person",
    "do_not_photograph": "Do not photograph or film this person for publication",
    "do_not_name": "Do not name this person in publications",
    "looked_after": "Looked-after child (the local authority must also consent)",
    "childrens_hearing": "Involved in a children's hearing (never identifiable)",
}


class PersonForm(forms.Form):
    legal_name = forms.CharField(max_length=200, label="Full name")
    preferred_name = forms.CharField(max_length=100, required=False, label="Preferred name")
    aliases = forms.CharField(
        max_length=500,
        required=False,
        label="Other names staff use",
        help_text="Nicknames such as 'Mrs D', separated by commas. Screening looks for these too.",
    )
    date_of_birth = forms.DateField(
        required=False,
        widget=DATE,
        label="Date of birth",
        help_text="Needed to tell who may consent (adult, young person or child).",
    )
    service: forms.ModelChoiceField = forms.ModelChoiceField(queryset=None, label="Service")

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services_for(membership=membership)  # type: ignore[attr-defined]
        for flag in FLAG_FIELDS:
            self.fields[flag] = forms.BooleanField(required=False, label=FLAG_LABELS[flag])

    @classmethod
    def initial_for(cls, person: Person) -> dict[str, Any]:
        return {
            "legal_name": person.legal_name,
            "preferred_name": person.preferred_name,
            "aliases": ", ".join(person.aliases),
            "date_of_birth": person.date_of_birth,
            "service": person.service,
            **{f: getattr(person, f) for f in FLAG_FIELDS},
        }

    def flag_fields(self) -> list[forms.BoundField]:
        return [self[f] for f in FLAG_FIELDS]

    def cleaned_aliases(self) -> list[str]:
        return [a.strip() for a in self.cleaned_data.get("aliases", "").split(",") if a.strip()]

    def cleaned_flags(self) -> dict[str, bool]:
        return {f: bool(self.cleaned_data.get(f)) for f in FLAG_FIELDS}


class CapacityForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=CapacityDecision.Outcome.choices,
        widget=forms.RadioSelect,
        label="Outcome of the assessment for the decision to consent to publication",
    )
    assessed_on = forms.DateField(widget=DATE, label="Date assessed")
    assessed_by = forms.CharField(max_length=200, label="Assessed by (name and role)")
    review_on = forms.DateField(widget=DATE, required=False, label="Review date")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Notes")


class RepresentativeForm(forms.Form):
    name = forms.CharField(max_length=200, label="Their name")
    relationship = forms.CharField(max_length=100, label="Relationship to the person")
    authority = forms.ChoiceField(choices=AuthorityType.choices, label="Authority")
    covers_publicity = forms.BooleanField(
        required=False, label="Their powers cover photos, publicity and personal information"
    )
    evidence_reference = forms.CharField(max_length=200, required=False, label="Document reference")
    evidence = forms.FileField(required=False, label="Evidence of authority (PDF or photo)")
    valid_from = forms.DateField(widget=DATE, label="Authority valid from")
    valid_until = forms.DateField(widget=DATE, required=False, label="Valid until (if it ends)")


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(
        choices=ConsentRecord.Kind.choices,
        initial="consent",
        widget=forms.RadioSelect,
        label="Is this a consent or an objection?",
    )
    given_by = forms.ChoiceField(label="Given by")
    # Not "media": Form.media already means a form's CSS and JavaScript.
    covers = forms.MultipleChoiceField(
        choices=Media.choices, widget=forms.CheckboxSelectMultiple, label="What it covers"
    )
    all_public_channels = forms.BooleanField(required=False, label="All public channels")
    channels: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Or only these channels",
    )
    valid_from = forms.DateField(widget=DATE, required=False, label="From (default today)")
    valid_until = forms.DateField(widget=DATE, required=False, label="Until (default: 12 months)")
    method = forms.ChoiceField(choices=ConsentMethod.choices, label="How it was given")
    witness = forms.CharField(max_length=200, required=False, label="Witness (for verbal consent)")
    evidence = forms.FileField(required=False, label="Signed form (PDF or photo)")
    persons_own_view = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="What the person said or showed (record it even when someone else decides)",
    )

    def __init__(self, *args: Any, membership: Membership, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = channels_for(membership=membership)  # type: ignore[attr-defined]
        self.representatives = {str(r.pk): r for r in person.representatives.all()}
        given_by: forms.ChoiceField = self.fields["given_by"]  # type: ignore[assignment]
        given_by.choices = [("self", f"{person.display_name} themselves")] + [
            (str(r.pk), f"{r.name} ({r.get_authority_display()})")
            for r in self.representatives.values()
        ]


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Reason (optional)"
    )


class ConsentFormPdfForm(forms.Form):
    covers = forms.MultipleChoiceField(
        choices=Media.choices, widget=forms.CheckboxSelectMultiple, label="Offer"
    )
    channels: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        queryset=None, widget=forms.CheckboxSelectMultiple, label="On these channels"
    )
    easy_read = forms.BooleanField(
        required=False, label="Easy-read version (short sentences, large type)"
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = channels_for(membership=membership)  # type: ignore[attr-defined]


class EraseForm(forms.Form):
    confirm_name = forms.CharField(max_length=200, label="Type the person's full name to confirm")
