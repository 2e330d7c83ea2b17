"""API keys in the UI: listing, creating (shown once, stored hashed), scopes by role, revoking, the
Stats API allowance shown; keys reach only their own organisation's sites, in the panel and in ingest."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import CommandError
from django.db import connection
from django.test import Client

from ingest.accounts import AccountsDB
from ingest.keys import hash_key
from panel.accounts.models import Membership, Organisation, Role
from panel.apikeys.models import ApiKey
from panel.apikeys.views import describe_rate
from panel.sites.models import Site
from tests.accounts_helpers import fresh_counters, logged_in, member_of, org_of, page  # noqa: F401  # autouse fixture
from tests.conftest import Persona
from tests.test_commands import run

pytestmark = pytest.mark.django_db


def create(
    browser: Client, org: Organisation, name: str = "ci", scopes: tuple[str, ...] = ("stats:read",)
) -> Any:
    return browser.post(f"/orgs/{org.pk}/keys/", {"name": name, "scopes": list(scopes)})


def shown_key(response: Any) -> str:
    found = re.search(r'<pre class="snippet" id="new-key">(lk_[A-Za-z0-9_-]+)</pre>', page(response))
    assert found is not None
    return found.group(1)


def stats(key: str, site: str = "example.com") -> Any:
    return Client().get(
        "/api/v1/stats/aggregate",
        {"site_id": site, "metrics": "visitors"},
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def test_a_new_key_is_shown_once_and_stored_as_a_hash(owner: Persona, events_table: None) -> None:
    browser = logged_in(owner.user)
    response = create(browser, org_of(owner), name="Nightly export")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    raw = shown_key(response)
    key = ApiKey.objects.get(name="Nightly export")
    assert key.key_hash == hash_key(raw) and raw.startswith(key.prefix) and key.organisation == org_of(owner)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM apikeys_apikey WHERE id = %s", [key.pk])
        assert raw not in repr(cursor.fetchall())
    listing = page(browser.get(f"/orgs/{org_of(owner).pk}/keys/"))
    assert raw not in listing and f"{key.prefix}…" in listing and "Nightly export" in listing
    assert stats(raw).status_code == 200


def test_the_list_shows_scopes_dates_and_the_allowance(
    owner: Persona, settings: Any, events_table: None
) -> None:
    settings.STATS_API_RATE = "250/h"
    browser = logged_in(owner.user)
    raw = shown_key(create(browser, org_of(owner), scopes=("stats:read", "events:write")))
    key = ApiKey.objects.get(key_hash=hash_key(raw))
    row = re.search(
        rf'<tr data-key="{key.prefix}">(.*?)</tr>', page(browser.get(f"/orgs/{org_of(owner).pk}/keys/")), re.S
    )
    assert row is not None
    assert "events:write, stats:read" in row.group(1) and "never" in row.group(1)
    assert key.created_at.strftime("%Y-%m-%d") in row.group(1)
    assert stats(raw).status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None
    listing = page(browser.get(f"/orgs/{org_of(owner).pk}/keys/"))
    used = re.search(rf'<tr data-key="{key.prefix}">(.*?)</tr>', listing, re.S)
    assert used is not None and "never" not in used.group(1)
    assert '<strong id="rate">250 requests an hour</strong>' in listing


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"name": "", "scopes": ["stats:read"]}, "name"),
        ({"name": "x\ny", "scopes": ["stats:read"]}, "name"),
        ({"name": "x" * 101, "scopes": ["stats:read"]}, "name"),
        ({"name": "ci"}, "scopes"),
        ({"name": "ci", "scopes": ["admin:everything"]}, "scopes"),
    ],
)
def test_form_errors_name_the_field(owner: Persona, form: dict[str, Any], field: str) -> None:
    response = logged_in(owner.user).post(f"/orgs/{org_of(owner).pk}/keys/", form)
    assert response.status_code == 400 and f'data-field="{field}"' in page(response)
    assert not ApiKey.objects.exclude(name="tests").exists()


@pytest.mark.parametrize("scope", ["sites:write", "events:write"])
def test_viewers_create_only_reading_keys(owner: Persona, scope: str) -> None:
    viewer = member_of(org_of(owner), "viewer@example.com", Role.VIEWER)
    browser = logged_in(viewer)
    refused = create(browser, org_of(owner), scopes=("stats:read", scope))
    assert refused.status_code == 400 and "only owners and admins may create keys with" in page(refused)
    assert create(browser, org_of(owner)).status_code == 200
    admin = member_of(org_of(owner), "admin@example.com", Role.ADMIN)
    assert create(logged_in(admin), org_of(owner), scopes=(scope,)).status_code == 200


def test_a_revoked_key_stops_working(owner: Persona) -> None:
    browser = logged_in(owner.user)
    raw = shown_key(create(browser, org_of(owner)))
    key = ApiKey.objects.get(key_hash=hash_key(raw))
    response = browser.post(f"/orgs/{org_of(owner).pk}/keys/{key.pk}/revoke/")
    assert response.status_code == 302
    assert stats(raw).status_code == 401
    assert f'data-key="{key.prefix}"' not in page(browser.get(f"/orgs/{org_of(owner).pk}/keys/"))
    assert browser.post(f"/orgs/{org_of(owner).pk}/keys/{key.pk}/revoke/").status_code == 404


def test_a_viewer_revokes_only_their_own_keys(owner: Persona) -> None:
    org = org_of(owner)
    viewer = member_of(org, "viewer@example.com", Role.VIEWER)
    theirs, _ = ApiKey.objects.issue(viewer, organisation=org, scopes=["stats:read"])
    owners, _ = ApiKey.objects.issue(owner.user, organisation=org, scopes=["stats:read"])
    browser = logged_in(viewer)
    assert browser.post(f"/orgs/{org.pk}/keys/{owners.pk}/revoke/").status_code == 403
    assert browser.post(f"/orgs/{org.pk}/keys/{theirs.pk}/revoke/").status_code == 302
    assert ApiKey.objects.get(pk=owners.pk).revoked_at is None


def test_a_key_reaches_only_its_own_organisations_sites(
    owner: Persona, outsider: Persona, events_table: None
) -> None:
    Membership.objects.create(user=outsider.user, organisation=org_of(owner), role=Role.ADMIN)
    _key, in_theirs = ApiKey.objects.issue(
        outsider.user, organisation=org_of(outsider), scopes=["stats:read"]
    )
    _key, in_ours = ApiKey.objects.issue(outsider.user, organisation=org_of(owner), scopes=["stats:read"])
    assert stats(in_theirs, "elsewhere.org").status_code == 200
    assert stats(in_theirs, "example.com").status_code == 404
    assert stats(in_ours, "example.com").status_code == 200
    assert stats(in_ours, "elsewhere.org").status_code == 404


def test_a_demoted_member_keeps_only_reading(owner: Persona) -> None:
    org = org_of(owner)
    admin = member_of(org, "admin@example.com", Role.ADMIN)
    key, _raw = ApiKey.objects.issue(admin, organisation=org)
    assert key.has_scope("sites:write") and key.has_scope("events:write")
    Membership.objects.filter(user=admin, organisation=org).update(role=Role.VIEWER)
    assert not key.has_scope("sites:write") and not key.has_scope("events:write")
    assert key.has_scope("stats:read")


def test_ingest_grants_follow_the_keys_organisation_and_membership(
    accounts: AccountsDB, site: Persona
) -> None:
    org = org_of(site)
    elsewhere = Organisation.objects.create(name="Elsewhere")
    Membership.objects.create(user=site.user, organisation=elsewhere, role=Role.OWNER)
    Site.objects.create(organisation=elsewhere, domain="other.example")
    admin = member_of(org, "admin@example.com", Role.ADMIN)
    _key, raw = ApiKey.objects.issue(admin, organisation=org, scopes=["events:write", "stats:read"])
    grant = accounts.fetch_key(hash_key(raw))
    assert grant is not None and grant.site_ids == frozenset({site.site.id})
    assert grant.scopes == frozenset({"events:write", "stats:read"})
    Membership.objects.filter(user=admin, organisation=org).update(role=Role.VIEWER)
    demoted = accounts.fetch_key(hash_key(raw))
    assert demoted is not None and demoted.scopes == frozenset({"stats:read"})
    Membership.objects.filter(user=admin, organisation=org).delete()
    assert accounts.fetch_key(hash_key(raw)) is None


def test_createapikey_takes_an_organisation(owner: Persona, outsider: Persona) -> None:
    Membership.objects.create(user=outsider.user, organisation=org_of(owner), role=Role.VIEWER)
    raw = (
        run(
            "createapikey",
            "--owner",
            outsider.user.email,
            "--organisation",
            str(org_of(owner).pk),
            "--scope",
            "stats:read",
        )
        .strip()
        .splitlines()[-1]
    )
    key = ApiKey.objects.for_raw_key(raw)
    assert key is not None and key.organisation == org_of(owner)
    with pytest.raises(CommandError, match="needs an owner or admin"):
        run("createapikey", "--owner", outsider.user.email, "--organisation", str(org_of(owner).pk))
    with pytest.raises(CommandError, match="not a member"):
        run("createapikey", "--owner", owner.user.email, "--organisation", str(org_of(outsider).pk))


@pytest.mark.parametrize(
    ("rate", "words"),
    [
        ("600/h", "600 requests an hour"),
        ("10/s", "10 requests a second"),
        ("50/15m", "50 requests every 15 minutes"),
        ("5/1d", "5 requests a day"),
        ("nonsense", "nonsense"),
        ("5/x", "5/x"),
    ],
)
def test_the_allowance_is_said_in_words(rate: str, words: str) -> None:
    assert describe_rate(rate) == words
