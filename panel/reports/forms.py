"""The notifications page's forms: a member's own reports, and the site's traffic alert thresholds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms

from panel.reports import webhooks
from panel.reports.models import MAX_SPIKE_VISITORS, AlertSettings


class SubscriptionForm(forms.Form):
    weekly = forms.BooleanField(required=False, label="Weekly report (Mondays)")
    monthly = forms.BooleanField(required=False, label="Monthly report (the 1st)")


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
        error_messages={"min_value": SPIKE_RANGE, "max_value": SPIKE_RANGE},
    )
    drop_percent = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=100,
        label="Drop: visitors in the last hour below this % of the usual hour",
        error_messages={"min_value": DROP_RANGE, "max_value": DROP_RANGE},
    )
    webhook_url = forms.URLField(
        required=False, max_length=500, assume_scheme="https", label="Webhook URL (optional, https)"
    )

    def clean_webhook_url(self) -> str:
        url: str = self.cleaned_data["webhook_url"]
        if url:
            webhooks.check_url(url)
        return url
