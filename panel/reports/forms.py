"""The notifications page's forms: a member's own reports, and the site's traffic alert thresholds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError

from panel.reports import webhooks
from panel.reports.models import AlertSettings


class SubscriptionForm(forms.Form):
    weekly = forms.BooleanField(required=False, label="Weekly report (Mondays)")
    monthly = forms.BooleanField(required=False, label="Monthly report (the 1st)")


if TYPE_CHECKING:
    _AlertModelForm = forms.ModelForm[AlertSettings]
else:
    _AlertModelForm = forms.ModelForm  # not subscriptable at run time


class AlertForm(_AlertModelForm):
    class Meta:
        model = AlertSettings
        fields = ("spike_visitors", "drop_percent", "webhook_url")
        labels = {
            "spike_visitors": "Spike: visitors in the last hour above",
            "drop_percent": "Drop: visitors in the last hour below this % of the usual hour",
            "webhook_url": "Webhook URL (optional, https)",
        }

    webhook_url = forms.URLField(
        required=False, max_length=500, assume_scheme="https", label="Webhook URL (optional, https)"
    )

    def clean_spike_visitors(self) -> int | None:
        value: int | None = self.cleaned_data["spike_visitors"]
        if value is not None and value < 1:
            raise ValidationError("enter 1 or more, or leave empty for no spike alerts")
        return value

    def clean_drop_percent(self) -> int | None:
        value: int | None = self.cleaned_data["drop_percent"]
        if value is not None and not 1 <= value <= 100:
            raise ValidationError("enter a percentage from 1 to 100, or leave empty for no drop alerts")
        return value

    def clean_webhook_url(self) -> str:
        url: str = self.cleaned_data["webhook_url"]
        if url:
            webhooks.check_url(url)
        return url
