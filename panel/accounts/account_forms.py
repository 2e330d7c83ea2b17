"""Forms of the account page: a new email, a new password, new recovery codes, deleting the account.

Each that takes the current password checks it in ``clean_password``; the view counts the attempt
first (``login_views.password_counters``), so guesses are limited as at login.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm

from panel.accounts.models import User

REFUSED = "that is not your current password"


class _WithPassword(forms.Form):
    password = forms.CharField(
        label="Your current password",
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = str(self.cleaned_data["password"])
        if not self.user.check_password(password):
            raise forms.ValidationError(REFUSED, code="wrong_password")
        return password


class EmailChangeForm(_WithPassword):
    email = forms.EmailField(
        label="New email address", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    field_order = ("email", "password")

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).strip().lower()
        if email == self.user.email:
            raise forms.ValidationError("this is already your address")
        return email  # another account's or not: the view answers the same


class NewPasswordForm(PasswordChangeForm):
    """Django's form (current password, the new one twice, the password validators), in our words."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Your current password"
        self.fields["old_password"].widget.attrs.pop("autofocus", None)  # not the page's first field
        self.fields["new_password1"].label = "New password"
        self.fields["new_password1"].help_text = "At least 10 characters, not a common one."
        self.fields["new_password2"].label = "New password again"
        self.error_messages = {**self.error_messages, "password_incorrect": REFUSED}


class RecoveryCodesForm(forms.Form):
    secret = forms.CharField(
        label="Your password, or a code from your authenticator app",
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class DeleteAccountForm(_WithPassword):
    confirm = forms.CharField(label="Type your email address to confirm", max_length=254)
    field_order = ("confirm", "password")

    def clean_confirm(self) -> str:
        typed = str(self.cleaned_data["confirm"]).strip().lower()
        if typed != self.user.email:
            raise forms.ValidationError(f"type {self.user.email} exactly to confirm")
        return typed
