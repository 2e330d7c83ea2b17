"""Adding a site: its domain and the timezone its days are counted in."""

from __future__ import annotations

import zoneinfo

from django import forms

from panel.sites.models import Site, normalize_domain

TIMEZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


class SiteForm(forms.Form):
    domain = forms.CharField(max_length=300)
    timezone = forms.ChoiceField(choices=[(tz, tz) for tz in TIMEZONES], initial="UTC")

    def clean_domain(self) -> str:
        domain = normalize_domain(self.cleaned_data["domain"])
        if Site.objects.filter(domain=domain).exists():
            raise forms.ValidationError("this domain is already registered")
        return domain
