"""The goals app: Goal and Funnel models, validated as the query layer validates them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from analytics import goals as analytics_goals
from panel.goals.models import Funnel, Goal
from tests.conftest import Persona


def goal(persona: Persona, **fields: str) -> Goal:
    made = Goal(site=persona.site, **fields)
    made.full_clean()
    made.save()
    return made


def test_it_defaults_the_display_name_and_hands_goals_to_the_query_layer(owner: Persona) -> None:
    goal(owner, event_name="Signup")
    goal(owner, page_path="/blog/**")
    goal(owner, event_name="Purchase", display_name="Buy", currency="eur")
    assert Goal.objects.analytics_goals(owner.site) == (
        analytics_goals.Goal(event_name="Purchase", display_name="Buy", currency="EUR"),
        analytics_goals.Goal(event_name="Signup", display_name="Signup"),
        analytics_goals.Goal(page_path="/blog/**", display_name="Visit /blog/**"),
    )


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"event_name": "Signup", "page_path": "/"},
        {"event_name": "pageview"},
        {"page_path": "blog"},
        {"page_path": "/", "currency": "EUR"},
        {"event_name": "Purchase", "currency": "euro"},
        {"event_name": "Purchase", "currency": "XYZ"},
        {"event_name": "x" * 121},
    ],
)
def test_it_refuses_goals_the_query_layer_would_not_take(owner: Persona, fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Goal(site=owner.site, **fields).full_clean()


def test_display_names_are_unique_per_site(owner: Persona, outsider: Persona) -> None:
    goal(owner, event_name="Signup")
    goal(outsider, event_name="Signup")  # another site may
    with pytest.raises(ValidationError):
        goal(owner, page_path="/join", display_name="Signup")
    with transaction.atomic(), pytest.raises(IntegrityError):
        Goal.objects.create(site=owner.site, page_path="/join", display_name="Signup")


def test_a_funnel_keeps_its_steps_in_order(owner: Persona) -> None:
    home, pricing, signup = (
        goal(owner, page_path="/"),
        goal(owner, page_path="/pricing"),
        goal(owner, event_name="Signup"),
    )
    funnel = Funnel.objects.create_with_steps(owner.site, "Signup flow", [pricing, home, signup])
    assert funnel.ordered_goals() == [pricing, home, signup]
    assert [g.display_name for g in funnel.to_analytics().steps] == ["Visit /pricing", "Visit /", "Signup"]
    funnel.set_steps([home, signup])
    assert funnel.ordered_goals() == [home, signup]
    with pytest.raises(ProtectedError):  # a goal in use by a funnel stays until the funnel goes
        home.delete()


def test_a_funnel_needs_two_to_eight_goals_of_its_site(owner: Persona, outsider: Persona) -> None:
    home, signup = goal(owner, page_path="/"), goal(owner, event_name="Signup")
    theirs = goal(outsider, event_name="Signup")
    for steps in ([home], [home, theirs], [home, home], [home, signup] * 5):
        with pytest.raises(ValidationError):
            Funnel.objects.create_with_steps(owner.site, f"bad {len(steps)}", steps)
    assert not Funnel.objects.filter(site=owner.site).exists()  # nothing half-made is left
    with pytest.raises(ValidationError):
        Funnel.objects.create_with_steps(owner.site, "  ", [home, signup])
