"""Sign up, log in, add a site, see its snippet and its dashboard page."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pytest
from django.test import Client

from panel.accounts.models import User
from panel.sites.models import Site
from tests.conftest import Persona

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse


def test_signup_creates_an_account_with_an_organisation(db: None) -> None:
    browser = Client()
    response = browser.post("/register/", {"email": "New@Example.com", "password": "correct horse battery"})
    assert response.status_code == 302 and response["Location"] == "/register/sent/"
    user = User.objects.get(email="new@example.com")
    assert user.password.startswith("argon2")
    assert user.memberships.get().role == "owner"
    assert browser.get("/register/sent/").status_code == 200  # check your mail, then log in


def assert_form_error(response: TestResponse, field: str) -> None:
    """A rejected form answers 400 and marks the error with the field's name."""
    assert response.status_code == 400
    assert f'data-field="{field}"'.encode() in response.content


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"email": "not-an-email", "password": "correct horse battery"}, "email"),
        ({"email": "a@b.co", "password": "short"}, "password"),
        ({"email": "a@b.co", "password": "12345678901"}, "password"),
    ],
)
def test_signup_errors_name_the_field(db: None, form: dict[str, str], field: str) -> None:
    assert_form_error(Client().post("/register/", form), field)


def test_login_and_logout(owner: Persona) -> None:
    browser = Client()
    response = browser.post(
        "/login/", {"username": "owner@example.com", "password": "a long enough passphrase"}
    )
    assert response.status_code == 302
    assert browser.get("/example.com/").status_code == 200
    browser.post("/logout/")
    assert browser.get("/example.com/").status_code == 302
    wrong = Client().post("/login/", {"username": "owner@example.com", "password": "nope"})
    assert wrong.status_code == 200 and b"do not match" in wrong.content


def test_adding_a_site_shows_its_snippet(owner: Persona) -> None:
    browser = Client()
    browser.force_login(owner.user)
    response = browser.post(
        "/sites/new/", {"domain": "https://www.Blog.Example.org/path", "timezone": "Asia/Tokyo"}
    )
    assert response.status_code == 302 and response["Location"] == "/blog.example.org/snippet/"
    site = Site.objects.get(domain="blog.example.org")
    assert site.timezone == "Asia/Tokyo" and site.organisation == owner.user.primary_organisation()
    snippet = browser.get(response["Location"]).content.decode()
    assert (
        "&lt;script defer data-domain=&quot;blog.example.org&quot; "
        "src=&quot;http://127.0.0.1:8000/js/script.js&quot;&gt;&lt;/script&gt;"
    ) in snippet


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"domain": "not a domain", "timezone": "UTC"}, "domain"),
        ({"domain": "example.com", "timezone": "UTC"}, "domain"),
        ({"domain": "ok.example", "timezone": "Mars/Olympus"}, "timezone"),
    ],
)
def test_site_form_errors_name_the_field(owner: Persona, form: dict[str, str], field: str) -> None:
    browser = Client()
    browser.force_login(owner.user)
    assert_form_error(browser.post("/sites/new/", form), field)


def test_a_domain_of_another_organisation_is_refused_without_saying_it_exists(
    owner: Persona, outsider: Persona
) -> None:
    from panel.sites.models import CANNOT_ADD

    browser = Client()
    browser.force_login(owner.user)
    elsewhere = browser.post("/sites/new/", {"domain": "Elsewhere.org", "timezone": "UTC"})
    assert_form_error(elsewhere, "domain")
    text = html.unescape(elsewhere.content.decode())
    assert CANNOT_ADD in text and "already registered" not in text
    assert Site.objects.get(domain="elsewhere.org").organisation == outsider.user.primary_organisation()
    own = browser.post("/sites/new/", {"domain": "example.com", "timezone": "UTC"})
    assert "this domain is already registered" in html.unescape(own.content.decode())  # theirs: said plainly


def test_pages_carry_a_strict_content_security_policy(owner: Persona) -> None:
    browser = Client()
    browser.force_login(owner.user)
    response = browser.get("/example.com/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert b"https://" not in response.content.replace(b"https://db-ip.com", b"")


def test_the_dashboard_gets_the_metrics_whose_fall_is_good_from_the_server(owner: Persona) -> None:
    """The same rule as the emails (``analytics.compare.LOWER_IS_BETTER``), for a member and a shared link."""
    from panel.sharing.models import SharedLink

    browser = Client()
    browser.force_login(owner.user)
    link = SharedLink.objects.create_for(owner.site, name="Board")
    for page in (browser.get("/example.com/"), Client().get(link.path())):
        assert 'data-lower-is-better="bounce_rate"' in page.content.decode()
