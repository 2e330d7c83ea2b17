"""The upload form of an import: the zip, and optionally the days to take (both or neither)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from panel.uploads import MAX_UPLOAD_BYTES


class UploadForm(forms.Form):
    export = forms.FileField(
        label="Export (zip)",
        help_text="The zip Plausible's Settings → Imports & Exports makes, or another Lantern's full"
        f" export (Settings → Export), up to {MAX_UPLOAD_BYTES // 1024**2} MB.",
    )
    first = forms.DateField(
        label="From (optional)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    last = forms.DateField(
        label="To (optional)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_export(self) -> Any:
        upload = self.cleaned_data["export"]
        if not str(upload.name).lower().endswith(".zip"):
            raise forms.ValidationError("choose the export's .zip file")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"the file is larger than {MAX_UPLOAD_BYTES // 1024**2} MB")
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first"), data.get("last")
        if (first is None) != (last is None) and not self.errors:
            raise forms.ValidationError("give both days of the range, or neither")
        if first and last and first > last:
            self.add_error("last", "the last day is before the first")
        return data

    def wanted(self) -> tuple[dt.date, dt.date] | None:
        first, last = self.cleaned_data.get("first"), self.cleaned_data.get("last")
        return (first, last) if first and last else None
