"""Forms of shared links: creating one (name, optional password) and unlocking one (its password)."""

from __future__ import annotations

from django import forms

MIN_PASSWORD = 8


class PasswordForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput, max_length=200, strip=False)


class SharedLinkForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Who it is for, e.g. “Investors”.")
    password = forms.CharField(
        widget=forms.PasswordInput,
        max_length=200,
        required=False,
        strip=False,
        help_text=f"Optional; at least {MIN_PASSWORD} characters.",
    )

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("give the link a name")
        return name

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if password and len(password) < MIN_PASSWORD:
            raise forms.ValidationError(f"use at least {MIN_PASSWORD} characters, or none")
        return password
