"""Forms for a site: adding one, its settings (general, shields, snippet options) and confirming a
deletion by typing its domain. Every field answers with a message naming what is wrong."""

from __future__ import annotations

import dataclasses
import re
import zoneinfo
from typing import TYPE_CHECKING, Any

from django import forms

from panel.accounts.models import User
from panel.sites.models import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS, Site, normalize_domain
from panel.sites.snippet import SnippetOptions

if TYPE_CHECKING:
    SiteModelForm = forms.ModelForm[Site]
else:
    SiteModelForm = forms.ModelForm

TIMEZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
_EXTENSION = re.compile(r"^[a-z0-9]{1,10}$")


class SiteForm(forms.Form):
    """A new site for ``user``: a domain of another organisation is refused without saying it exists."""

    domain = forms.CharField(max_length=300)
    timezone = forms.ChoiceField(  # the page sets the browser's zone (lantern/onboarding.js)
        choices=[(tz, tz) for tz in TIMEZONES],
        initial="UTC",
        widget=forms.Select(attrs={"data-browser-timezone": ""}),
    )

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_domain(self) -> str:
        domain = normalize_domain(self.cleaned_data["domain"])
        if refusal := Site.objects.why_not_addable(domain, self.user):
            raise forms.ValidationError(refusal)
        return domain


RETENTION_RANGE = f"keep events for between {MIN_RETENTION_DAYS} and {MAX_RETENTION_DAYS} days (10 years)"


class GeneralForm(SiteModelForm):
    timezone = forms.ChoiceField(
        choices=[(tz, tz) for tz in TIMEZONES], help_text="Days and hours on the dashboard are counted in it."
    )
    retention_days = forms.IntegerField(
        min_value=MIN_RETENTION_DAYS,
        max_value=MAX_RETENTION_DAYS,
        label="Keep events for (days)",
        help_text="From 30 days to 10 years; older events are deleted.",
        error_messages={"min_value": RETENTION_RANGE, "max_value": RETENTION_RANGE},
    )

    class Meta:
        model = Site
        fields = ("timezone", "retention_days")


class ShieldsForm(SiteModelForm):
    class Meta:
        model = Site
        fields = ("excluded_ips", "excluded_pages", "excluded_countries", "allowed_hostnames")
        labels = {
            "excluded_ips": "Excluded IP addresses",
            "excluded_pages": "Excluded pages",
            "excluded_countries": "Excluded countries",
            "allowed_hostnames": "Allowed hostnames",
        }
        help_texts = {
            "excluded_ips": "One a line: 203.0.113.7 or a CIDR range such as 2001:db8::/32.",
            "excluded_pages": "One a line: /admin/** (* is any characters but /, ** anything).",
            "excluded_countries": "One a line, as two-letter codes: DE, US.",
            "allowed_hostnames": "One a line: example.com or *.example.com. Empty counts every hostname.",
        }
        widgets = {name: forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}) for name in fields}


class SnippetForm(forms.Form):
    """The tracker's features, chosen by checkboxes (sent as GET, so the page is a plain link)."""

    outbound_links = forms.BooleanField(required=False, label="Outbound link clicks")
    file_downloads = forms.BooleanField(required=False, label="File downloads")
    file_types = forms.CharField(
        required=False,
        max_length=200,
        label="More download file types",
        help_text="Beyond pdf, xlsx, docx, zip, mp4, …: extensions separated by commas, e.g. epub,svg.",
    )
    tagged_events = forms.BooleanField(required=False, label="Tagged elements (lantern-event-name=… classes)")
    engagement = forms.BooleanField(required=False, label="Engagement: time on page and scroll depth")
    not_found = forms.BooleanField(required=False, label="404 pages (a tag for your 404 page)")
    hash_routing = forms.BooleanField(required=False, label="Hash routing (each #/route is a page)")
    custom_events = forms.BooleanField(required=False, label="Custom events from your code (queue stub)")
    localhost = forms.BooleanField(required=False, label="Count visits on localhost too")

    def clean_file_types(self) -> tuple[str, ...]:
        raw = self.cleaned_data["file_types"].lower()
        types = tuple(dict.fromkeys(t.strip().lstrip(".") for t in raw.split(",") if t.strip()))
        for extension in types:
            if not _EXTENSION.match(extension):
                raise forms.ValidationError(f"{extension!r} is not a file extension (letters and digits)")
        return types

    def options(self) -> SnippetOptions:
        """The chosen options; call after ``is_valid()``."""
        data: dict[str, Any] = self.cleaned_data
        return SnippetOptions(
            **{field.name: data[field.name] for field in dataclasses.fields(SnippetOptions)}
        )


class ConfirmDomainForm(forms.Form):
    """Typing the site's domain confirms a deletion."""

    confirm = forms.CharField(max_length=300, label="Type the domain to confirm")

    def __init__(self, *args: Any, domain: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.domain = domain

    def clean_confirm(self) -> str:
        typed: str = self.cleaned_data["confirm"].strip().lower()
        if typed != self.domain:
            raise forms.ValidationError(f"type {self.domain} exactly to confirm")
        return typed
