"""Goals and funnels settings pages: owners and admins add and delete them, every field's error named."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from panel.goals.models import Funnel, Goal
from tests.conftest import Persona
from tests.test_pages import assert_form_error


def member(persona: Persona) -> Client:
    browser = Client()
    browser.force_login(persona.user)
    return browser


def test_goals_are_added_listed_and_deleted(owner: Persona) -> None:
    browser = member(owner)
    event = browser.post(
        "/example.com/settings/goals/", {"kind": "event", "event_name": "Signup", "currency": "eur"}
    )
    assert event.status_code == 302
    page = browser.post(
        "/example.com/settings/goals/", {"kind": "page", "page_path": "/blog/**", "event_name": "ignored"}
    )
    assert page.status_code == 302
    goals = {g.display_name: g for g in Goal.objects.filter(site=owner.site)}
    assert set(goals) == {"Signup", "Visit /blog/**"}
    assert goals["Signup"].currency == "EUR" and goals["Visit /blog/**"].event_name == ""
    listing = browser.get("/example.com/settings/goals/").content.decode()
    assert "Visit /blog/**" in listing and "Signup" in listing
    assert browser.post(f"/example.com/settings/goals/{goals['Signup'].pk}/delete").status_code == 302
    assert not Goal.objects.filter(pk=goals["Signup"].pk).exists()


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"kind": "event", "event_name": ""}, "event_name"),
        ({"kind": "event", "event_name": "pageview"}, "event_name"),
        ({"kind": "page", "page_path": ""}, "page_path"),
        ({"kind": "page", "page_path": "no-slash"}, "page_path"),
        ({"kind": "event", "event_name": "Buy", "currency": "euros"}, "currency"),
        ({"kind": "nope", "event_name": "Buy"}, "kind"),
        ({"kind": "event", "event_name": "x" * 500}, "event_name"),
    ],
)
def test_goal_errors_name_the_field(owner: Persona, form: dict[str, str], field: str) -> None:
    assert_form_error(member(owner).post("/example.com/settings/goals/", form), field)
    assert not Goal.objects.exists()


@pytest.mark.parametrize("currency", ["xyz", "ABC", "EU1"])
def test_a_currency_must_be_an_iso_4217_code(owner: Persona, currency: str) -> None:
    form = {"kind": "event", "event_name": "Buy", "currency": currency}
    response = member(owner).post("/example.com/settings/goals/", form)
    assert_form_error(response, "currency")
    message = f"currency &#x27;{currency.upper()}&#x27; is not an ISO 4217 currency code, such as EUR or USD"
    assert f'<p class="error" data-field="currency">{message}</p>' in response.content.decode()
    assert not Goal.objects.exists()


@pytest.mark.parametrize("currency", ["usd", "JPY", "chf", "XCG", "ZWG"])
def test_current_iso_4217_codes_are_taken(owner: Persona, currency: str) -> None:
    form = {"kind": "event", "event_name": "Buy", "currency": currency}
    assert member(owner).post("/example.com/settings/goals/", form).status_code == 302
    assert Goal.objects.get().currency == currency.upper()


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"kind": "page", "page_path": "no-slash"}, "a page path starts with /"),
        (
            {"kind": "event", "event_name": "pageview"},
            "&#x27;pageview&#x27; is not a custom event; use a page path goal for pageviews",
        ),
        (
            {"kind": "event", "event_name": "x" * 500},
            "Ensure this value has at most 120 characters (it has 500).",
        ),
        ({"kind": "event", "event_name": ""}, "name the custom event"),
    ],
)
def test_a_goal_error_is_one_line(owner: Persona, form: dict[str, str], error: str) -> None:
    response = member(owner).post("/example.com/settings/goals/", form)
    assert response.status_code == 400
    assert re.findall(r'<p class="error"[^>]*>(.*?)</p>', response.content.decode()) == [error]


def test_a_goal_name_is_unique_per_site(owner: Persona) -> None:
    browser = member(owner)
    browser.post("/example.com/settings/goals/", {"kind": "event", "event_name": "Signup"})
    assert_form_error(
        browser.post("/example.com/settings/goals/", {"kind": "event", "event_name": "Signup"}),
        "display_name",
    )
    assert Goal.objects.count() == 1


def make_goals(owner: Persona) -> list[Goal]:
    return [
        Goal.objects.create(site=owner.site, page_path="/"),
        Goal.objects.create(site=owner.site, page_path="/pricing"),
        Goal.objects.create(site=owner.site, event_name="Signup"),
    ]


def test_funnels_are_added_in_order_and_deleted(owner: Persona) -> None:
    home, pricing, signup = make_goals(owner)
    browser = member(owner)
    response = browser.post(
        "/example.com/settings/funnels/",
        {"name": "Signup flow", "step_1": home.pk, "step_2": pricing.pk, "step_4": signup.pk},
    )
    assert response.status_code == 302
    funnel = Funnel.objects.get(site=owner.site)
    assert [g.pk for g in funnel.ordered_goals()] == [home.pk, pricing.pk, signup.pk]
    assert (
        "Visit / → Visit /pricing → Signup" in browser.get("/example.com/settings/funnels/").content.decode()
    )
    # a goal in a funnel cannot go until the funnel does
    blocked = browser.post(f"/example.com/settings/goals/{home.pk}/delete", follow=True)
    assert Goal.objects.filter(pk=home.pk).exists() and "delete the funnel first" in blocked.content.decode()
    assert browser.post(f"/example.com/settings/funnels/{funnel.pk}/delete").status_code == 302
    assert not Funnel.objects.exists()
    assert browser.post(f"/example.com/settings/goals/{home.pk}/delete").status_code == 302


@pytest.mark.parametrize(
    ("steps", "field"),
    [({"step_1": "0"}, "step_2"), ({}, "step_1"), ({"step_1": "999999", "step_2": "999998"}, "step_1")],
)
def test_funnel_errors_name_the_field(owner: Persona, steps: dict[str, str], field: str) -> None:
    make_goals(owner)
    first = str(Goal.objects.first().pk)  # type: ignore[union-attr]
    form = {"name": "F", **{k: (first if v == "0" else v) for k, v in steps.items()}}
    assert_form_error(member(owner).post("/example.com/settings/funnels/", form), field)
    assert not Funnel.objects.exists()


def test_a_funnel_step_repeated_is_refused(owner: Persona) -> None:
    home, _, _ = make_goals(owner)
    response = member(owner).post(
        "/example.com/settings/funnels/", {"name": "F", "step_1": home.pk, "step_2": home.pk}
    )
    assert response.status_code == 400 and b"only once" in response.content
    assert not Funnel.objects.exists()


def test_another_sites_goals_are_not_offered_nor_deletable(owner: Persona, outsider: Persona) -> None:
    theirs = Goal.objects.create(site=outsider.site, event_name="Theirs")
    make_goals(owner)
    response = member(owner).post(
        "/example.com/settings/funnels/", {"name": "F", "step_1": theirs.pk, "step_2": theirs.pk}
    )
    assert_form_error(response, "step_1")
    assert member(owner).post(f"/example.com/settings/goals/{theirs.pk}/delete").status_code == 404
    assert Goal.objects.filter(pk=theirs.pk).exists()
    assert member(outsider).get("/example.com/settings/goals/").status_code == 404
    assert member(outsider).get("/example.com/settings/funnels/").status_code == 404


def test_deleting_the_site_takes_its_goals_and_funnels(owner: Persona, events_table: None) -> None:
    home, pricing, _ = make_goals(owner)
    Funnel.objects.create_with_steps(owner.site, "F", [home, pricing])
    response = member(owner).post("/example.com/settings/danger/delete", {"delete-confirm": "example.com"})
    assert response.status_code == 302
    assert not Goal.objects.exists() and not Funnel.objects.exists()
