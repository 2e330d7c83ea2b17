"""Validation of Sites API bodies; every error names its field."""

from __future__ import annotations

from django import forms

from panel.accounts.models import User
from panel.sites.forms import TIMEZONES, SiteForm
from panel.sites.models import Site, normalize_domain


class CreateSiteForm(SiteForm):
    """Plausible's fields: ``domain``, and ``timezone`` (default UTC)."""


class UpdateSiteForm(forms.Form):
    """Any of ``domain`` (renames the site), ``timezone`` and ``retention_days``."""

    domain = forms.CharField(max_length=300, required=False)
    timezone = forms.ChoiceField(choices=[(tz, tz) for tz in TIMEZONES], required=False)
    retention_days = forms.IntegerField(min_value=30, max_value=3650, required=False)

    def __init__(self, data: dict[str, str], site: Site, user: User | None = None) -> None:
        super().__init__(data)
        self.site = site
        self.user = user

    def clean_domain(self) -> str:
        raw = self.cleaned_data["domain"]
        if not raw:
            return ""
        domain = normalize_domain(raw)
        if refusal := Site.objects.why_not_addable(domain, self.user, renaming=self.site):
            raise forms.ValidationError(refusal)
        return domain

    def changes(self) -> dict[str, object]:
        return {
            name: self.cleaned_data[name] for name in self.fields if self.data.get(name) not in (None, "")
        }


def first_error(form: forms.Form) -> str:
    """``field: message`` for the form's first error."""
    field, errors = next(iter(form.errors.items()))
    return f"{field}: {errors[0]}"
