"""Tenant isolation as a matrix: every URL that takes a site or an organisation refuses a user and an API
key of another organisation with 404, never the data and never a 200; and no form takes a post from
another site (CSRF).

The URLs come from the resolver, so a URL added later is covered or fails ``test_every_url_is_placed``:
it is tested when its arguments are ones ``FILL`` knows how to point at the victim's objects; it takes
the site in its query string or body and is listed in ``BY_QUERY``; it lists what the caller may see
and is in ``LISTS``; or it takes no site and no organisation (or reaches one only by a secret) and is
listed in ``NO_TENANT`` with the reason.

Each case also runs as the victim's own owner, who must not get 404: a check that the URL built is
one that exists, so the refusals mean something.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps
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
SECRETS = ("Victim Org Ltd", "teammate@victim.example", "invited@victim.example", "Victim segment")


def _shared_link(victim: Victim) -> object:
    """A shared link of the victim's site (panel.sharing's model, looked up by name)."""
    shared_link = apps.get_model("sharing", "SharedLink")
    return shared_link.objects.create_for(victim.owner.site, name="Victim link").pk


def _goal(victim: Victim) -> object:
    """A goal of the victim's site (panel.goals' model, looked up by name)."""
    goal = apps.get_model("goals", "Goal")
    return goal.objects.create(site=victim.owner.site, event_name="Signup", display_name="Signup").pk


def _funnel(victim: Victim) -> object:
    """A funnel of two of the victim's goals (panel.goals' models, looked up by name)."""
    goal = apps.get_model("goals", "Goal")
    funnel = apps.get_model("goals", "Funnel")
    site = victim.owner.site
    steps = [
        goal.objects.create(site=site, event_name=name, display_name=name) for name in ("Step A", "Step B")
    ]
    return funnel.objects.create_with_steps(site, "Victim funnel", steps).pk


def _export(victim: Victim) -> object:
    """A full export of the victim's site (panel.reports' model, looked up by name)."""
    export = apps.get_model("reports", "SiteExport")
    return export.objects.create(site=victim.owner.site, requested_by=victim.owner.user).pk


def _import(victim: Victim) -> object:
    """An import into the victim's site (panel.imports' model, looked up by name)."""
    site_import = apps.get_model("imports", "SiteImport")
    made = site_import.objects.create(
        site=victim.owner.site, requested_by=victim.owner.user, file_name="x.zip"
    )
    return made.pk


def _segment_of(owner: Persona) -> object:
    segment = apps.get_model("dashboard", "Segment")
    name = f"Victim segment {segment.objects.count() + 1}"
    return segment.objects.create(site=owner.site, name=name, filters="event:page==/secret").pk


def _segment(victim: Victim) -> object:
    """A saved segment of the victim's site (panel.dashboard's model, looked up by name)."""
    return _segment_of(victim.owner)


# How to point each URL argument at the victim's objects.
FILL: dict[str, Callable[[Victim], object]] = {
    "domain": lambda v: v.owner.site.domain,
    "org_id": lambda v: v.organisation.pk,
    "member_id": lambda v: v.membership.pk,
    "invitation_id": lambda v: v.invitation.pk,
    "key_id": lambda v: v.api_key.pk,
    "link_id": _shared_link,
    "goal_id": _goal,
    "funnel_id": _funnel,
    "export_id": _export,
    "widget": lambda _v: "sources",
    "kind": lambda _v: "weekly",  # a report's kind
    "import_id": _import,
    "segment_id": _segment,
}
TENANT_ARGUMENTS = {"domain", "org_id"}


@dataclasses.dataclass(frozen=True)
class Ask:
    """How an endpoint that takes the site in its query string or JSON body is asked about the victim's."""

    params: Callable[[Victim], dict[str, Any]]
    method: str = "get"
    as_json: bool = False  # the parameters are a JSON body
    path: Callable[[Victim], dict[str, Any]] | None = None  # arguments of the URL itself

    def url(self, name: str, victim: Victim) -> str:
        return reverse(name, kwargs=self.path(victim) if self.path else None)

    def send(self, client: Client, url: str, victim: Victim, **headers: str) -> Any:
        if self.method not in ("get", "post"):  # DELETE and PUT: the parameters in the query string
            return getattr(client, self.method)(f"{url}?{urlencode(self.params(victim))}", **headers)
        if self.as_json:
            body = json.dumps(self.params(victim))
            return getattr(client, self.method)(url, body, content_type="application/json", **headers)
        return getattr(client, self.method)(url, self.params(victim), **headers)


def _site(**extra: Any) -> Callable[[Victim], dict[str, Any]]:
    return lambda v: {"site_id": v.owner.site.domain, **extra}


BY_QUERY: dict[str, Ask] = {
    "api-realtime-visitors": Ask(_site()),
    "api-aggregate": Ask(_site(metrics="visitors")),
    "api-timeseries": Ask(_site()),
    "api-breakdown": Ask(_site(property="event:page")),
    "api-funnel": Ask(_site(funnel="1")),
    "api-v2-query": Ask(_site(metrics=["visitors"], date_range="7d"), method="post", as_json=True),
    "dashboard-dropped": Ask(_site()),
    "dashboard-prop-keys": Ask(_site()),
    "dashboard-props": Ask(_site()),
    "dashboard-funnels": Ask(_site()),
    "api-site-goals": Ask(_site()),
    "api-site-goal": Ask(_site(), method="delete", path=lambda v: {"goal_id": _goal(v)}),
    "api-site-links": Ask(_site()),
    "api-site-link": Ask(_site(), method="delete", path=lambda v: {"link_id": _shared_link(v)}),
}

# URLs that list what the caller may see: the victim's site must not be among an outsider's.
LISTS = {"sites", "api-sites"}

# URLs that take neither a site nor an organisation, or reach one only by a secret, and why that is safe.
NO_TENANT = {
    "home": "redirects to the site list or the login page",
    "signup": "public: creates a new account and organisation",
    "signup-sent": "public: shows the address this browser's session just signed up with, no tenant data",
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
    "two-factor-recovery-codes": "the signed-in user's own settings",
    "email-change": "the signed-in user's own settings; mails only the address typed",
    "email-change-confirm": "a signed token naming one user, their address and the new one",
    "password-change": "the signed-in user's own settings",
    "account-delete": "the signed-in user's own account, and organisations they alone are in",
    "organisations": "lists only the signed-in user's own memberships",
    "invitation": "a signed token; accepting needs the invited address (tests/test_accounts_orgs.py)",
    "site-new": "creates a site in the user's own organisation",
    "shared-dashboard": "reached only with a shared link's unguessable slug (?auth=), read-only",
    "report-unsubscribe": "a signed token for one recipient's subscription",
    "site-export-download": "a signed, expiring token; served only to members of its organisation",
    "api-openapi": "the public description of the API",
    "api-docs": "the public reference for people, rendered from that description",
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
    listed = {*NO_TENANT, *BY_QUERY, *LISTS}
    return bool(args & TENANT_ARGUMENTS) and args <= FILL.keys() and name not in listed


def by_path() -> list[str]:
    return sorted(name for name, args in all_urls().items() if _by_path(name, args))


def test_every_url_is_placed() -> None:
    unplaced = [
        f"{name} (arguments {sorted(args)})"
        for name, args in all_urls().items()
        if not (_by_path(name, args) or name in BY_QUERY or name in LISTS or name in NO_TENANT)
    ]
    assert not unplaced, (
        "each URL must be tested for isolation (its arguments in FILL, or listed in BY_QUERY or LISTS) "
        f"or listed in NO_TENANT with the reason it is safe: {unplaced}"
    )
    assert not set(BY_QUERY) & set(NO_TENANT) and not LISTS & set(NO_TENANT)


def present(names: Iterable[str]) -> list[str]:
    """The listed URLs this build has (entries may wait for an app that has not landed yet)."""
    return sorted(set(names) & set(all_urls()))


def test_the_matrix_is_not_empty() -> None:
    assert {"dashboard", "site-snippet", "organisation", "api-keys", "member-remove"} <= set(by_path())


@pytest.fixture
def victim(owner: Persona) -> Victim:
    organisation = owner.user.primary_organisation()
    Organisation.objects.filter(pk=organisation.pk).update(name="Victim Org Ltd")
    organisation.refresh_from_db()
    teammate = member_of(organisation, "teammate@victim.example", Role.VIEWER)
    _segment_of(owner)  # the site's segment list is never an outsider's to read
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


def _assert_refused(response: Any, allowed: set[int], *, login_redirect: bool = False) -> None:
    """Never the victim's data, never a 200: 404, or another answer that is the same for every tenant."""
    body = page(response)
    assert not any(secret in body for secret in SECRETS), body
    if login_redirect and response.status_code == 302:
        assert response["Location"].startswith("/login/"), response["Location"]
        return
    assert response.status_code in allowed, (response.status_code, body[:300])


def _url(name: str, victim: Victim) -> str:
    return reverse(name, kwargs={arg: FILL[arg](victim) for arg in all_urls()[name]})


def _same_for_everyone(owner: Client, url: str, method: str, **headers: str) -> set[int]:
    """405 may answer an outsider where it answers the owner too: it depends on the method, not the tenant."""
    return {405} if getattr(owner, method)(url, **headers).status_code == 405 else set()


@pytest.mark.parametrize("name", by_path())
def test_another_organisations_user_gets_404(
    name: str, victim: Victim, outsider: Persona, clickhouse: None
) -> None:
    """A JSON API that takes keys only may answer a session 401 (it does not know the caller at all)."""
    url = _url(name, victim)
    owner = logged_in(victim.owner.user)
    # asked first: the owner's POST below may remove what the URL names (a confirmed deletion)
    owner_get = owner.get(url).status_code
    unknown_caller = {401} if url.startswith("/api/") else set()
    for method in ("get", "post"):
        response = getattr(logged_in(outsider.user), method)(url)
        _assert_refused(response, {404} | unknown_caller | _same_for_everyone(owner, url, method))
    owner_answers = {owner_get, owner.post(url).status_code}
    assert owner_answers != {404}, f"{url}: the owner should reach it (is the URL built right?)"


@pytest.mark.parametrize("name", by_path())
def test_another_organisations_api_key_gets_nothing(
    name: str, victim: Victim, outsider: Persona, double_agent_key: str, clickhouse: None
) -> None:
    """Pages take no API keys: the caller is anonymous and is sent to log in. API URLs answer 404."""
    url = _url(name, victim)
    owner = logged_in(victim.owner.user)
    for key in (outsider.key, double_agent_key):
        for method in ("get", "post"):
            response = getattr(Client(), method)(url, HTTP_AUTHORIZATION=f"Bearer {key}")
            # the owner asks as the outsider does: by session for pages, by key for the API
            same = (
                _same_for_everyone(Client(), url, method, HTTP_AUTHORIZATION=f"Bearer {victim.owner.key}")
                if url.startswith("/api/")
                else _same_for_everyone(owner, url, method)
            )
            allowed = {404} | same
            _assert_refused(response, allowed, login_redirect=not url.startswith("/api/"))


@pytest.mark.parametrize("name", present(BY_QUERY))
def test_api_urls_refuse_another_organisation(
    name: str, victim: Victim, outsider: Persona, double_agent_key: str, clickhouse: None
) -> None:
    ask = BY_QUERY[name]
    url = ask.url(name, victim)
    for key in (outsider.key, double_agent_key):
        _assert_refused(ask.send(Client(), url, victim, HTTP_AUTHORIZATION=f"Bearer {key}"), {404})
    _assert_refused(ask.send(logged_in(outsider.user), url, victim), {404, 401})  # 401: key-only APIs
    by_key = ask.send(Client(), url, victim, HTTP_AUTHORIZATION=f"Bearer {victim.owner.key}")
    by_session = ask.send(logged_in(victim.owner.user), url, victim)
    assert {by_key.status_code, by_session.status_code} != {404}, "the owner should reach it"
    json.loads(by_session.content)


@pytest.mark.parametrize("name", present(LISTS))
def test_lists_leave_out_another_organisations_sites(
    name: str, victim: Victim, outsider: Persona, double_agent_key: str, clickhouse: None
) -> None:
    url = reverse(name)
    domain = victim.owner.site.domain
    answers = [
        logged_in(outsider.user).get(url),
        Client().get(url, HTTP_AUTHORIZATION=f"Bearer {outsider.key}"),
        Client().get(url, HTTP_AUTHORIZATION=f"Bearer {double_agent_key}"),
    ]
    for response in answers:
        assert response.status_code in (200, 302, 401), response.status_code
        assert domain not in page(response)
    by_session = logged_in(victim.owner.user).get(url)
    by_key = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {victim.owner.key}")
    assert domain in page(by_session) + page(by_key), "the owner's list should show the site"


# Every form, posted without the session's CSRF token. Not forms: the home redirect, links followed
# from mail (the verification link; one-click unsubscribe, which RFC 8058 posts without a session and
# which acts only by its signed token) and the API's description and reference.
NOT_FORMS = {"home", "verify-email", "report-unsubscribe", "api-openapi", "api-docs"}
FORMS = sorted(set(by_path()) | set(NO_TENANT) - NOT_FORMS)


@pytest.mark.parametrize("name", present(FORMS))
def test_a_post_from_another_site_is_refused(name: str, victim: Victim) -> None:
    """403 from the CSRF check, 405 where nothing is posted, 401 from an API that ignores cookies."""
    fill: dict[str, Callable[[Victim], object]] = {**FILL, "token": lambda _v: "x", "uidb64": lambda _v: "x"}
    url = reverse(name, kwargs={arg: fill[arg](victim) for arg in all_urls()[name]})
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(victim.owner.user)
    response = browser.post(url, {"name": "x", "email": "x@example.com", "role": "viewer"})
    assert response.status_code in (401, 403, 405), (url, response.status_code)
    assert Membership.objects.filter(organisation=victim.organisation).count() == 2
