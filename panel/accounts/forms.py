"""Account forms: sign-up, the second-factor code, organisations, invitations, roles, ownership."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation

from panel.accounts.models import Membership, Organisation, Role, User


class SignupForm(forms.Form):
    email = forms.EmailField(max_length=254)
    password = forms.CharField(widget=forms.PasswordInput, max_length=200)

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()  # taken or not: the view answers the same

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if password:
            try:
                password_validation.validate_password(password, User(email=cleaned.get("email", "")))
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class CodeForm(forms.Form):
    """A six-digit code from the authenticator app, or one of the recovery codes."""

    code = forms.CharField(
        max_length=32,
        label="Code from your authenticator app (or a recovery code)",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text"}),
    )

    def clean_code(self) -> str:
        code = str(self.cleaned_data["code"]).strip()
        if not code:
            raise forms.ValidationError("enter the code")
        return code


def _plain_text(value: str, field: str) -> str:
    value = value.strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise forms.ValidationError(f"the {field} cannot contain line breaks or control characters")
    return value


class OrganisationForm(forms.Form):
    name = forms.CharField(max_length=200, label="Organisation name")

    def clean_name(self) -> str:
        name = _plain_text(str(self.cleaned_data["name"]), "name")
        if not name:
            raise forms.ValidationError("enter a name")
        return name


ASSIGNABLE_ROLES = [
    (Role.ADMIN.value, "Admin: manages members, sites and keys"),
    (Role.VIEWER.value, "Viewer: reads dashboards"),
]


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254)
    role = forms.ChoiceField(choices=ASSIGNABLE_ROLES, initial=Role.VIEWER.value)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).strip().lower()
        if Membership.objects.filter(organisation=self.organisation, user__email=email).exists():
            raise forms.ValidationError("this person is already a member")
        return email


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=ASSIGNABLE_ROLES)


class _MemberChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.user.email)


class TransferForm(forms.Form):
    member = _MemberChoice(queryset=Membership.objects.none(), label="New owner")

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        member_field = self.fields["member"]
        assert isinstance(member_field, forms.ModelChoiceField)
        member_field.queryset = (
            Membership.objects.filter(organisation=organisation)
            .exclude(role=Role.OWNER)
            .select_related("user")
        )
