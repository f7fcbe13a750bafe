"""Forms for the boundaries pages. They check shapes; the services check the rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone

from carepost.accounts.models import Membership
from carepost.boundaries import rules, selectors
from carepost.boundaries.models import Relationship
from carepost.consent.models import Person


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        preferred = (
            f" ({obj.preferred_name})"
            if obj.preferred_name and obj.preferred_name not in obj.legal_name
            else ""
        )
        return f"{obj.legal_name}{preferred}, {obj.service.name}"


def _people(membership: Membership) -> Any:
    from carepost.consent.selectors import people_for

    return people_for(membership=membership)


def _radio(choices: dict[str, str], label: str, **kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=list(choices.items()), widget=forms.RadioSelect, label=label, **kwargs
    )


YES_NO = {"yes": "Yes", "no": "No"}


class HintedForm(forms.Form):
    """Points each input at its hint (rendered with id `<field id>-hint`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if field.help_text and not isinstance(
                field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple
            ):
                field.widget.attrs.setdefault("aria-describedby", f"{self[name].auto_id}-hint")


class AidForm(HintedForm):
    """The decision aid's questions."""

    platform = forms.ChoiceField(
        choices=[("", "Choose a platform"), *rules.PLATFORMS.items()],
        label="Where did the request come from?",
    )
    requester = _radio(rules.REQUESTERS, "Who sent it?")
    knew_before = _radio(rules.KNEW_BEFORE, "Did you know them before you met them through work?")
    child = _radio(rules.CHILD, "Are they a child or young person (under 18)?")
    person = PersonField(
        queryset=Person.objects.none(),
        required=False,
        label="Which person we support is it about? (optional)",
        help_text="The person who sent it, or the person they are related to. "
        "It helps your line manager support you.",
        empty_label="I would rather not say, or nobody on the list",
    )
    name = forms.CharField(
        max_length=100,
        required=False,
        label="Their first name (optional)",
        help_text="Only used to fill in the suggested message.",
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _people(membership)  # type: ignore[attr-defined]

    def answers(self) -> rules.Answers:
        d = self.cleaned_data
        return rules.Answers(
            requester=d["requester"],
            knew_before=d["knew_before"],
            child=d["child"],
            platform=d["platform"],
            name=d.get("name") or "",
        )


class RecordForm(AidForm):
    """The same answers (hidden), plus what the worker did."""

    outcome = forms.ChoiceField(
        choices=list(rules.OUTCOMES.items()),
        widget=forms.RadioSelect,
        label="What did you do?",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        label="Anything to add? (optional)",
    )
    tell_manager = forms.BooleanField(required=False, label="Tell my line manager about this")

    ANSWER_FIELDS = ("platform", "requester", "knew_before", "child", "person", "name")

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, membership=membership, **kwargs)
        for name in self.ANSWER_FIELDS:
            self.fields[name].widget = forms.HiddenInput()


class DeclarationForm(HintedForm):
    person = PersonField(
        queryset=Person.objects.none(),
        required=False,
        label="Who do you know?",
        help_text="Choose them from the people we support. If they are not on the list yet "
        "(for example, they have been referred), leave this and give their name below.",
        empty_label="They are not on the list yet",
    )
    referral_name = forms.CharField(
        max_length=200, required=False, label="Their name, if they are not on the list yet"
    )
    referral_note = forms.CharField(
        max_length=300,
        required=False,
        label="Anything that helps us recognise them (optional)",
        help_text="For example, the service they are coming to.",
    )
    relationship = forms.ChoiceField(
        choices=Relationship.choices, widget=forms.RadioSelect, label="How do you know them?"
    )
    relationship_detail = forms.CharField(
        max_length=300, required=False, label="Tell us a little more (optional)"
    )
    known_since = forms.CharField(
        max_length=100,
        label="Since when have you known them?",
        help_text="A year is fine, for example 2015, or 'since school'.",
    )
    social_media_connected = forms.TypedChoiceField(
        choices=list(YES_NO.items()),
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        label="Are you connected on social media?",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        label="Anything else your line manager should know? (optional)",
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _people(membership)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("person") and (data.get("referral_name") or "").strip():
            self.add_error("referral_name", "Leave this empty when you chose someone above.")
        elif not data.get("person") and not (data.get("referral_name") or "").strip():
            self.add_error("person", "Choose who you know, or give their name below.")
        if (
            data.get("relationship") == Relationship.OTHER
            and not (data.get("relationship_detail") or "").strip()
        ):
            self.add_error("relationship_detail", "Please say a few words about how you know them.")
        return data


class PlanForm(HintedForm):
    measures = forms.MultipleChoiceField(
        choices=list(selectors.PLAN_MEASURES.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="What have you agreed?",
    )
    plan = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=4000,
        label="The plan, in your own words",
        help_text="What you agreed together, and who else needs to know.",
    )
    review_on = forms.DateField(
        label="Review date",
        help_text="When you will look at this again together.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    expected_plan = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "plan")
        super().__init__(*args, **kwargs)
        if not self.is_bound and "review_on" not in self.initial:
            self.initial["review_on"] = timezone.localdate() + timedelta(days=182)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("measures") and not (data.get("plan") or "").strip():
            self.add_error("plan", "Write the plan you agreed, or tick at least one measure.")
        review_on = data.get("review_on")
        if review_on and review_on <= timezone.localdate():
            self.add_error("review_on", "The review date must be in the future.")
        return data


class CloseForm(HintedForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        label="Why does it no longer apply?",
        help_text="For example: they have left the service.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "close")
        super().__init__(*args, **kwargs)


class LinkForm(forms.Form):
    person = PersonField(
        queryset=Person.objects.none(), label="Person on the register", empty_label="Choose"
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "link")
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _people(membership)  # type: ignore[attr-defined]


class SeenForm(HintedForm):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
        label="Note (optional)",
        help_text="For example: talked it through with them.",
    )


class CheckupForm(forms.Form):
    items = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, label="What did you check?"
    )

    def __init__(self, *args: Any, policy: rules.Policy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [(i.key, i.label) for i in policy.checkup_items]  # type: ignore[attr-defined]


class MemberField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.user)


class TeamFilterForm(forms.Form):
    worker = MemberField(
        queryset=Membership.objects.none(), required=False, label="Worker", empty_label="Everyone"
    )
    status = forms.ChoiceField(
        required=False,
        label="Declarations",
        choices=[
            ("not_closed", "Not closed"),
            (selectors.DeclarationStatus.AWAITING, "Waiting for you to acknowledge"),
            (selectors.DeclarationStatus.REVIEW_DUE, "Review due"),
            (selectors.DeclarationStatus.OPEN, "Plan agreed"),
            (selectors.DeclarationStatus.CLOSED, "Closed"),
            ("", "All"),
        ],
    )
    outcome = forms.ChoiceField(
        required=False,
        label="Connection requests",
        choices=[("", "Any outcome"), *rules.OUTCOMES.items()],
    )
    days = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label="Period",
        choices=[("30", "Last 30 days"), ("90", "Last 90 days"), ("365", "Last year"), ("", "All")],
    )

    def __init__(self, *args: Any, team: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["worker"].queryset = team  # type: ignore[attr-defined]

    def values(self) -> tuple[selectors.DeclarationFilters, selectors.RequestFilters]:
        d = self.cleaned_data if self.is_valid() else {}
        worker = d.get("worker")
        status = d.get("status", "not_closed") if self.is_bound else "not_closed"
        days = d.get("days") if self.is_bound else 90
        return (
            selectors.DeclarationFilters(worker=worker.pk if worker else None, status=status or ""),
            selectors.RequestFilters(
                worker=worker.pk if worker else None, outcome=d.get("outcome") or "", days=days
            ),
        )


# Organisation settings ------------------------------------------------------------------


class GeneralSettingsForm(HintedForm):
    code_edition = forms.ChoiceField(label="Which edition of the SSSC Codes do you cite?")
    official_channels = forms.CharField(
        max_length=200,
        label="Your official channels",
        help_text="Where people can reach you instead, as it reads in a sentence: "
        "for example 'our Facebook page and website'.",
    )
    checkup_interval_days = forms.IntegerField(
        min_value=7, max_value=730, label="Remind workers about the privacy check-up every (days)"
    )
    review_notice_days = forms.IntegerField(
        min_value=0, max_value=90, label="Remind line managers of a review this many days before"
    )

    def __init__(self, *args: Any, editions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code_edition"].choices = [(e, e) for e in editions]  # type: ignore[attr-defined]


class CodesForm(forms.Form):
    """Code numbers and summaries for one edition, kept as data."""

    def __init__(self, *args: Any, codes: dict[str, dict[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.code_keys = list(codes)
        for key, code in codes.items():
            self.fields[f"{key}__number"] = forms.CharField(
                max_length=10, initial=code.get("number", ""), label=f"Number for '{key}'"
            )
            self.fields[f"{key}__summary"] = forms.CharField(
                max_length=300,
                required=False,
                initial=code.get("summary", ""),
                label=f"What '{key}' asks, in a few words",
            )

    def rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(k, self[f"{k}__number"], self[f"{k}__summary"]) for k in self.code_keys]


class RuleForm(HintedForm):
    title = forms.CharField(max_length=200, label="Name of the rule")
    requester = forms.MultipleChoiceField(
        choices=list(rules.REQUESTERS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Applies when the request is from (none ticked: anyone)",
    )
    knew_before = forms.MultipleChoiceField(
        choices=list(rules.KNEW_BEFORE.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Applies when the worker knew them before (none ticked: either)",
    )
    child = forms.MultipleChoiceField(
        choices=list(rules.CHILD.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Applies when they are a child or young person (none ticked: any)",
    )
    action = forms.ChoiceField(
        choices=list(rules.ACTIONS.items()), widget=forms.RadioSelect, label="Recommendation"
    )
    notify_manager = forms.BooleanField(required=False, label="Always tell the line manager")
    advice = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        label="Advice shown to the worker",
        help_text="You can use {name}, {official_channels} and {code:key}, for example "
        "{code:suitability}.",
    )
    steps = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=2000,
        label="Next steps, one per line",
    )
    codes = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, required=False, label="Codes cited"
    )
    reply = forms.ChoiceField(required=False, label="Suggested reply")
    suggested_outcome = forms.ChoiceField(
        required=False,
        label="Outcome to suggest",
        choices=[("", "None"), *rules.OUTCOMES.items()],
    )

    def __init__(
        self, *args: Any, code_keys: list[str], template_keys: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["codes"].choices = [(k, k) for k in code_keys]  # type: ignore[attr-defined]
        self.fields["reply"].choices = [("", "None"), *((k, k) for k in template_keys)]  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(rule: dict[str, Any]) -> dict[str, Any]:
        when = rule.get("when") or {}
        return {
            "title": rule.get("title", ""),
            "requester": when.get("requester", []),
            "knew_before": when.get("knew_before", []),
            "child": when.get("child", []),
            "action": rule.get("action", ""),
            "notify_manager": bool(rule.get("notify_manager")),
            "advice": rule.get("advice", ""),
            "steps": "\n".join(rule.get("steps") or []),
            "codes": rule.get("codes") or [],
            "reply": rule.get("reply") or "",
            "suggested_outcome": rule.get("suggested_outcome") or "",
        }

    def apply_to(self, rule: dict[str, Any]) -> dict[str, Any]:
        d = self.cleaned_data
        when = {k: list(d[k]) for k in ("requester", "knew_before", "child") if d.get(k)}
        return {
            **rule,
            "title": d["title"],
            "when": when,
            "action": d["action"],
            "notify_manager": bool(d["notify_manager"]),
            "advice": d["advice"],
            "steps": [s.strip() for s in (d.get("steps") or "").splitlines() if s.strip()],
            "codes": list(d.get("codes") or []),
            "reply": d.get("reply") or "",
            "suggested_outcome": d.get("suggested_outcome") or "",
        }


class TemplateForm(HintedForm):
    title = forms.CharField(max_length=200, label="Title")
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=2000,
        label="Message",
        help_text="You can use {name} and {official_channels}.",
    )


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
