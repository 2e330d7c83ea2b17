"""A site's settings pages: owners and admins only, every field validated, deletion confirmed by domain."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import pytest
from django.test import Client

from analytics.deletion import site_row_counts
from panel.accounts.models import Membership, User
from panel.sharing.models import SharedLink
from panel.sites.models import Site
from tests.conftest import Persona, make_event, seed
from tests.test_pages import assert_form_error

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

PAGES = [
    "settings/",
    "settings/shields/",
    "settings/snippet/",
    "settings/links/",
    "settings/goals/",
    "settings/funnels/",
    "settings/export/",
    "settings/danger/",
]
POSTS = [
    ("settings/", {"timezone": "UTC", "retention_days": "30"}),
    ("settings/shields/", {"excluded_ips": "10.0.0.0/8"}),
    ("settings/links/", {"name": "x"}),
    ("settings/goals/", {"kind": "event", "event_name": "Signup"}),
    ("settings/funnels/", {"name": "x"}),
    ("settings/export/", {}),
    ("settings/danger/reset", {"reset-confirm": "example.com"}),
    ("settings/danger/delete", {"delete-confirm": "example.com"}),
]


def member(persona_user: User) -> Client:
    browser = Client()
    browser.force_login(persona_user)
    return browser


@pytest.fixture
def viewer(owner: Persona) -> User:
    user = User.objects.create_user("viewer@example.com", "a long enough passphrase")
    Membership.objects.create(user=user, organisation=owner.site.organisation, role=Membership.Role.VIEWER)
    return user


@pytest.fixture
def admin(owner: Persona) -> User:
    user = User.objects.create_user("admin@example.com", "a long enough passphrase")
    Membership.objects.create(user=user, organisation=owner.site.organisation, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def seeded(owner: Persona, outsider: Persona, events_table: None) -> None:
    now = dt.datetime.now(dt.UTC)
    events = [make_event(site.id, timestamp=now, visitor_id=1) for site in (owner.site, outsider.site)]
    seed(events)


@pytest.mark.parametrize("page", PAGES)
def test_owners_and_admins_see_every_page(owner: Persona, admin: User, page: str) -> None:
    for user in (owner.user, admin):
        response = member(user).get(f"/example.com/{page}")
        assert response.status_code == 200 and b"settings-tabs" in response.content


@pytest.mark.parametrize("page", PAGES)
def test_viewers_are_refused(viewer: User, page: str) -> None:
    assert member(viewer).get(f"/example.com/{page}").status_code == 403


@pytest.mark.parametrize(("page", "form"), POSTS)
def test_viewers_cannot_change_anything(viewer: User, page: str, form: dict[str, str]) -> None:
    assert member(viewer).post(f"/example.com/{page}", form).status_code == 403
    assert Site.objects.filter(domain="example.com", excluded_ips="").exists()


@pytest.mark.parametrize("page", PAGES + [page for page, _ in POSTS])
def test_another_organisation_gets_404_everywhere(owner: Persona, outsider: Persona, page: str) -> None:
    browser = member(outsider.user)
    assert browser.get(f"/example.com/{page}").status_code in (404, 405)
    assert browser.post(f"/example.com/{page}", {}).status_code in (404, 405)
    assert browser.get(f"/nosuch.example/{page}").status_code in (404, 405)
    assert Site.objects.filter(domain="example.com").exists()


@pytest.mark.parametrize(("page", "form"), POSTS)
def test_another_organisations_post_is_404(
    owner: Persona, outsider: Persona, page: str, form: dict[str, str]
) -> None:
    assert member(outsider.user).post(f"/example.com/{page}", form).status_code == 404


@pytest.mark.parametrize("page", PAGES)
def test_logged_out_goes_to_login(owner: Persona, page: str) -> None:
    response = Client().get(f"/example.com/{page}")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize(("page", "form"), POSTS)
def test_posts_need_csrf(owner: Persona, page: str, form: dict[str, str]) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner.user)
    assert browser.post(f"/example.com/{page}", form).status_code == 403
    assert Site.objects.filter(domain="example.com", retention_days=3 * 365, excluded_ips="").exists()


def test_general_settings_save(owner: Persona) -> None:
    browser = member(owner.user)
    response = browser.post("/example.com/settings/", {"timezone": "Asia/Tokyo", "retention_days": "400"})
    assert response.status_code == 302
    site = Site.objects.get(domain="example.com")
    assert (site.timezone, site.retention_days) == ("Asia/Tokyo", 400)
    assert b"Saved." in browser.get("/example.com/settings/").content


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"timezone": "Mars/Olympus", "retention_days": "400"}, "timezone"),
        ({"timezone": "UTC", "retention_days": "5"}, "retention_days"),
        ({"timezone": "UTC", "retention_days": "99999"}, "retention_days"),
        ({"timezone": "UTC", "retention_days": "many"}, "retention_days"),
        ({"timezone": "UTC"}, "retention_days"),
    ],
)
def test_general_settings_errors_name_the_field(owner: Persona, form: dict[str, str], field: str) -> None:
    assert_form_error(member(owner.user).post("/example.com/settings/", form), field)
    assert Site.objects.get(domain="example.com").timezone == "Europe/Berlin"


@pytest.mark.parametrize("days", ["-5", "0", "29", "3651", "99999999999999999999999"])
def test_a_retention_out_of_range_states_the_range(owner: Persona, days: str) -> None:
    response = member(owner.user).post("/example.com/settings/", {"timezone": "UTC", "retention_days": days})
    assert response.status_code == 400
    errors = re.findall(r'<p class="error"[^>]*>(.*?)</p>', response.content.decode())
    assert errors == ["keep events for between 30 and 3650 days (10 years)"]


def test_shields_save(owner: Persona) -> None:
    form = {
        "excluded_ips": "203.0.113.7\n10.0.0.0/8",
        "excluded_pages": "/admin/**",
        "excluded_countries": "DE",
        "allowed_hostnames": "example.com\n*.example.com",
    }
    assert member(owner.user).post("/example.com/settings/shields/", form).status_code == 302
    site = Site.objects.get(domain="example.com")
    assert site.excluded_ips == "203.0.113.7\n10.0.0.0/8" and site.allowed_hostnames.endswith("*.example.com")


@pytest.mark.parametrize(
    ("field", "text", "named"),
    [
        ("excluded_ips", "10.0.0.1\nnot-an-ip", "not-an-ip"),
        ("excluded_pages", "/ok\nno-slash", "no-slash"),
        ("excluded_pages", "/ok\n/" + "**a" * 20, "/**a**a**a"),
        ("excluded_pages", "/ok\n/" + "a" * 400, "/aaaaaaaa"),
        ("excluded_countries", "DE\nGermany", "Germany"),
        ("allowed_hostnames", "example.com\nbad host!", "bad host!"),
    ],
)
def test_a_bad_shield_line_is_named(owner: Persona, field: str, text: str, named: str) -> None:
    response: TestResponse = member(owner.user).post("/example.com/settings/shields/", {field: text})
    assert_form_error(response, field)
    assert named in response.content.decode().replace("&#x27;", "'")
    assert getattr(Site.objects.get(domain="example.com"), field) == ""


def test_the_snippet_page_builds_the_tag_from_checkboxes(owner: Persona) -> None:
    browser = member(owner.user)
    plain = browser.get("/example.com/settings/snippet/")
    assert plain.context["snippet"].main.endswith('src="http://127.0.0.1:8000/js/script.js"></script>')
    chosen = browser.get(
        "/example.com/settings/snippet/",
        {"outbound_links": "on", "hash_routing": "on", "not_found": "on", "custom_events": "on"},
    )
    snippet = chosen.context["snippet"]
    assert 'data-hash src="http://127.0.0.1:8000/js/script.all.js"' in snippet.main
    assert "data-404" in snippet.not_found_page
    assert b'id="snippet-404"' in chosen.content
    assert b"lantern.q=lantern.q||[]" in chosen.content


def test_the_snippet_page_names_a_bad_file_type(owner: Persona) -> None:
    response = member(owner.user).get(
        "/example.com/settings/snippet/", {"file_downloads": "on", "file_types": "epub,<x>"}
    )
    assert_form_error(response, "file_types")


def test_shared_links_are_created_listed_and_revoked(owner: Persona) -> None:
    browser = member(owner.user)
    created = browser.post(
        "/example.com/settings/links/", {"name": "Investors", "password": "long enough pw"}
    )
    assert created.status_code == 302
    link = SharedLink.objects.get(site=owner.site)
    assert link.name == "Investors" and link.has_password and link.created_by == owner.user
    assert "long enough pw" not in link.password_hash and link.check_password("long enough pw")
    page = browser.get("/example.com/settings/links/").content.decode()
    assert f"http://127.0.0.1:8000/share/example.com?auth={link.slug}" in page
    assert f'&lt;iframe src="http://127.0.0.1:8000/share/example.com?auth={link.slug}&amp;embed=true"' in page
    assert browser.post(f"/example.com/settings/links/{link.pk}/revoke").status_code == 302
    assert not SharedLink.objects.filter(pk=link.pk).exists()


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "x", "password": "short"}, "password"),
    ],
)
def test_shared_link_form_errors_name_the_field(owner: Persona, form: dict[str, str], field: str) -> None:
    assert_form_error(member(owner.user).post("/example.com/settings/links/", form), field)
    assert not SharedLink.objects.exists()


def test_a_link_of_another_site_cannot_be_revoked_through_yours(owner: Persona, outsider: Persona) -> None:
    link = SharedLink.objects.create_for(owner.site, name="Investors")
    response = member(outsider.user).post(f"/elsewhere.org/settings/links/{link.pk}/revoke")
    assert response.status_code == 404 and SharedLink.objects.filter(pk=link.pk).exists()
    assert member(owner.user).get("/example.com/settings/links/1x/revoke").status_code == 404


@pytest.mark.parametrize("typed", ["", "elsewhere.org", "example"])
def test_reset_needs_the_domain_typed(owner: Persona, seeded: None, typed: str) -> None:
    response = member(owner.user).post("/example.com/settings/danger/reset", {"reset-confirm": typed})
    assert_form_error(response, "confirm")
    assert site_row_counts(owner.site.id)["events"] == 1


def test_reset_deletes_the_sites_events_and_keeps_the_site(
    owner: Persona, outsider: Persona, seeded: None
) -> None:
    SharedLink.objects.create_for(owner.site, name="Investors")
    response = member(owner.user).post(
        "/example.com/settings/danger/reset", {"reset-confirm": " Example.com "}
    )
    assert response.status_code == 302
    assert set(site_row_counts(owner.site.id).values()) == {0}
    assert site_row_counts(outsider.site.id)["events"] == 1
    assert Site.objects.filter(domain="example.com").exists() and SharedLink.objects.exists()


def test_delete_removes_the_site_its_links_and_its_data(
    owner: Persona, outsider: Persona, seeded: None
) -> None:
    link = SharedLink.objects.create_for(owner.site, name="Investors")
    site_id = owner.site.id
    browser = member(owner.user)
    assert_form_error(
        browser.post("/example.com/settings/danger/delete", {"delete-confirm": "nope"}), "confirm"
    )
    response = browser.post("/example.com/settings/danger/delete", {"delete-confirm": "example.com"})
    assert response.status_code == 302 and response["Location"] == "/sites/"
    assert not Site.objects.filter(pk=site_id).exists() and not SharedLink.objects.filter(pk=link.pk).exists()
    assert set(site_row_counts(site_id).values()) == {0}
    assert site_row_counts(outsider.site.id)["events"] == 1
    assert Client().get(link.path()).status_code == 404
    api = Client().get(
        "/api/v1/stats/aggregate",
        {"site_id": "example.com"},
        headers={"Authorization": f"Bearer {owner.key}"},
    )
    assert api.status_code == 404


def test_an_out_of_range_link_id_is_404(owner: Persona) -> None:
    response = member(owner.user).post(f"/example.com/settings/links/{10**20}/revoke")
    assert response.status_code == 404


def test_huge_and_odd_input_is_a_form_error(owner: Persona) -> None:
    browser = member(owner.user)
    assert_form_error(
        browser.post("/example.com/settings/shields/", {"excluded_ips": "1.2.3.4\n" * 600}), "excluded_ips"
    )
    assert_form_error(
        browser.post("/example.com/settings/", {"timezone": "\x00", "retention_days": "1e9"}), "timezone"
    )
    assert_form_error(
        browser.post("/example.com/settings/links/", {"name": "x", "password": "p" * 500}), "password"
    )
