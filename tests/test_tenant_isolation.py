"""Tenant isolation as a matrix: every URL that takes a site or an organisation refuses a user and an API
key of another organisation with 404, never the data and never a 200; and no form takes a post from
another site (CSRF).

The URLs come from the resolver, so a URL added later is covered or fails ``test_every_url_is_placed``:
it is tested when its arguments are ones ``FILL`` knows how to point at the victim's objects; it takes
the site in its query string or body and is listed in ``BY_QUERY``; or it takes no site and no
organisation and is listed in ``NO_TENANT`` with the reason.

Each case also runs as the victim's own owner, who must not get 404: a check that the URL built is
one that exists, so the refusals mean something.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from panel.accounts.models import Invitation, Membership, Organisation, Role
from panel.apikeys.models import ApiKey
from tests.accounts_helpers import fresh_counters, logged_in, member_of, page  # noqa: F401  # autouse fixture
from tests.conftest import Persona


@dataclasses.dataclass
class Victim:
    """The organisation under attack, with one of everything a URL can name."""

    owner: Persona
    organisation: Organisation
    membership: Membership
    invitation: Invitation
    api_key: ApiKey


# Marks that must never show in an answer to an outsider: the victim's data, not what the caller typed.
SECRETS = ("Victim Org Ltd", "teammate@victim.example", "invited@victim.example")

# How to point each URL argument at the victim's objects.
FILL: dict[str, Callable[[Victim], object]] = {
    "domain": lambda v: v.owner.site.domain,
    "org_id": lambda v: v.organisation.pk,
    "member_id": lambda v: v.membership.pk,
    "invitation_id": lambda v: v.invitation.pk,
    "key_id": lambda v: v.api_key.pk,
}
TENANT_ARGUMENTS = {"domain", "org_id"}

# URLs that take the site in the query string: the parameters that name the victim's site.
BY_QUERY: dict[str, Callable[[Victim], dict[str, str]]] = {
    "api-realtime-visitors": lambda v: {"site_id": v.owner.site.domain},
    "api-aggregate": lambda v: {"site_id": v.owner.site.domain, "metrics": "visitors"},
    "api-timeseries": lambda v: {"site_id": v.owner.site.domain},
    "api-breakdown": lambda v: {"site_id": v.owner.site.domain, "property": "event:page"},
}

# URLs that take neither a site nor an organisation, and why that is safe.
NO_TENANT = {
    "home": "redirects to the site list or the login page",
    "signup": "public: creates a new account and organisation",
    "login": "public",
    "login-code": "the second login step of the user in this session only",
    "logout": "ends this session",
    "verify-email-needed": "about the signed-in user only",
    "verify-email-resend": "mails the signed-in user only",
    "verify-email": "a signed token naming one user and address; grants no access",
    "password_reset": "public; mails only the address's owner",
    "password_reset_done": "public",
    "password_reset_confirm": "a signed token for one user",
    "password_reset_complete": "public",
    "account": "the signed-in user's own settings",
    "two-factor-setup": "the signed-in user's own settings",
    "two-factor-disable": "the signed-in user's own settings",
    "organisations": "lists only the signed-in user's own memberships",
    "invitation": "a signed token; accepting needs the invited address (tests/test_accounts_orgs.py)",
    "sites": "lists only the signed-in user's sites (Site.objects.for_user)",
    "site-new": "creates a site in the user's own organisation",
}


def _patterns(
    resolvers: list[URLPattern | URLResolver], prefix: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def all_urls() -> dict[str, set[str]]:
    """Every named URL with the names of its arguments."""
    urls: dict[str, set[str]] = {}
    for route, pattern in _patterns(get_resolver().url_patterns):
        name = pattern.name or f"<unnamed {route}>"
        urls[name] = set(pattern.pattern.regex.groupindex)
    return urls


def _by_path(name: str, args: set[str]) -> bool:
    """Tested with its path pointed at the victim: it names a site or organisation, and nothing unknown."""
    return bool(args & TENANT_ARGUMENTS) and args <= FILL.keys() and name not in {*NO_TENANT, *BY_QUERY}


def by_path() -> list[str]:
    return sorted(name for name, args in all_urls().items() if _by_path(name, args))


def test_every_url_is_placed() -> None:
    unplaced = [
        f"{name} (arguments {sorted(args)})"
        for name, args in all_urls().items()
        if not (_by_path(name, args) or name in BY_QUERY or name in NO_TENANT)
    ]
    assert not unplaced, (
        "each URL must be tested for isolation (its arguments in FILL, or listed in BY_QUERY) "
        f"or listed in NO_TENANT with the reason it is safe: {unplaced}"
    )
    assert not set(BY_QUERY) & set(NO_TENANT)


def test_the_matrix_is_not_empty() -> None:
    assert {"dashboard", "site-snippet", "organisation", "api-keys", "member-remove"} <= set(by_path())


@pytest.fixture
def victim(owner: Persona) -> Victim:
    organisation = owner.user.primary_organisation()
    Organisation.objects.filter(pk=organisation.pk).update(name="Victim Org Ltd")
    organisation.refresh_from_db()
    teammate = member_of(organisation, "teammate@victim.example", Role.VIEWER)
    return Victim(
        owner=owner,
        organisation=organisation,
        membership=Membership.objects.get(user=teammate, organisation=organisation),
        invitation=Invitation.objects.create(
            organisation=organisation, email="invited@victim.example", role=Role.VIEWER
        ),
        api_key=ApiKey.objects.get(user=owner.user, name="tests"),
    )


@pytest.fixture
def double_agent_key(victim: Victim, outsider: Persona) -> str:
    """A key of the outsider's organisation, held by someone who is also in the victim's organisation."""
    agent = member_of(outsider.user.primary_organisation(), "agent@elsewhere.org", Role.ADMIN)
    Membership.objects.create(user=agent, organisation=victim.organisation, role=Role.ADMIN)
    _key, raw = ApiKey.objects.issue(agent, organisation=outsider.user.primary_organisation())
    return raw


def _assert_refused(response: Any, *, allow_login_redirect: bool = False, allow_405: bool = False) -> None:
    body = page(response)
    assert not any(secret in body for secret in SECRETS), body
    ok = {404} | ({405} if allow_405 else set())
    if allow_login_redirect and response.status_code == 302:
        assert response["Location"].startswith("/login/"), response["Location"]
        return
    assert response.status_code in ok, (response.status_code, body[:300])


def _url(name: str, victim: Victim) -> str:
    args = all_urls()[name]
    return reverse(name, kwargs={arg: FILL[arg](victim) for arg in args})


@pytest.mark.parametrize("name", by_path())
def test_another_organisations_user_gets_404(
    name: str, victim: Victim, outsider: Persona, clickhouse: None
) -> None:
    url = _url(name, victim)
    outsider_browser = logged_in(outsider.user)
    owner_get = logged_in(victim.owner.user).get(url)
    for method in ("get", "post"):
        response = getattr(outsider_browser, method)(url)
        # a 405 only where the owner is refused the method too: it tells nothing about the tenant
        _assert_refused(response, allow_405=method == "get" and owner_get.status_code == 405)
    assert owner_get.status_code != 404, f"{url}: the owner should reach it (is the URL built right?)"
    assert logged_in(victim.owner.user).post(url).status_code != 404


@pytest.mark.parametrize("name", by_path())
def test_another_organisations_api_key_gets_nothing(
    name: str, victim: Victim, outsider: Persona, double_agent_key: str, clickhouse: None
) -> None:
    """Pages take no API keys: the caller is anonymous and is sent to log in. API URLs answer 404."""
    url = _url(name, victim)
    is_api = url.startswith("/api/")
    for key in (outsider.key, double_agent_key):
        for method in ("get", "post"):
            response = getattr(Client(), method)(url, HTTP_AUTHORIZATION=f"Bearer {key}")
            _assert_refused(response, allow_login_redirect=not is_api)


@pytest.mark.parametrize("name", sorted(BY_QUERY))
def test_api_urls_refuse_another_organisation(
    name: str, victim: Victim, outsider: Persona, double_agent_key: str, clickhouse: None
) -> None:
    url = reverse(name)
    params = BY_QUERY[name](victim)
    for key in (outsider.key, double_agent_key):
        response = Client().get(url, params, HTTP_AUTHORIZATION=f"Bearer {key}")
        _assert_refused(response)
    _assert_refused(logged_in(outsider.user).get(url, params))
    owner = Client().get(url, params, HTTP_AUTHORIZATION=f"Bearer {victim.owner.key}")
    assert owner.status_code == 200, owner.content
    json.loads(owner.content)


# Every form, posted without the session's CSRF token (JSON APIs take keys, not cookies, and are GET).
FORMS = sorted(set(by_path()) | {n for n in NO_TENANT if n not in {"home", "verify-email"}})


@pytest.mark.parametrize("name", FORMS)
def test_a_post_from_another_site_is_refused(name: str, victim: Victim) -> None:
    fill: dict[str, Callable[[Victim], object]] = {**FILL, "token": lambda _v: "x", "uidb64": lambda _v: "x"}
    url = reverse(name, kwargs={arg: fill[arg](victim) for arg in all_urls()[name]})
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(victim.owner.user)
    response = browser.post(url, {"name": "x", "email": "x@example.com", "role": "viewer"})
    assert response.status_code in (403, 405), (url, response.status_code)
    assert Membership.objects.filter(organisation=victim.organisation).count() == 2
