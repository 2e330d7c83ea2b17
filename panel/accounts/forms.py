"""Sign-up form: email and password, validated by Django's password validators."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation

from panel.accounts.models import User


class SignupForm(forms.Form):
    email = forms.EmailField(max_length=254)
    password = forms.CharField(widget=forms.PasswordInput, max_length=200)

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).strip().lower()
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError("an account with this email already exists")
        return email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if password:
            try:
                password_validation.validate_password(password, User(email=cleaned.get("email", "")))
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned
