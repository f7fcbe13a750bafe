from django import forms


class TakeDownForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why is it being taken down?",
        max_length=1000,
    )
