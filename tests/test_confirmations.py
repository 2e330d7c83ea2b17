"""Destructive actions are asked first: revoking an API key, deleting a goal or a funnel, revoking a
shared link, removing a member or leaving. The lists link to a page (GET, which changes nothing)
that says what will happen, with the button that POSTs it and a way back; the same rules of who may
do it apply to asking (404 for another organisation, 403 for a viewer)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from panel.accounts.models import Membership, Role
from panel.apikeys.models import ApiKey
from panel.goals.models import Funnel, Goal
from panel.sharing.models import SharedLink
from tests.accounts_helpers import fresh_counters, logged_in, member_of, org_of, page  # noqa: F401  # autouse fixture
from tests.conftest import Persona

pytestmark = pytest.mark.django_db


def asks(response: Any, question: str, action: str, cancel: str, post_to: str) -> None:
    """The confirmation page: the question, the button posting to the action's URL, the way back."""
    assert response.status_code == 200
    body = page(response)
    assert f'<h2 id="confirm-question">{html.escape(question)}</h2>' in body, body
    assert f'<form method="post" action="{post_to}" class="card danger confirm"' in body
    assert re.search(r'name="csrfmiddlewaretoken" value="[^"]+"', body)
    assert f'<button type="submit" class="danger" id="confirm-action">{action}</button>' in body
    assert f'<a class="button secondary" id="confirm-cancel" href="{cancel}">Cancel</a>' in body
    assert "<script>" not in body and " onclick" not in body


def test_each_list_links_to_the_question_not_to_the_action(owner: Persona) -> None:
    org = org_of(owner)
    key = ApiKey.objects.get(user=owner.user)
    goal = Goal.objects.create(site=owner.site, event_name="Signup")
    other = Goal.objects.create(site=owner.site, page_path="/pricing")
    funnel = Funnel.objects.create_with_steps(owner.site, "Flow", [goal, other])
    link = SharedLink.objects.create_for(owner.site, name="Board")
    teammate = member_of(org, "team@example.com", Role.VIEWER)
    membership = Membership.objects.get(user=teammate, organisation=org)
    browser = logged_in(owner.user)
    lists = {
        f"/orgs/{org.pk}/keys/": f"/orgs/{org.pk}/keys/{key.pk}/revoke/",
        "/example.com/settings/goals/": f"/example.com/settings/goals/{goal.pk}/delete",
        "/example.com/settings/funnels/": f"/example.com/settings/funnels/{funnel.pk}/delete",
        "/example.com/settings/links/": f"/example.com/settings/links/{link.pk}/revoke",
        f"/orgs/{org.pk}/": f"/orgs/{org.pk}/members/{membership.pk}/remove/",
    }
    for listing, action in lists.items():
        body = page(browser.get(listing))
        assert f'<a class="small" href="{action}">' in body, listing
        assert f'action="{action}"' not in body, f"{listing} still acts in one click"


def test_asking_changes_nothing_and_posting_acts(owner: Persona) -> None:
    org = org_of(owner)
    browser = logged_in(owner.user)
    key = ApiKey.objects.get(user=owner.user)
    revoke = f"/orgs/{org.pk}/keys/{key.pk}/revoke/"
    asks(
        browser.get(revoke),
        f"Revoke the key “tests” ({key.prefix}…)?",
        "Revoke key",
        f"/orgs/{org.pk}/keys/",
        revoke,
    )
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None
    assert browser.post(revoke).status_code == 302
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert browser.get(revoke).status_code == 404  # revoked keys are not asked about again

    goal = Goal.objects.create(site=owner.site, event_name="Signup")
    delete = f"/example.com/settings/goals/{goal.pk}/delete"
    asks(
        browser.get(delete),
        "Delete the goal “Signup”?",
        "Delete goal",
        "/example.com/settings/goals/",
        delete,
    )
    assert page(browser.get(delete)).count('class="active" aria-current="page">Goals</a>') == 1  # in its tab
    assert Goal.objects.filter(pk=goal.pk).exists()
    assert browser.post(delete).status_code == 302 and not Goal.objects.filter(pk=goal.pk).exists()

    link = SharedLink.objects.create_for(owner.site, name="<b>Board</b>")
    revoke = f"/example.com/settings/links/{link.pk}/revoke"
    asks(
        browser.get(revoke),
        "Revoke the shared link “<b>Board</b>”?",
        "Revoke link",
        "/example.com/settings/links/",
        revoke,
    )
    assert "<b>Board</b>" not in page(browser.get(revoke))  # escaped
    assert SharedLink.objects.filter(pk=link.pk).exists()
    assert browser.post(revoke).status_code == 302 and not SharedLink.objects.filter(pk=link.pk).exists()

    teammate = member_of(org, "team@example.com", Role.ADMIN)
    membership = Membership.objects.get(user=teammate, organisation=org)
    remove = f"/orgs/{org.pk}/members/{membership.pk}/remove/"
    asks(
        browser.get(remove),
        f"Remove team@example.com from {org.name}?",
        "Remove member",
        f"/orgs/{org.pk}/",
        remove,
    )
    assert Membership.objects.filter(pk=membership.pk).exists()
    leave = logged_in(teammate).get(remove)
    asks(leave, f"Leave {org.name}?", "Leave", f"/orgs/{org.pk}/", remove)
    assert (
        browser.post(remove).status_code == 302 and not Membership.objects.filter(pk=membership.pk).exists()
    )


def test_asking_follows_the_same_rules_as_acting(owner: Persona, outsider: Persona) -> None:
    org = org_of(owner)
    key = ApiKey.objects.get(user=owner.user)
    goal = Goal.objects.create(site=owner.site, event_name="Signup")
    owner_membership = Membership.objects.get(user=owner.user, organisation=org)
    viewer = member_of(org, "viewer@example.com", Role.VIEWER)
    outsiders = logged_in(outsider.user)
    for url in (
        f"/orgs/{org.pk}/keys/{key.pk}/revoke/",
        f"/example.com/settings/goals/{goal.pk}/delete",
        f"/orgs/{org.pk}/members/{owner_membership.pk}/remove/",
    ):
        assert outsiders.get(url).status_code == 404
    viewers = logged_in(viewer)
    assert viewers.get(f"/orgs/{org.pk}/keys/{key.pk}/revoke/").status_code == 403
    assert viewers.get(f"/example.com/settings/goals/{goal.pk}/delete").status_code == 403
    assert viewers.get(f"/orgs/{org.pk}/members/{owner_membership.pk}/remove/").status_code == 403
    # the owner cannot be removed: no question, the reason
    refused = logged_in(owner.user).get(f"/orgs/{org.pk}/members/{owner_membership.pk}/remove/", follow=True)
    assert "The owner cannot be removed" in page(refused)
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None and Goal.objects.filter(pk=goal.pk).exists()
