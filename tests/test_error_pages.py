"""Lantern's own error pages (DEBUG off, as in production): every 403 and 404 raised anywhere, a
CSRF refusal, a bad request and a server error render in the app's look with a way back, with only
Lantern's own assets, under the Content-Security-Policy; a 404 reads the same whether the thing is
missing or another organisation's; the JSON endpoints keep answering JSON."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import URLPattern, include
from django.urls import path as route

from panel.accounts.models import Membership, Role, User
from panel.middleware import POLICY
from panel.sharing.models import SharedLink
from tests.accounts_helpers import fresh_counters, logged_in, org_of, page  # noqa: F401  # autouse fixture
from tests.conftest import Persona

pytestmark = pytest.mark.django_db


def main_of(response: Any) -> str:
    """The page's ``<main>``: what differs between two answers apart from the CSRF token in the header."""
    found = re.search(r"<main[^>]*>(.*)</main>", page(response), re.S)
    assert found is not None, page(response)[:300]
    return found.group(1)


def assert_styled(response: Any, status: int, heading: str) -> str:
    assert settings.DEBUG is False
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Security-Policy"] == POLICY
    body = page(response)
    assert re.search(r'<link rel="stylesheet" href="/static/lantern/lantern\.[0-9a-f]+\.css">', body), body
    assert '<header class="topbar">' in body and f'<h1 id="error-heading">{heading}</h1>' in body
    assert not re.search(r'(src|href)="(https?:)?//', body), "an asset or link to another host"
    assert "<style" not in body and " style=" not in body and not re.search(r"<script>|<script [^s]", body)
    return body


@pytest.fixture
def viewer(owner: Persona) -> User:
    user = User.objects.create_user("viewer@example.com", "a long enough passphrase")
    Membership.objects.create(user=user, organisation=org_of(owner), role=Role.VIEWER)
    return user


@pytest.mark.parametrize(
    "path",
    [
        "/organisations/",  # not a page: taken for a site's dashboard, which does not exist
        "/nosuch.example/",
        "/nosuch.example/settings/",
        "/elsewhere.org/",  # another organisation's site
        "/elsewhere.org/settings/goals/",
        "/orgs/999999/",
        "/no/such/page/at/all/",
    ],
)
def test_a_signed_in_404_is_styled_with_a_way_to_the_sites(
    owner: Persona, outsider: Persona, path: str
) -> None:
    body = assert_styled(logged_in(owner.user).get(path), 404, "Page not found")
    assert '<a class="button" href="/sites/">Go to your sites</a>' in body
    assert "elsewhere.org" not in body and "nosuch" not in body  # the path asked for is not repeated


def test_another_organisations_site_reads_exactly_as_a_missing_one(owner: Persona, outsider: Persona) -> None:
    browser = logged_in(owner.user)
    for theirs, missing in [
        ("/elsewhere.org/", "/missing.example/"),
        ("/elsewhere.org/settings/links/", "/missing.example/settings/links/"),
        (f"/orgs/{org_of(outsider).pk}/keys/", "/orgs/999999/keys/"),
    ]:
        assert main_of(browser.get(theirs)) == main_of(browser.get(missing))


def test_a_bad_shared_link_is_a_styled_404_with_a_way_to_log_in(owner: Persona) -> None:
    SharedLink.objects.create_for(owner.site, name="Board")
    for path in (
        "/share/example.com?auth=not-the-slug",
        "/share/example.com",
        "/share/nosuch.example?auth=x",
    ):
        body = assert_styled(Client().get(path), 404, "Page not found")
        assert '<a class="button" href="/login/">Log in</a>' in body


def test_a_viewer_opening_settings_gets_a_styled_403_saying_why(owner: Persona, viewer: User) -> None:
    browser = logged_in(viewer)
    body = assert_styled(browser.get("/example.com/settings/"), 403, "Not allowed")
    assert "only the site&#x27;s owners and admins may change its settings" in body
    assert '<a class="button" href="/sites/">Go to your sites</a>' in body
    assert_styled(browser.get("/sites/new/"), 403, "Not allowed")  # viewers add no sites
    assert_styled(browser.post(f"/orgs/{org_of(owner).pk}/transfer/"), 403, "Not allowed")


def test_an_error_message_is_escaped(owner: Persona) -> None:
    """The 403 shows the refusal's message: an organisation's name in it is escaped."""
    organisation = org_of(owner)
    organisation.name = "<b>Acme</b>"
    organisation.save()
    viewer = User.objects.create_user("v@example.com", "a long enough passphrase")
    Membership.objects.create(user=viewer, organisation=organisation, role=Role.VIEWER)
    body = assert_styled(logged_in(viewer).post(f"/orgs/{organisation.pk}/invite/"), 403, "Not allowed")
    assert "&lt;b&gt;Acme&lt;/b&gt;" in body and "<b>Acme</b>" not in body


def test_a_csrf_refusal_is_styled(owner: Persona) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner.user)
    body = assert_styled(
        browser.post("/example.com/settings/goals/", {}), 403, "The form could not be checked"
    )
    assert '<a class="button" href="/sites/">Go to your sites</a>' in body


def test_a_bad_request_is_styled() -> None:
    body = assert_styled(Client().get("/login/", HTTP_HOST="not-ours.example"), 400, "Bad request")
    assert '<a class="button" href="/login/">Log in</a>' in body


def test_a_server_error_is_styled() -> None:
    """Django's 500 handler (rendered without the request, so without anything that could fail again)."""
    from django.views.defaults import server_error

    request = RequestFactory().get("/example.com/")
    request.user = AnonymousUser()
    response = server_error(request)
    assert response.status_code == 500
    body = response.content.decode()
    assert '<h1 id="error-heading">Something went wrong</h1>' in body and "lantern." in body
    assert '<a class="button" href="/">Go to Lantern</a>' in body


def test_json_endpoints_keep_json_errors(owner: Persona, outsider: Persona) -> None:
    browser = logged_in(owner.user)
    for response in (
        Client().get("/api/v1/no-such-endpoint"),
        browser.get("/api/v1/stats/aggregate?site_id=elsewhere.org&metrics=visitors"),
        browser.get("/dashboard-data/nothing-here"),
        Client(headers={"Authorization": f"Bearer {owner.key}"}).get("/api/v1/sites/elsewhere.org"),
    ):
        assert response.status_code == 404, response.content[:200]
        assert response["Content-Type"] == "application/json" and "error" in response.json()


def _raises(exception: Exception) -> Any:
    def view(request: HttpRequest) -> HttpResponse:
        raise exception

    return view


# The app's URLs, and views under /api/ and on a page that raise what a view may raise.
urlpatterns: list[URLPattern | Any] = [
    route("api/raises/404", _raises(Http404("no such thing"))),
    route("api/raises/403", _raises(PermissionDenied("not yours"))),
    route("api/raises/400", _raises(SuspiciousOperation("odd"))),
    route("dashboard-data/raises/403", _raises(PermissionDenied("not yours"))),
    route("raises/403", _raises(PermissionDenied("a page refused"))),
    route("", include("panel.urls")),
]


@pytest.mark.urls(__name__)
def test_what_a_json_view_raises_keeps_its_status_as_json(owner: Persona) -> None:
    browser = logged_in(owner.user)
    for url, status in [
        ("/api/raises/404", 404),
        ("/api/raises/403", 403),
        ("/api/raises/400", 400),
        ("/dashboard-data/raises/403", 403),
    ]:
        response = browser.get(url)
        assert response.status_code == status, url
        assert response["Content-Type"] == "application/json" and "error" in response.json()
    assert_styled(browser.get("/raises/403"), 403, "Not allowed")
