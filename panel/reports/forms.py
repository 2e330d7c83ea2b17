"""The notifications page's forms: a member's own reports, and the site's traffic alert thresholds, with
the sentence the page shows once either is saved.

    >>> describe_alerts(AlertSettings(spike_visitors=5000))
    'Saved: a spike alert above 5,000 visitors in an hour; drop alerts are off.'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms

from panel.reports import webhooks
from panel.reports.models import MAX_SPIKE_VISITORS, AlertSettings


class SubscriptionForm(forms.Form):
    weekly = forms.BooleanField(required=False, label="Weekly report (Mondays)")
    monthly = forms.BooleanField(required=False, label="Monthly report (the 1st)")

    def describe(self, domain: str, email: str) -> str:
        """What the member now gets, once the form is valid."""
        chosen = [kind for kind in ("weekly", "monthly") if self.cleaned_data[kind]]
        if not chosen:
            return f"Saved: you get no email reports of {domain}."
        reports = " and the ".join(chosen)
        return f"Saved: you get the {reports} report{'s' if len(chosen) > 1 else ''} of {domain} at {email}."


if TYPE_CHECKING:
    _AlertModelForm = forms.ModelForm[AlertSettings]
else:
    _AlertModelForm = forms.ModelForm  # not subscriptable at run time


SPIKE_RANGE = "enter a number of visitors from 1 to 10 million, or leave empty for no spike alerts"
DROP_RANGE = "enter a percentage from 1 to 100, or leave empty for no drop alerts"


class AlertForm(_AlertModelForm):
    class Meta:
        model = AlertSettings
        fields = ("spike_visitors", "drop_percent", "webhook_url")

    spike_visitors = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_SPIKE_VISITORS,
        label="Spike: visitors in the last hour above",
        help_text="Empty: no spike alerts.",
        error_messages={"min_value": SPIKE_RANGE, "max_value": SPIKE_RANGE},
    )
    drop_percent = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=100,
        label="Drop: visitors in the last hour below this % of the usual hour",
        help_text="The usual hour is the mean of the week before. Empty: no drop alerts.",
        error_messages={"min_value": DROP_RANGE, "max_value": DROP_RANGE},
    )
    webhook_url = forms.URLField(
        required=False,
        max_length=500,
        assume_scheme="https",
        label="Webhook URL (optional, https)",
        help_text="Each alert is also POSTed there as JSON, signed with the secret below.",
    )

    def clean_webhook_url(self) -> str:
        url: str = self.cleaned_data["webhook_url"]
        if url:
            webhooks.check_url(url)
        return url


def describe_alerts(saved: AlertSettings) -> str:
    """The alerts now on, in words, for the message after saving."""
    on, off = [], []
    if saved.spike_visitors is not None:
        on.append(f"a spike alert above {saved.spike_visitors:,} visitors in an hour")
    else:
        off.append("spike")
    if saved.drop_percent is not None:
        on.append(f"a drop alert below {saved.drop_percent}% of the usual hour")
    else:
        off.append("drop")
    if not on:
        return "Saved: traffic alerts are off."
    sentence = "Saved: " + " and ".join(on)
    sentence += f"; {off[0]} alerts are off." if off else "."
    if saved.webhook_url:
        sentence += " Alerts are also POSTed to the webhook."
    return sentence
