"""``GET /api/docs/``: the API reference for people, served to anyone, rendered from the OpenAPI document
(every operation, parameter, allowed value and default on the page; every link inside it lands; nothing
from another host), linked from the API keys page; and its example calls work as written."""

from __future__ import annotations

import re
import shlex
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.test import Client

from panel.accounts.models import User
from panel.apidocs.reference import build
from panel.stats_api.openapi import document
from tests.accounts_helpers import fresh_counters, logged_in, page  # noqa: F401  # autouse fixture
from tests.conftest import Persona, make_event, seed


def reference_html(client: Client | None = None) -> str:
    response = (client or Client()).get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    return page(response)


def test_anyone_may_read_it(db: None) -> None:
    html = reference_html()
    assert "<h1>Lantern API reference</h1>" in html
    assert 'href="/login/"' in html  # how to get a key, for someone signed out


def test_an_unverified_user_may_read_it_too(db: None) -> None:
    user = User.objects.create_with_organisation(
        "new@example.com", "a long enough passphrase", verified=False
    )
    assert logged_in(user).get("/sites/")["Location"] == "/verify/"
    assert "Lantern API reference" in reference_html(logged_in(user))


def test_a_member_is_pointed_at_their_keys(owner: Persona) -> None:
    organisation = owner.user.primary_organisation()
    html = reference_html(logged_in(owner.user))
    assert f'href="/orgs/{organisation.pk}/keys/" id="keys-link"' in html


def test_every_operation_parameter_value_and_default_is_on_the_page(db: None) -> None:
    html = reference_html()
    doc = document()
    for path, item in doc["paths"].items():
        for method, spec in item.items():
            if method == "parameters":
                continue
            article = html.split(f'id="op-{spec["operationId"]}"')[1].split("</article>")[0]
            assert f'<code class="path">{path}</code>' in article
            assert f">{method.upper()}</span>" in article
            for parameter in [*item.get("parameters", []), *spec.get("parameters", [])]:
                assert f"<code>{parameter['name']}</code>" in article, (path, parameter["name"])
                for value in parameter["schema"].get("enum", []):
                    assert f"<code>{value}</code>" in article
                if "default" in parameter["schema"]:
                    assert f"default <code>{parameter['schema']['default']}</code>" in article
            for status in spec["responses"]:
                assert f">{status}</span>" in article, (path, status)
            if "requestBody" in spec:
                assert "<h4>Request body</h4>" in article
    assert "default <code>30d</code>" in html and "default <code>100</code>" in html
    for name in doc["components"]["schemas"]:
        assert f'id="schema-{name}"' in html


def test_the_v2_body_is_spelled_out_with_nested_fields(db: None) -> None:
    article = reference_html().split('id="op-query"')[1].split("</article>")[0]
    for field in ("site_id", "metrics", "date_range", "include.comparisons.mode", "pagination.limit"):
        assert f"<code>{field}</code>" in article
    assert '<a href="#schema-Metric">array of Metric' in article
    assert "<code>year_over_year</code>" in article  # a nested field's allowed values


def test_every_link_on_the_page_lands_and_nothing_comes_from_elsewhere(db: None) -> None:
    html = reference_html()
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    anchors = re.findall(r'href="#([^"]+)"', html)
    assert len(anchors) > 50
    assert sorted({a for a in anchors if a not in ids}) == []
    for url in re.findall(r'(?:src|href)="([^"#][^"]*)"', html):
        assert url.startswith("/"), url  # static files, pages and the JSON: all Lantern's own
    assert "<script" not in html.replace('<script src="/static/lantern/theme', "")


def test_the_api_keys_page_links_to_it(owner: Persona) -> None:
    organisation = owner.user.primary_organisation()
    keys = page(logged_in(owner.user).get(f"/orgs/{organisation.pk}/keys/"))
    assert 'href="/api/docs/" id="api-docs-link"' in keys


def test_the_readme_links_to_it() -> None:
    readme = (settings.BASE_DIR / "README.md").read_text()
    assert "**`/api/docs/`**" in readme


def _send(client: Client, command: str, key: str) -> Any:
    """Run an example ``curl`` from the page through the test client, with ``key`` for the variable."""
    words = shlex.split(command.replace("\\\n", " "))
    assert words[0] == "curl"
    method, url, headers, body = "GET", "", {}, None
    rest = iter(words[1:])
    for word in rest:
        if word == "-X":
            method = next(rest)
        elif word == "-H":
            name, value = next(rest).split(": ", 1)
            headers[name] = value.replace("$LANTERN_API_KEY", key)
        elif word == "-d":
            body = next(rest)
        else:
            url = word
    assert url.startswith(settings.BASE_URL), url
    target = urlsplit(url)
    path = target.path + (f"?{target.query}" if target.query else "")
    call = getattr(client, method.lower())
    if body is None:
        return call(path, headers=headers)
    content_type = headers.pop("Content-Type")
    return call(path, body, content_type=content_type, headers=headers)


BY_ID = {"op-funnel": "funnel", "op-deleteGoal": "goal_id", "op-deleteSharedLink": "link_id"}


def test_each_example_call_works_as_written(owner: Persona, events_table: None) -> None:
    """Every example but the Events API's (served by ingest in front of Django): 200 with a key of
    every scope; one naming a funnel, goal or link by id answers 200 too, or, when no such id is the
    site's, an error naming the parameter. Deleting the site goes last."""
    seed([make_event(owner.site.id, visitor_id=1, pathname="/blog")])
    reference = build(document(), settings.BASE_URL)
    operations = [op for group in reference.groups for op in group.operations if op.path != "/api/event"]
    operations.sort(key=lambda op: op.anchor == "op-deleteSite")
    assert len(operations) == 19
    for op in operations:
        response = _send(Client(), op.curl, owner.key)
        if op.anchor in BY_ID and response.status_code != 200:  # id 1 is not this site's: named
            assert response.status_code in (400, 404)
            assert response.json()["error"].startswith(f"{BY_ID[op.anchor]}: "), response.json()
            continue
        assert response.status_code == 200, (op.curl, response.status_code, page(response)[:300])
    assert not owner.user.primary_organisation().sites.filter(domain="example.com").exists()
