"""Shared links: a logged-out, read-only view of one site (page, Stats API, password, embed, revoke)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from panel.sharing import views
from panel.sharing.models import SharedLink
from tests.conftest import Persona, make_event, seed


@pytest.fixture
def seeded(owner: Persona, outsider: Persona, events_table: None) -> None:
    now = dt.datetime.now(dt.UTC)
    events = [
        make_event(owner.site.id, timestamp=now, visitor_id=1, pathname="/"),
        make_event(owner.site.id, timestamp=now, visitor_id=2, pathname="/pricing"),
        make_event(outsider.site.id, timestamp=now, visitor_id=3, pathname="/secret"),
    ]
    seed(events)


@pytest.fixture
def link(owner: Persona) -> SharedLink:
    return SharedLink.objects.create_for(owner.site, name="Investors")


@pytest.fixture
def locked(owner: Persona) -> SharedLink:
    return SharedLink.objects.create_for(owner.site, name="Board", password="open sesame please")


def stats(browser: Client, path: str, **params: str) -> Any:
    return browser.get(f"/api/v1/stats/{path}", params)


def test_it_makes_unguessable_slugs(owner: Persona) -> None:
    slugs = {SharedLink.objects.create_for(owner.site, name=str(i)).slug for i in range(20)}
    assert len(slugs) == 20 and all(len(slug) >= 32 for slug in slugs)


def test_it_shows_the_dashboard_logged_out(link: SharedLink) -> None:
    response = Client().get(link.path())
    assert response.status_code == 200
    assert response.templates[0].name == "dashboard/dashboard.html"
    assert response.context["share_auth"] == link.slug and response.context["shared_link"] == link
    assert response.context["embed"] is False
    assert response.context["site"].domain == "example.com"


def test_its_stats_api_calls_answer_for_that_site_only(link: SharedLink, seeded: None) -> None:
    browser = Client()
    mine = stats(browser, "aggregate", site_id="example.com", period="day", auth=link.slug)
    assert mine.status_code == 200 and mine.json() == {"results": {"visitors": {"value": 2}}}
    rows = stats(browser, "breakdown", site_id="example.com", property="event:page", auth=link.slug)
    assert [row["page"] for row in rows.json()["results"]] == ["/", "/pricing"]
    assert stats(browser, "timeseries", site_id="example.com", auth=link.slug).status_code == 200
    assert stats(browser, "realtime/visitors", site_id="example.com", auth=link.slug).json() == 2
    other = stats(browser, "aggregate", site_id="elsewhere.org", auth=link.slug)
    assert other.status_code == 404 and "auth" in other.json()["error"]
    assert b"secret" not in other.content


def test_each_viewer_of_a_shared_link_has_an_allowance(link: SharedLink, seeded: None) -> None:
    from django.test import override_settings

    def ask(address: str) -> Any:
        query = {"site_id": "example.com", "auth": link.slug}
        return Client().get("/api/v1/stats/realtime/visitors", query, REMOTE_ADDR=address)

    with override_settings(SHARED_LINK_RATE="3/h"):
        answers = [ask("192.0.2.7") for _ in range(4)]
        assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
        assert "3/h" in answers[-1].json()["error"]
        assert ask("192.0.2.8").status_code == 200  # another viewer counts on its own


def test_it_never_writes(link: SharedLink) -> None:
    response = Client().post(f"/api/v1/stats/aggregate?site_id=example.com&auth={link.slug}")
    assert response.status_code == 403 and "only read" in response.json()["error"]
    v2 = Client().post(
        f"/api/v2/query?auth={link.slug}",
        {"site_id": "example.com", "metrics": ["visitors"], "date_range": "7d"},
        content_type="application/json",
    )
    assert v2.status_code == 403 and "only read" in v2.json()["error"]


def test_it_does_not_reach_settings_or_other_pages(link: SharedLink) -> None:
    browser = Client()
    for path in ("/example.com/settings/", "/example.com/settings/links/", "/example.com/", "/sites/"):
        response = browser.get(f"{path}?auth={link.slug}")
        assert response.status_code == 302 and response["Location"].startswith("/login/"), path
    reset = browser.post(
        f"/example.com/settings/danger/reset?auth={link.slug}", {"reset-confirm": "example.com"}
    )
    assert reset.status_code in (302, 403) and SharedLink.objects.filter(pk=link.pk).exists()
    if reset.status_code == 302:
        assert reset["Location"].startswith("/login/")


@pytest.mark.parametrize("auth", ["", "nope", "x" * 500])
def test_a_wrong_slug_is_404(link: SharedLink, auth: str) -> None:
    assert Client().get(f"/share/example.com?auth={auth}").status_code == 404
    assert stats(Client(), "aggregate", site_id="example.com", auth=auth).status_code == 404


def test_a_slug_of_another_site_is_404(link: SharedLink, outsider: Persona) -> None:
    assert Client().get(f"/share/elsewhere.org?auth={link.slug}").status_code == 404


def test_a_revoked_link_is_404_at_once(owner: Persona, link: SharedLink, seeded: None) -> None:
    browser = Client()
    assert browser.get(link.path()).status_code == 200
    admin = Client()
    admin.force_login(owner.user)
    revoked = admin.post(f"/example.com/settings/links/{link.pk}/revoke")
    assert revoked.status_code == 302
    assert browser.get(link.path()).status_code == 404
    assert stats(browser, "aggregate", site_id="example.com", auth=link.slug).status_code == 404
    assert browser.get(f"/example.com/export.zip?auth={link.slug}").status_code == 404


def test_a_password_protected_link_asks_for_its_password(locked: SharedLink, seeded: None) -> None:
    browser = Client()
    page = browser.get(locked.path())
    assert page.status_code == 200 and b'name="password"' in page.content
    assert "share_auth" not in page.context
    assert stats(browser, "aggregate", site_id="example.com", auth=locked.slug).status_code == 404

    wrong = browser.post(locked.path(), {"password": "guess"})
    assert wrong.status_code == 403 and b"not right" in wrong.content
    assert stats(browser, "aggregate", site_id="example.com", auth=locked.slug).status_code == 404

    right = browser.post(locked.path(), {"password": "open sesame please"})
    assert right.status_code == 302 and right["Location"] == locked.path()
    assert browser.get(locked.path()).context["share_auth"] == locked.slug
    assert stats(browser, "aggregate", site_id="example.com", auth=locked.slug).status_code == 200
    # another browser has not given the password
    assert stats(Client(), "aggregate", site_id="example.com", auth=locked.slug).status_code == 404


def test_changing_the_password_locks_browsers_out(locked: SharedLink) -> None:
    browser = Client()
    browser.post(locked.path(), {"password": "open sesame please"})
    assert "share_auth" in browser.get(locked.path()).context
    locked.set_password("a different password")
    locked.save()
    assert b'name="password"' in browser.get(locked.path()).content


def test_password_attempts_are_rate_limited(locked: SharedLink, monkeypatch: pytest.MonkeyPatch) -> None:
    # the same allowance over a day, so no window boundary falls inside the test
    monkeypatch.setattr(views, "PASSWORD_RATE", "10/d")
    browser = Client()
    for _ in range(10):
        assert browser.post(locked.path(), {"password": "guess"}).status_code == 403
    limited = browser.post(locked.path(), {"password": "open sesame please"})
    assert limited.status_code == 429 and b"Too many attempts" in limited.content
    assert "share_auth" not in browser.get(locked.path()).context


def test_the_password_form_needs_csrf(locked: SharedLink) -> None:
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(locked.path(), {"password": "open sesame please"}).status_code == 403


def test_embed_mode_may_be_framed_and_has_no_header(link: SharedLink) -> None:
    embedded = Client().get(link.path(embed=True))
    assert embedded.status_code == 200 and embedded.context["embed"] is True
    assert "X-Frame-Options" not in embedded.headers
    assert "frame-ancestors *" in embedded["Content-Security-Policy"]
    assert b'class="topbar"' not in embedded.content

    plain = Client().get(link.path())
    assert plain["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in plain["Content-Security-Policy"]
    assert b'class="topbar"' in plain.content


def test_every_other_page_stays_unframeable(owner: Persona, link: SharedLink) -> None:
    browser = Client()
    browser.force_login(owner.user)
    for path in ("/sites/", "/example.com/", "/example.com/settings/", "/login/"):
        response = browser.get(path + "?embed=true")
        assert response["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"], path


def test_creating_a_link_says_so_once(owner: Persona) -> None:
    admin = Client()
    admin.force_login(owner.user)
    page = admin.post("/example.com/settings/links/", {"name": "Board <b>"}, follow=True)
    assert page.status_code == 200
    assert page.content.decode().count("Shared link “Board &lt;b&gt;” created.") == 1
    revoked = admin.post(f"/example.com/settings/links/{SharedLink.objects.get().pk}/revoke", follow=True)
    assert revoked.content.decode().count("Shared link “Board &lt;b&gt;” revoked.") == 1
