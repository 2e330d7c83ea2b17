"""Renaming an organisation: its owner only (admins and viewers 403, others 404); a bad name is named."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from panel.accounts.models import Organisation, Role
from tests.accounts_helpers import fresh_counters, logged_in, member_of, org_of, page  # noqa: F401  # autouse
from tests.conftest import Persona

pytestmark = pytest.mark.django_db


def rename(browser: Client, org: Organisation, name: str) -> Any:
    return browser.post(f"/orgs/{org.pk}/rename/", {"rename-name": name})


def test_the_owner_renames_it(owner: Persona) -> None:
    org = org_of(owner)
    browser = logged_in(owner.user)
    assert 'id="rename-form"' in page(browser.get(f"/orgs/{org.pk}/"))
    response = rename(browser, org, "  Acme Analytics  ")
    assert response.status_code == 302 and response["Location"] == f"/orgs/{org.pk}/"
    org.refresh_from_db()
    assert org.name == "Acme Analytics"
    assert "owner is now called Acme Analytics." in page(browser.get(f"/orgs/{org.pk}/"))


@pytest.mark.parametrize("role", [Role.ADMIN, Role.VIEWER])
def test_admins_and_viewers_may_not(owner: Persona, role: str) -> None:
    org = org_of(owner)
    member = logged_in(member_of(org, f"{role}@example.com", role))
    assert 'id="rename-form"' not in page(member.get(f"/orgs/{org.pk}/"))
    assert rename(member, org, "Taken over").status_code == 403
    org.refresh_from_db()
    assert org.name == "owner"


def test_another_organisation_gets_404(owner: Persona, outsider: Persona) -> None:
    org = org_of(owner)
    assert rename(logged_in(outsider.user), org, "x").status_code == 404
    assert rename(Client(), org, "x")["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("Line\nbreak", "cannot contain line breaks or control characters"),
        ("x" * 201, "at most 200 characters"),
    ],
)
def test_a_bad_name_is_named(owner: Persona, name: str, message: str) -> None:
    org = org_of(owner)
    response = rename(logged_in(owner.user), org, name)
    assert response.status_code == 400
    assert '<p class="error" data-field="name">' in page(response) and message in page(response)
    org.refresh_from_db()
    assert org.name == "owner"
