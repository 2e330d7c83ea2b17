"""A site's goals (a custom event, or pageviews of a path with ``*``/``**`` wildcards) and funnels
(2 to 8 of its goals in order). The query layer gets them as plain values:

>>> goals = Goal.objects.analytics_goals(site)  # doctest: +SKIP
>>> Query(..., goals=goals)  # doctest: +SKIP
>>> funnel = Funnel.objects.create_with_steps(site, "Signup", [home, pricing, signup])  # doctest: +SKIP
>>> run_funnel(site.id, date_range, funnel.to_analytics(), goals=goals)  # doctest: +SKIP

Validation is the query layer's own (``analytics.Goal``, ``analytics.Funnel``), so a
stored goal or funnel is always one the query layer accepts. A goal used by a funnel cannot be
deleted until the funnel is (``PROTECT``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from analytics import MAX_DISPLAY_NAME, MAX_EVENT_NAME, MAX_FUNNEL_NAME, MAX_PAGE_PATH, QueryError
from analytics import Funnel as AnalyticsFunnel
from analytics import Goal as AnalyticsGoal
from panel.sites.models import Site


class GoalQuerySet(models.QuerySet["Goal"]):
    def for_site(self, site: Site) -> GoalQuerySet:
        return self.filter(site=site).order_by("display_name")

    def analytics_goals(self, site: Site) -> tuple[AnalyticsGoal, ...]:
        """The site's goals as the query layer takes them (``Query.goals``)."""
        return tuple(goal.to_analytics() for goal in self.for_site(site))


class Goal(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="goals")
    event_name = models.CharField(max_length=MAX_EVENT_NAME, blank=True, default="")
    page_path = models.CharField(max_length=MAX_PAGE_PATH, blank=True, default="")
    display_name = models.CharField(max_length=MAX_DISPLAY_NAME, blank=True, default="")
    currency = models.CharField(max_length=3, blank=True, default="", help_text="revenue goals: ISO 4217")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GoalQuerySet.as_manager()

    class Meta:
        ordering = ("display_name",)
        constraints = [
            models.UniqueConstraint(
                fields=["site", "display_name"], name="goal_display_name_unique_per_site"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.display_name:
            self.display_name = self.event_name or f"Visit {self.page_path}"
        super().save(*args, **kwargs)

    def to_analytics(self) -> AnalyticsGoal:
        return AnalyticsGoal(
            event_name=self.event_name,
            page_path=self.page_path,
            display_name=self.display_name,
            currency=self.currency,
        )

    def clean(self) -> None:
        """Checks the goal as the query layer will, and fills in the default display name."""
        self.event_name, self.page_path = self.event_name.strip(), self.page_path.strip()
        self.display_name, self.currency = self.display_name.strip(), self.currency.strip().upper()
        try:
            self.display_name = self.to_analytics().display_name
        except QueryError as exc:
            raise ValidationError(exc.message, code="goal") from None


class FunnelQuerySet(models.QuerySet["Funnel"]):
    def for_site(self, site: Site) -> FunnelQuerySet:
        return self.filter(site=site).order_by("name")

    @transaction.atomic
    def create_with_steps(self, site: Site, name: str, goals: Sequence[Goal]) -> Funnel:
        """A funnel of ``goals`` in order (2 to 8 of the site's goals); ValidationError otherwise."""
        funnel = Funnel(site=site, name=name.strip())
        funnel.full_clean()
        funnel.save()
        funnel.set_steps(goals)
        return funnel


class Funnel(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="funnels")
    name = models.CharField(max_length=MAX_FUNNEL_NAME)
    goals: models.ManyToManyField[Goal, FunnelStep] = models.ManyToManyField(
        Goal, through="FunnelStep", related_name="funnels"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FunnelQuerySet.as_manager()

    class Meta:
        ordering = ("name",)
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="funnel_name_unique_per_site")]

    def __str__(self) -> str:
        return self.name

    def ordered_goals(self) -> list[Goal]:
        return [step.goal for step in self.steps.select_related("goal").order_by("position")]

    @transaction.atomic
    def set_steps(self, goals: Sequence[Goal]) -> None:
        """Replace the steps with ``goals``, in order; ValidationError unless 2..8 of this site's goals."""
        if any(goal.site_id != self.site_id for goal in goals):
            raise ValidationError("a funnel's steps are goals of its own site", code="funnel")
        try:
            AnalyticsFunnel(self.name, tuple(goal.to_analytics() for goal in goals))
        except QueryError as exc:
            raise ValidationError(exc.message, code="funnel") from None
        self.steps.all().delete()
        FunnelStep.objects.bulk_create(
            FunnelStep(funnel=self, goal=goal, position=index) for index, goal in enumerate(goals)
        )

    def to_analytics(self) -> AnalyticsFunnel:
        return AnalyticsFunnel(self.name, tuple(goal.to_analytics() for goal in self.ordered_goals()))


class FunnelStep(models.Model):
    funnel = models.ForeignKey(Funnel, on_delete=models.CASCADE, related_name="steps")
    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="funnel_steps")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ("position",)
        constraints = [
            models.UniqueConstraint(fields=["funnel", "position"], name="funnel_step_position_unique"),
            models.UniqueConstraint(fields=["funnel", "goal"], name="funnel_step_goal_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.funnel} step {self.position + 1}"
