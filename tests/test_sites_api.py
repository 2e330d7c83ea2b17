"""Sites API v1: a sites:write key lists, creates, reads, updates and deletes its organisation's sites
(Plausible's shapes), deleting a site deletes its events; errors name the field; others get 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from analytics import client
from tests.conftest import Persona
from tests.reports_fixtures import seed_visits


def call(method: str, path: str, key: str | None, body: Any = None, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    browser = Client(enforce_csrf_checks=True)
    if method == "GET":
        return browser.get(f"/api/v1/sites{path}", body or {}, headers=headers)
    return getattr(browser, method.lower())(
        f"/api/v1/sites{path}",
        body,
        content_type=kwargs.get("content_type", "application/json"),
        headers=headers,
    )


def test_a_domain_of_another_organisation_cannot_be_added_or_renamed_to(
    owner: Persona, outsider: Persona
) -> None:
    from panel.sites.models import CANNOT_ADD

    created = call("POST", "", owner.key, {"domain": "elsewhere.org"})
    assert created.status_code == 400 and created.json() == {"error": f"domain: {CANNOT_ADD}"}
    renamed = call("PUT", "/example.com", owner.key, {"domain": "elsewhere.org"})
    assert renamed.status_code == 400 and renamed.json() == {"error": f"domain: {CANNOT_ADD}"}


def test_list_shows_the_organisations_sites(owner: Persona, outsider: Persona) -> None:
    from panel.sites.models import Site

    Site.objects.create(organisation=owner.site.organisation, domain="another.example.com")
    response = call("GET", "", owner.key)
    assert response.status_code == 200
    assert response.json() == {
        "sites": [
            {"domain": "another.example.com", "timezone": "UTC", "retention_days": 1095},
            {"domain": "example.com", "timezone": "Europe/Berlin", "retention_days": 1095},
        ],
        "meta": {"after": None, "before": None, "limit": 100},
    }
    first = call("GET", "", owner.key, {"limit": "1"}).json()
    assert [s["domain"] for s in first["sites"]] == ["another.example.com"]
    assert first["meta"]["after"] == "another.example.com"
    second = call("GET", "", owner.key, {"limit": "1", "after": "another.example.com"}).json()
    assert [s["domain"] for s in second["sites"]] == ["example.com"] and second["meta"]["after"] is None


def test_create_with_json_or_a_form(owner: Persona) -> None:
    made = call("POST", "", owner.key, {"domain": "https://www.New-Site.org/", "timezone": "Asia/Tokyo"})
    assert made.status_code == 200
    assert made.json() == {"domain": "new-site.org", "timezone": "Asia/Tokyo", "retention_days": 1095}
    form = call(
        "POST", "", owner.key, "domain=form.example.org", content_type="application/x-www-form-urlencoded"
    )
    assert form.json()["timezone"] == "UTC"
    multipart = Client().post(
        "/api/v1/sites", {"domain": "multi.example.org"}, headers={"Authorization": f"Bearer {owner.key}"}
    )
    assert multipart.status_code == 200 and multipart.json()["domain"] == "multi.example.org"
    domains = [s["domain"] for s in call("GET", "", owner.key).json()["sites"]]
    assert domains == ["example.com", "form.example.org", "multi.example.org", "new-site.org"]


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        ({"timezone": "UTC"}, "application/json", "domain: This field is required."),
        ({"domain": "not a domain"}, "application/json", "domain: enter a domain such as example.com"),
        ({"domain": "example.com"}, "application/json", "domain: this domain is already registered"),
        (
            {"domain": "a.org", "timezone": "Mars/Base"},
            "application/json",
            "timezone: Select a valid choice.",
        ),
        ("{not json", "application/json", "body: the body is not valid JSON"),
        ("[1, 2]", "application/json", "body: the body must be a JSON object"),
        ({"domain": ["x.org"]}, "application/json", "domain: enter a domain such as example.com"),
    ],
)
def test_create_answers_400_naming_the_field(
    owner: Persona, body: Any, content_type: str, message: str
) -> None:
    response = call("POST", "", owner.key, body, content_type=content_type)
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)


def test_read_update_and_rename(owner: Persona) -> None:
    assert call("GET", "/example.com", owner.key).json()["timezone"] == "Europe/Berlin"
    updated = call("PUT", "/example.com", owner.key, {"timezone": "UTC", "retention_days": 365})
    assert updated.json() == {"domain": "example.com", "timezone": "UTC", "retention_days": 365}
    renamed = call("PUT", "/example.com", owner.key, {"domain": "renamed.example.com"})
    assert renamed.json()["domain"] == "renamed.example.com"
    assert call("GET", "/example.com", owner.key).status_code == 404
    bad = call("PUT", "/renamed.example.com", owner.key, {"retention_days": "7"})
    assert bad.status_code == 400 and bad.json()["error"].startswith("retention_days:")
    empty = call("PUT", "/renamed.example.com", owner.key, {})
    assert empty.status_code == 400 and empty.json()["error"].startswith("body:")


def test_delete_removes_the_site_and_its_events(
    owner: Persona, outsider: Persona, events_table: None
) -> None:
    from panel.sites.models import Site

    now = dt.datetime.now(dt.UTC)
    seed_visits(owner.site.id, [(now, 1, "/", ""), (now - dt.timedelta(days=3), 2, "/a", "")])
    seed_visits(outsider.site.id, [(now, 3, "/", "")])
    site_id = owner.site.id
    response = call("DELETE", "/example.com", owner.key)
    assert response.status_code == 200 and response.json() == {"deleted": True}
    assert not Site.objects.filter(pk=site_id).exists()
    for table in ("events", "visits"):
        left = client.execute(f"SELECT site_id, count() FROM {table} GROUP BY site_id").rows
        assert left == [(outsider.site.id, 1)]


def test_delete_takes_the_sites_goals_and_funnels(owner: Persona, events_table: None) -> None:
    from panel.goals.models import Funnel, Goal
    from panel.sites.models import Site

    home = Goal.objects.create(site=owner.site, page_path="/")
    signup = Goal.objects.create(site=owner.site, event_name="Signup")
    Funnel.objects.create_with_steps(owner.site, "Home then signup", [home, signup])
    response = call("DELETE", "/example.com", owner.key)
    assert response.status_code == 200 and response.json() == {"deleted": True}
    assert not Site.objects.filter(domain="example.com").exists()
    assert not Goal.objects.exists() and not Funnel.objects.exists()


def test_another_organisation_gets_404(owner: Persona, outsider: Persona) -> None:
    for method in ("GET", "PUT", "DELETE"):
        response = call(
            method, "/example.com", outsider.key, {"timezone": "UTC"} if method == "PUT" else None
        )
        assert response.status_code == 404, method
    assert "example.com" not in [s["domain"] for s in call("GET", "", outsider.key).json()["sites"]]


def test_keys_without_the_scope_or_sessions_are_refused(owner: Persona) -> None:
    from panel.apikeys.models import ApiKey

    _key, stats_only = ApiKey.objects.issue(owner.user, scopes=["stats:read"])
    assert call("GET", "", stats_only).status_code == 403
    assert call("GET", "", None).status_code == 401
    assert call("GET", "", "lk_not_a_key").status_code == 401
    browser = Client()
    browser.force_login(owner.user)
    assert browser.get("/api/v1/sites").status_code == 401  # keys only, never a browser session


def test_a_viewer_may_read_but_not_change(owner: Persona) -> None:
    """A viewer cannot be given a sites:write key; one made while they were an admin stops writing."""
    from panel.accounts.models import Membership, User
    from panel.apikeys.models import ApiKey

    viewer = User.objects.create_user("viewer@example.com", "a long enough passphrase")
    Membership.objects.create(user=viewer, organisation=owner.site.organisation, role=Membership.Role.ADMIN)
    Membership.objects.filter(user=viewer).exclude(organisation=owner.site.organisation).delete()
    _key, raw = ApiKey.objects.issue(viewer, scopes=["sites:write"])
    Membership.objects.filter(user=viewer).update(role=Membership.Role.VIEWER)
    with pytest.raises(ValueError, match="needs an owner or admin"):
        ApiKey.objects.issue(viewer, scopes=["sites:write"])
    assert call("GET", "/example.com", raw).status_code == 403
    assert call("PUT", "/example.com", raw, {"timezone": "UTC"}).status_code == 403
    assert call("DELETE", "/example.com", raw).status_code == 403
    assert call("POST", "", raw, {"domain": "viewer.org"}).status_code == 403
    assert call("PATCH", "/example.com", owner.key, {}).status_code == 405


def test_goals_are_listed_found_or_created_and_deleted(owner: Persona, outsider: Persona) -> None:
    signup = call(
        "PUT", "/goals", owner.key, {"site_id": "example.com", "goal_type": "event", "event_name": "Signup"}
    )
    assert signup.status_code == 200
    goal = signup.json()
    assert goal == {
        "id": goal["id"],
        "display_name": "Signup",
        "goal_type": "event",
        "event_name": "Signup",
        "page_path": None,
    }
    again = call(
        "PUT", "/goals", owner.key, {"site_id": "example.com", "goal_type": "event", "event_name": "Signup"}
    )
    assert again.json()["id"] == goal["id"]  # found, not made twice
    page = call(
        "PUT", "/goals", owner.key, {"site_id": "example.com", "goal_type": "page", "page_path": "/blog/**"}
    )
    assert page.json()["display_name"] == "Visit /blog/**"
    listed = call("GET", "/goals", owner.key, {"site_id": "example.com"}).json()["goals"]
    assert [g["display_name"] for g in listed] == ["Signup", "Visit /blog/**"]
    assert call("GET", "/goals", outsider.key, {"site_id": "example.com"}).status_code == 404
    assert call("DELETE", f"/goals/{goal['id']}", outsider.key, {"site_id": "example.com"}).status_code == 404
    assert call("DELETE", f"/goals/{goal['id']}", owner.key, {"site_id": "example.com"}).json() == {
        "deleted": True
    }
    assert call("DELETE", f"/goals/{goal['id']}", owner.key, {"site_id": "example.com"}).status_code == 404
    assert len(call("GET", "/goals", owner.key, {"site_id": "example.com"}).json()["goals"]) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"site_id": "example.com", "goal_type": "click"}, "goal_type: must be event or page"),
        ({"site_id": "example.com", "goal_type": "event"}, "event_name: is required"),
        ({"site_id": "example.com", "goal_type": "event", "event_name": "pageview"}, "event_name: "),
        ({"goal_type": "page", "page_path": "/"}, "site_id: is required"),
    ],
)
def test_bad_goals_answer_400_naming_the_field(owner: Persona, body: dict[str, str], message: str) -> None:
    response = call("PUT", "/goals", owner.key, body)
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)


def test_shared_links_are_found_or_created_listed_and_revoked(owner: Persona, outsider: Persona) -> None:
    made = call("PUT", "/shared-links", owner.key, {"site_id": "example.com", "name": "Investors"})
    assert made.status_code == 200
    link = made.json()
    assert link["name"] == "Investors" and link["password_protected"] is False
    assert link["url"].startswith("http") and "/share/example.com?auth=" in link["url"]
    again = call("PUT", "/shared-links", owner.key, {"site_id": "example.com", "name": "Investors"})
    assert again.json() == link  # found by name, not made twice
    locked = call(
        "PUT", "/shared-links", owner.key, {"site_id": "example.com", "name": "Board", "password": "s3cret!"}
    ).json()
    assert locked["password_protected"] is True
    listed = call("GET", "/shared-links", owner.key, {"site_id": "example.com"}).json()["shared_links"]
    assert [item["name"] for item in listed] == ["Investors", "Board"]

    path = link["url"].split("://", 1)[1].split("/", 1)[1]
    assert Client().get("/" + path).status_code == 200  # the link shows the dashboard, logged out
    assert call("GET", "/shared-links", outsider.key, {"site_id": "example.com"}).status_code == 404
    gone = call("DELETE", f"/shared-links/{link['id']}", outsider.key, {"site_id": "example.com"})
    assert gone.status_code == 404
    revoked = call("DELETE", f"/shared-links/{link['id']}", owner.key, {"site_id": "example.com"})
    assert revoked.json() == {"deleted": True}
    assert Client().get("/" + path).status_code == 404  # revoked at once
    again_gone = call("DELETE", f"/shared-links/{link['id']}", owner.key, {"site_id": "example.com"})
    assert again_gone.status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"site_id": "example.com"}, "name: is required"),
        ({"site_id": "example.com", "name": "x" * 101}, "name: at most 100 characters"),
        ({"name": "Investors"}, "site_id: is required"),
    ],
)
def test_bad_shared_links_answer_400_naming_the_field(
    owner: Persona, body: dict[str, str], message: str
) -> None:
    response = call("PUT", "/shared-links", owner.key, body)
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)
