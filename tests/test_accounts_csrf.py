"""CSRF everywhere: a signed-in user's browser posting from another site changes nothing, on any page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from panel.accounts.models import Membership
from tests.accounts_helpers import fresh_counters  # noqa: F401  # autouse fixture
from tests.test_tenant_isolation import FILL, NO_TENANT, Victim, all_urls, by_path, victim  # noqa: F401

# Posted to without a session's CSRF token; JSON APIs authenticate by key, not cookie, and are GET.
FORMS = sorted(set(by_path()) | {n for n in NO_TENANT if n not in {"home", "verify-email"}})


@pytest.mark.parametrize("name", FORMS)
def test_a_post_without_the_token_is_refused(name: str, victim: Victim) -> None:
    args = all_urls()[name]
    fill: dict[str, Callable[[Victim], object]] = {**FILL, "token": lambda _v: "x", "uidb64": lambda _v: "x"}
    url = reverse(name, kwargs={arg: fill[arg](victim) for arg in args})
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(victim.owner.user)
    response = browser.post(url, {"name": "x", "email": "x@example.com", "role": "viewer"})
    assert response.status_code in (403, 405), (url, response.status_code)
    assert Membership.objects.filter(organisation=victim.organisation).count() == 2
