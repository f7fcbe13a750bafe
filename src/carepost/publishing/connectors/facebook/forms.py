"""Forms for connecting a Facebook Page: the channel's name, then which Page."""

from __future__ import annotations

from typing import Any

from django import forms


class ConnectForm(forms.Form):
    name = forms.CharField(
        label="Channel name",
        max_length=100,
        help_text="The name staff will see when choosing where to publish, "
        "for example “Thistle Care Facebook”.",
    )

    def __init__(self, *args: Any, taken: set[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.taken = {t.casefold() for t in taken or set()}

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the channel a name staff will recognise.")
        if name.casefold() in self.taken:
            raise forms.ValidationError(f"There is already a channel called {name}.")
        return name


class ChoosePageForm(forms.Form):
    """The radio list is written out in the template (choose.html) with its legend."""

    page = forms.ChoiceField(label="Facebook Page", widget=forms.RadioSelect)

    def __init__(
        self,
        *args: Any,
        pages: list[dict[str, Any]],
        required_page: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.pages = {p["id"]: p for p in pages}
        self.required_page = required_page
        field = self.fields["page"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(p["id"], p["name"]) for p in pages]
        field.error_messages = {
            "required": "Choose the Page Carepost should post to.",
            "invalid_choice": "Choose one of the Pages listed.",
        }

    def clean_page(self) -> str:
        page_id: str = self.cleaned_data["page"]
        required = self.required_page
        if required and page_id != required["id"]:
            chosen = self.pages[page_id]["name"]
            raise forms.ValidationError(
                f"This channel posts to the Page “{required['name']}”, but you chose "
                f"“{chosen}”. Choose “{required['name']}” to reconnect it. To post to "
                f"“{chosen}” instead, connect it as a new channel."
            )
        return page_id
