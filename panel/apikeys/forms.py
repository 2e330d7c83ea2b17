"""Creating a key: a name and the scopes, limited to what the creator's role may give."""

from __future__ import annotations

from typing import Any

from django import forms

from panel.accounts.models import role_at_least
from panel.apikeys.models import SCOPE_ROLE, SCOPES

SCOPE_HELP = {
    "stats:read": "stats:read: read statistics through the Stats API",
    "events:write": "events:write: send events from a server (owners and admins)",
    "sites:write": "sites:write: create, change and delete sites through the Sites API (owners and admins)",
}


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name (to recognise the key by)")
    scopes = forms.MultipleChoiceField(
        choices=[(s, SCOPE_HELP[s]) for s in SCOPES],
        widget=forms.CheckboxSelectMultiple,
        initial=["stats:read"],
        error_messages={"required": "choose at least one scope"},
    )

    def __init__(self, *args: Any, role: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role = role

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        if any(ord(c) < 32 for c in name):
            raise forms.ValidationError("the name cannot contain line breaks or control characters")
        if not name:
            raise forms.ValidationError("enter a name")
        return name

    def clean_scopes(self) -> list[str]:
        scopes = [str(s) for s in self.cleaned_data["scopes"]]
        refused = [s for s in scopes if not role_at_least(self.role, SCOPE_ROLE[s])]
        if refused:
            raise forms.ValidationError(f"only owners and admins may create keys with {', '.join(refused)}")
        return scopes
