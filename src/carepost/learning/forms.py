from __future__ import annotations

from typing import Any

from django import forms

from carepost.learning import content


class ReflectionForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12, "aria-describedby": "reflection-hint"}),
        label="Your reflection",
        max_length=20_000,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CompleteForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    share_evidence = forms.BooleanField(
        required=False,
        label="Link my reflection to my badge as evidence",
        help_text="Anyone you show your badge to will be able to read your reflection.",
    )


class CommentForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label="Your comment", max_length=5000
    )


class EvidenceForm(forms.Form):
    public = forms.BooleanField(required=False)


class ModuleForm(forms.Form):
    title = forms.CharField(max_length=200, label="Title")
    summary = forms.CharField(max_length=500, label="Summary", help_text="One sentence.")
    guidance = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}),
        label="Guidance",
        help_text="Markdown. Write it for your staff, in plain English.",
    )
    activities = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Activities",
        required=False,
        help_text="One per line.",
    )
    links = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Links",
        required=False,
        help_text="One per line: a title, a space, then the web address.",
    )

    def clean_links(self) -> list[dict[str, str]]:
        out = []
        for line in (self.cleaned_data.get("links") or "").splitlines():
            if not line.strip():
                continue
            title, _, url = line.strip().rpartition(" ")
            if not url.startswith(("https://", "http://")):
                raise forms.ValidationError(f"“{line.strip()}” does not end with a web address.")
            out.append({"title": title.strip() or url, "url": url})
        return out

    def activity_list(self) -> list[str]:
        return [
            a.strip() for a in self.cleaned_data.get("activities", "").splitlines() if a.strip()
        ]


class IssuerForm(forms.Form):
    name = forms.CharField(max_length=200, label="Issuer name")
    email = forms.EmailField(label="Contact email shown on badges")
    url = forms.URLField(label="Website", assume_scheme="https")


SCORE_CHOICES = [(str(i), f"{i}") for i in range(1, 6)]


class SelfAssessmentForm(forms.Form):
    """One radio group per trait and per skill aspect, each scored 1 to 5."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        inst = content.instrument()
        choices = [(str(i), f"{i} {inst.scale[i - 1]}") for i in range(1, 6)]
        for t in inst.traits:
            self.fields[f"trait_{t.id}"] = forms.ChoiceField(
                choices=choices, widget=forms.RadioSelect, label=t.name, help_text=t.hint
            )
        for s in inst.skills:
            for aspect, label in content.SKILL_ASPECTS:
                self.fields[f"skill_{s.id}_{aspect}"] = forms.ChoiceField(
                    choices=choices, widget=forms.RadioSelect, label=f"{s.name}: {label}"
                )

    def trait_fields(self) -> list[forms.BoundField]:
        return [self[f"trait_{t.id}"] for t in content.instrument().traits]

    def skill_rows(self) -> list[tuple[content.Item, list[tuple[str, forms.BoundField]]]]:
        return [
            (s, [(label, self[f"skill_{s.id}_{a}"]) for a, label in content.SKILL_ASPECTS])
            for s in content.instrument().skills
        ]

    def scores(self) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
        d = self.cleaned_data
        inst = content.instrument()
        traits = {t.id: int(d[f"trait_{t.id}"]) for t in inst.traits}
        skills = {
            s.id: {a: int(d[f"skill_{s.id}_{a}"]) for a, _ in content.SKILL_ASPECTS}
            for s in inst.skills
        }
        return traits, skills


class ScenarioChoiceForm(forms.Form):
    path = forms.CharField(widget=forms.HiddenInput, required=False)
    choice = forms.ChoiceField(widget=forms.RadioSelect, label="What do you do?")

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["choice"].choices = choices  # type: ignore[attr-defined]
        self.fields["choice"].error_messages["required"] = "Choose what you would do."
