"""Forms of the sign-in pages (Swedish labels and errors, bounded input)."""

from __future__ import annotations

from django import forms


class CodeForm(forms.Form):
    kod = forms.CharField(
        label="Kod", max_length=32, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
        error_messages={"required": "Skriv koden.", "max_length": "Koden är för lång."},
    )


class PasskeyNameForm(forms.Form):
    namn = forms.CharField(label="Namn på nyckeln", max_length=64, required=False)
