"""Saved segments' endpoints (``/dashboard-data/<domain>/segments[/<id>]``): owners and admins save,
rename and delete; viewers and shared links only read; CSRF on every write; names and filters checked,
a bad one answered 400 naming its field. Another organisation's caller: ``test_tenant_isolation``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from panel.accounts.models import Role
from panel.dashboard.models import Segment
from panel.sharing.models import SharedLink
from tests.accounts_helpers import fresh_counters, logged_in, member_of  # noqa: F401  # autouse fixture
from tests.conftest import Persona


def _list_url(domain: str = "example.com") -> str:
    return reverse("dashboard-segments", kwargs={"domain": domain})


def _url(segment_id: int, domain: str = "example.com") -> str:
    return reverse("dashboard-segment", kwargs={"domain": domain, "segment_id": segment_id})


def _post(client: Client, url: str, body: Any, **headers: Any) -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(url, data, content_type="application/json", **headers)


def _error(response: Any) -> str:
    return str(json.loads(response.content)["error"])


@pytest.fixture
def segment(owner: Persona) -> Segment:
    return Segment.objects.create(site=owner.site, name="Campaign", filters="visit:utm_campaign==launch")


def test_it_saves_lists_renames_and_deletes(owner: Persona) -> None:
    browser = logged_in(owner.user)
    made = _post(browser, _list_url(), {"name": "  Google or Bing ", "filters": "visit:source==Google|Bing"})
    assert made.status_code == 201, made.content
    body = json.loads(made.content)
    assert body == {"id": body["id"], "name": "Google or Bing", "filters": "visit:source==Google|Bing"}
    assert Segment.objects.get(pk=body["id"]).created_by == owner.user

    _post(browser, _list_url(), {"name": "Blog", "filters": "event:page~blog"})
    listed = json.loads(browser.get(_list_url()).content)
    assert listed["can_edit"] is True
    assert [s["name"] for s in listed["results"]] == ["Blog", "Google or Bing"]  # by name

    renamed = _post(browser, _url(body["id"]), {"name": "Search engines"})
    assert renamed.status_code == 200
    assert json.loads(renamed.content)["name"] == "Search engines"
    changed = _post(browser, _url(body["id"]), {"filters": "visit:source==Google|Bing|DuckDuckGo"})
    assert json.loads(changed.content)["filters"] == "visit:source==Google|Bing|DuckDuckGo"

    deleted = browser.delete(_url(body["id"]))
    assert (deleted.status_code, json.loads(deleted.content)) == (200, {"deleted": True})
    assert list(Segment.objects.values_list("name", flat=True)) == ["Blog"]
    assert browser.delete(_url(body["id"])).status_code == 404
    assert browser.get(_url(body["id"] + 1)).status_code in (404, 405)


def test_an_admin_writes_a_viewer_only_reads(owner: Persona, segment: Segment) -> None:
    organisation = owner.user.primary_organisation()
    admin = logged_in(member_of(organisation, "admin@example.com", Role.ADMIN))
    viewer = logged_in(member_of(organisation, "viewer@example.com", Role.VIEWER))
    assert _post(admin, _url(segment.pk), {"name": "Launch"}).status_code == 200

    listed = viewer.get(_list_url())
    assert listed.status_code == 200
    assert json.loads(listed.content) == {
        "results": [{"id": segment.pk, "name": "Launch", "filters": "visit:utm_campaign==launch"}],
        "can_edit": False,
    }
    for response in (
        _post(viewer, _list_url(), {"name": "Mine", "filters": "event:page==/"}),
        _post(viewer, _url(segment.pk), {"name": "Renamed"}),
        viewer.delete(_url(segment.pk)),
    ):
        assert response.status_code == 403
        assert _error(response) == "only the site's owners and admins may change its segments"
    assert list(Segment.objects.values_list("name", flat=True)) == ["Launch"]


def test_a_shared_link_reads_and_never_writes(owner: Persona, segment: Segment) -> None:
    link = SharedLink.objects.create_for(owner.site, name="Public")
    anonymous = Client()
    listed = anonymous.get(_list_url(), {"auth": link.slug})
    assert listed.status_code == 200
    assert json.loads(listed.content)["results"][0]["name"] == "Campaign"
    assert json.loads(listed.content)["can_edit"] is False
    # even its owner, logged in, only reads through the link
    through_link = _post(
        logged_in(owner.user), f"{_list_url()}?auth={link.slug}", {"name": "x", "filters": "event:page==/"}
    )
    assert through_link.status_code == 403
    assert anonymous.delete(f"{_url(segment.pk)}?auth={link.slug}").status_code == 403
    assert anonymous.get(_list_url(), {"auth": "not-the-slug"}).status_code == 404
    assert anonymous.get(_list_url()).status_code == 404  # logged out, no link: no such site
    link.delete()
    assert anonymous.get(_list_url(), {"auth": link.slug}).status_code == 404
    assert Segment.objects.count() == 1


def test_an_api_key_is_no_way_in(owner: Persona, segment: Segment) -> None:
    by_key = Client(HTTP_AUTHORIZATION=f"Bearer {owner.key}")
    assert by_key.get(_list_url()).status_code == 404
    assert by_key.delete(_url(segment.pk)).status_code == 404
    assert Segment.objects.count() == 1


def test_every_write_needs_the_csrf_token(owner: Persona, segment: Segment, clickhouse: None) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner.user)
    new = {"name": "Blog", "filters": "event:page~blog"}
    for response in (
        _post(browser, _list_url(), new),
        _post(browser, _url(segment.pk), {"name": "Renamed"}),
        browser.delete(_url(segment.pk)),
    ):
        assert response.status_code == 403
        assert "CSRF" in _error(response) or _error(response) == "forbidden"
    assert list(Segment.objects.values_list("name", flat=True)) == ["Campaign"]
    browser.get("/example.com/")  # the dashboard sets the token's cookie
    token = browser.cookies["csrftoken"].value
    assert _post(browser, _list_url(), new, HTTP_X_CSRFTOKEN=token).status_code == 201
    assert browser.delete(_url(segment.pk), HTTP_X_CSRFTOKEN=token).status_code == 200


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        ({"filters": "event:page==/"}, "name: is required: 1 to 80 characters"),
        ({"name": "   ", "filters": "event:page==/"}, "name: is required: 1 to 80 characters"),
        ({"name": "x" * 81, "filters": "event:page==/"}, "name: is at most 80 characters"),
        ({"name": 7, "filters": "event:page==/"}, "name: is required: 1 to 80 characters"),
        ({"name": "a\nb", "filters": "event:page==/"}, "name: cannot hold control characters"),
        (
            {"name": "Campaign", "filters": "event:page==/"},
            "name: this site already has a segment called 'Campaign'",
        ),
        ({"name": "ok"}, "filters: is required, as in the URL: visit:source==Google|Bing;event:page~blog"),
        (
            {"name": "ok", "filters": ["event:page==/"]},
            "filters: is required, as in the URL: visit:source==Google|Bing;event:page~blog",
        ),
        ({"name": "ok", "filters": " ; "}, "filters: a segment needs at least one filter"),
        ({"name": "ok", "filters": "visit:nonsense==1"}, "filters: cannot filter by 'visit:nonsense'"),
        (
            {"name": "ok", "filters": "event:page"},
            "filters: 'event:page' must look like dimension==value (or !=, ~, !~)",
        ),
        (
            {"name": "ok", "filters": "event:page==" + "|".join(["x"] * 101)},
            "filters: event:page: at most 100 values in one filter",
        ),
        ({"name": "ok", "filters": "x" * 20_001}, "filters: is longer than 20000 characters"),
        ("not json", "body: is not JSON"),
        ([1, 2], 'body: must be a JSON object: {"name": "…", "filters": "…"}'),
    ],
)
def test_bad_names_and_filters_are_named(owner: Persona, segment: Segment, body: Any, answer: str) -> None:
    response = _post(logged_in(owner.user), _list_url(), body)
    assert (response.status_code, _error(response)) == (400, answer)
    assert list(Segment.objects.values_list("name", flat=True)) == ["Campaign"]


def test_a_rename_is_checked_as_a_new_segment_is(owner: Persona, segment: Segment) -> None:
    Segment.objects.create(site=owner.site, name="Blog", filters="event:page~blog")
    browser = logged_in(owner.user)
    for body, answer in (
        ({"name": ""}, "name: is required: 1 to 80 characters"),
        ({"name": "Blog"}, "name: this site already has a segment called 'Blog'"),
        ({"filters": "visit:nonsense==1"}, "filters: cannot filter by 'visit:nonsense'"),
        ({"name": "Fine", "filters": ""}, "filters: a segment needs at least one filter"),
        ({}, "name: send a new name, new filters, or both"),
    ):
        response = _post(browser, _url(segment.pk), body)
        assert (response.status_code, _error(response)) == (400, answer)
    assert Segment.objects.get(pk=segment.pk).name == "Campaign"
    assert _post(browser, _url(segment.pk), {"name": "Campaign"}).status_code == 200  # its own name


def test_another_sites_segment_is_not_found_through_this_site(
    owner: Persona, outsider: Persona, segment: Segment
) -> None:
    theirs = Segment.objects.create(site=outsider.site, name="Theirs", filters="event:page==/")
    browser = logged_in(owner.user)
    assert _post(browser, _url(theirs.pk), {"name": "Mine now"}).status_code == 404
    assert browser.delete(_url(theirs.pk)).status_code == 404
    assert Segment.objects.get(pk=theirs.pk).name == "Theirs"


def test_deleting_the_site_deletes_its_segments(owner: Persona, segment: Segment) -> None:
    owner.site.delete()
    assert not Segment.objects.exists()
