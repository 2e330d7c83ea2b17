"""Forms for a site's goals and funnels: every field checked as the query layer will check it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from analytics import MAX_FUNNEL_NAME, MAX_STEPS, MIN_STEPS, QueryError
from analytics import Goal as AnalyticsGoal
from panel.goals.models import Funnel, Goal
from panel.sites.models import Site

if TYPE_CHECKING:
    GoalModelForm = forms.ModelForm[Goal]
else:
    GoalModelForm = forms.ModelForm


class GoalForm(GoalModelForm):
    """A custom event goal (event name) or a pageview goal (page path with ``*``/``**``)."""

    kind = forms.ChoiceField(
        choices=[("event", "Custom event"), ("page", "Pageview")], initial="event", label="Goal type"
    )

    class Meta:
        model = Goal
        fields = ("kind", "event_name", "page_path", "display_name", "currency")
        labels = {"event_name": "Event name", "page_path": "Page path", "currency": "Revenue currency"}
        help_texts = {
            "event_name": "As your code or tagged elements send it, e.g. Signup.",
            "page_path": "For pageview goals: /pricing, /blog/** (* any characters but /, ** anything).",
            "display_name": "Optional: how the dashboard names it.",
            "currency": "Optional, custom events only: ISO 4217, e.g. EUR, to add up revenue.",
        }

    def __init__(self, *args: Any, site: Site, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.site = site
        self.site = site

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        event_name, page_path = (data.get("event_name") or "").strip(), (data.get("page_path") or "").strip()
        if kind == "event":
            if not event_name and "event_name" not in self.errors:
                self.add_error("event_name", "name the custom event")
            data["page_path"] = ""
        elif kind == "page":
            if not page_path and "page_path" not in self.errors:
                self.add_error("page_path", "give a page path, such as /pricing")
            data["event_name"], data["currency"] = "", ""
        if self.errors:
            return data
        try:
            goal = AnalyticsGoal(
                event_name=data.get("event_name", "").strip(),
                page_path=data.get("page_path", "").strip(),
                display_name=(data.get("display_name") or "").strip(),
                currency=(data.get("currency") or "").strip().upper(),
            )
        except QueryError as exc:
            field = "page_path" if kind == "page" else "event_name"
            if "currency" in exc.message:
                field = "currency"
            elif "display name" in exc.message:
                field = "display_name"
            self.add_error(field, exc.message)
            return data
        if Goal.objects.filter(site=self.site, display_name=goal.display_name).exists():
            self.add_error("display_name", f"this site already has a goal named {goal.display_name!r}")
        return data

    def _post_clean(self) -> None:
        """The model's own checks repeat the ones ``clean()`` made: run them only on a form without
        errors, so each problem shows once, beside its field (Django's hook; the stubs leave it out)."""
        if not self.errors:
            super()._post_clean()  # type: ignore[misc]


class FunnelForm(forms.Form):
    """A funnel's name and its steps: 2 to 8 of the site's goals, in order."""

    name = forms.CharField(max_length=MAX_FUNNEL_NAME)

    def __init__(self, *args: Any, site: Site, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.site = site
        goals = Goal.objects.for_site(site)
        for position in range(1, MAX_STEPS + 1):
            self.fields[f"step_{position}"] = forms.ModelChoiceField(
                queryset=goals,
                required=position <= MIN_STEPS,
                label=f"Step {position}",
                empty_label="—",
            )

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("give the funnel a name")
        if Funnel.objects.filter(site=self.site, name=name).exists():
            raise forms.ValidationError(f"this site already has a funnel named {name!r}")
        return name

    def steps(self) -> list[Goal]:
        """The chosen goals in order, gaps closed; call after ``is_valid()``."""
        chosen = (self.cleaned_data.get(f"step_{position}") for position in range(1, MAX_STEPS + 1))
        return [goal for goal in chosen if goal is not None]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        steps = self.steps()
        if len({goal.pk for goal in steps}) != len(steps):
            self.add_error(None, "each goal can be one step of a funnel only once")
        return data
