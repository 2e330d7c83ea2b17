"""A site's goals and funnels settings pages (owners and admins): list, add, delete (asked first)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from analytics import MIN_STEPS
from panel.confirm import confirm_page
from panel.goals.models import Funnel, Goal
from panel.sites.access import site_admin
from panel.sites.goals_forms import FunnelForm, GoalForm
from panel.sites.models import Site
from panel.sites.pages import settings_page


@require_http_methods(["GET", "POST"])
@site_admin
def goals(request: HttpRequest, site: Site) -> HttpResponse:
    form = GoalForm(request.POST or None, site=site)
    if request.method == "POST" and form.is_valid():
        goal = form.save()
        messages.success(request, f"Goal “{goal.display_name}” added.")
        return redirect("site-settings-goals", domain=site.domain)
    return settings_page(
        request, site, "sites/settings/goals.html", "goals", form=form, goals=Goal.objects.for_site(site)
    )


@require_http_methods(["GET", "POST"])
@site_admin
def delete_goal(request: HttpRequest, site: Site, goal_id: int) -> HttpResponse:
    """GET asks; POST deletes (not a goal that is a funnel's step: that funnel goes first)."""
    goal = get_object_or_404(Goal.objects.for_site(site), pk=goal_id)
    if request.method != "POST":
        return confirm_page(
            request,
            question=f"Delete the goal “{goal.display_name}”?",
            consequence="The dashboard stops showing its conversions. The events stay recorded: "
            "adding the goal again shows them again.",
            action="Delete goal",
            cancel_url=reverse("site-settings-goals", args=[site.domain]),
            site=site,
            tab="goals",
        )
    try:
        goal.delete()
    except ProtectedError:
        used_by = ", ".join(sorted({step.funnel.name for step in goal.funnel_steps.select_related("funnel")}))
        messages.error(request, f"“{goal.display_name}” is a step of {used_by}: delete the funnel first.")
    else:
        messages.success(request, f"Goal “{goal.display_name}” deleted.")
    return redirect("site-settings-goals", domain=site.domain)


@require_http_methods(["GET", "POST"])
@site_admin
def funnels(request: HttpRequest, site: Site) -> HttpResponse:
    form = FunnelForm(request.POST or None, site=site)
    if request.method == "POST" and form.is_valid():
        funnel = Funnel.objects.create_with_steps(site, form.cleaned_data["name"], form.steps())
        messages.success(request, f"Funnel “{funnel.name}” added.")
        return redirect("site-settings-funnels", domain=site.domain)
    return settings_page(
        request,
        site,
        "sites/settings/funnels.html",
        "funnels",
        form=form,
        funnels=Funnel.objects.for_site(site),
        enough_goals=Goal.objects.for_site(site).count() >= MIN_STEPS,
    )


@require_http_methods(["GET", "POST"])
@site_admin
def delete_funnel(request: HttpRequest, site: Site, funnel_id: int) -> HttpResponse:
    """GET asks; POST deletes the funnel (its goals stay)."""
    funnel = get_object_or_404(Funnel.objects.for_site(site), pk=funnel_id)
    if request.method != "POST":
        return confirm_page(
            request,
            question=f"Delete the funnel “{funnel.name}”?",
            consequence="The dashboard stops showing it. Its goals stay, and so do the events.",
            action="Delete funnel",
            cancel_url=reverse("site-settings-funnels", args=[site.domain]),
            site=site,
            tab="funnels",
        )
    funnel.delete()
    messages.success(request, f"Funnel “{funnel.name}” deleted.")
    return redirect("site-settings-funnels", domain=site.domain)
