"""Revocation reaches ingest at once: a key revoked, a member removed or demoted in the panel is refused
from the very next ingest request, though ingest caches grants for 30 seconds.

The panel's real views (Django test client) change the real accounts database (PostgreSQL); ingest is
the real app with its real key cache over its own connection. Across processes the generation goes
through the test run's Redis.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import redis
from django.utils import timezone

from ingest.accounts import AccountsDB
from ingest.app import IngestApp, TrackerFiles
from ingest.buffer import SpoolBuffer
from ingest.keys import KeyRing
from ingest.revocations import Revocations
from panel.accounts.models import Membership
from panel.apikeys.models import ApiKey
from tests.accounts_helpers import fresh_counters, logged_in, member_of, org_of  # noqa: F401  # autouse fixture
from tests.conftest import Persona, pipeline_for
from tests.wsgi import call

UA = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def ingest(accounts: AccountsDB, tmp_path: Path, keys: KeyRing | None = None) -> IngestApp:
    """The ingest app with the key cache it runs with (30 s, the process's revocation generation)."""
    keys = keys or KeyRing(accounts.fetch_key)
    buffer = SpoolBuffer(tmp_path / "spool")
    return IngestApp(pipeline_for(accounts), buffer, (), TrackerFiles(tmp_path), keys)


def send(app: IngestApp, key: str) -> int:
    """A server-side event (it names the visitor's IP, which needs ``events:write``): its status."""
    body = {"n": "pageview", "u": "https://example.com/", "d": "example.com", "ip": "203.0.113.7"}
    headers = {"User-Agent": UA, "Authorization": f"Bearer {key}"}
    return call(app, "POST", "/api/event", json.dumps(body).encode(), headers=headers).status


def test_a_key_revoked_in_the_panel_is_refused_at_ingest_on_the_next_request(
    site: Persona, accounts: AccountsDB, tmp_path: Path
) -> None:
    app = ingest(accounts, tmp_path)
    assert send(app, site.key) == 202
    assert send(app, site.key) == 202  # the grant is cached now
    key = ApiKey.objects.get(user=site.user)
    response = logged_in(site.user).post(f"/orgs/{org_of(site).pk}/keys/{key.pk}/revoke/")
    assert response.status_code == 302
    assert send(app, site.key) == 401


def teammate_sending(
    site: Persona, accounts: AccountsDB, tmp_path: Path
) -> tuple[IngestApp, str, Membership]:
    """An admin teammate of ``site``'s owner with a key whose event ingest has just accepted (and cached)."""
    organisation = org_of(site)
    teammate = member_of(organisation, "team@example.com", "admin")
    _key, raw = ApiKey.objects.issue(teammate, organisation=organisation, name="their sender")
    app = ingest(accounts, tmp_path)
    assert send(app, raw) == 202
    return app, raw, Membership.objects.get(user=teammate, organisation=organisation)


def test_a_member_removed_from_the_organisation_is_refused_at_ingest_on_the_next_request(
    site: Persona, accounts: AccountsDB, tmp_path: Path
) -> None:
    app, raw, membership = teammate_sending(site, accounts, tmp_path)
    organisation = membership.organisation
    response = logged_in(site.user).post(f"/orgs/{organisation.pk}/members/{membership.pk}/remove/")
    assert response.status_code == 302
    assert send(app, raw) == 401


def test_a_member_demoted_to_viewer_loses_events_write_at_ingest_on_the_next_request(
    site: Persona, accounts: AccountsDB, tmp_path: Path
) -> None:
    app, raw, membership = teammate_sending(site, accounts, tmp_path)
    organisation = membership.organisation
    response = logged_in(site.user).post(
        f"/orgs/{organisation.pk}/members/{membership.pk}/role/", {"role": "viewer"}
    )
    assert response.status_code == 302
    assert send(app, raw) == 401  # a viewer's key keeps stats:read only


def test_a_revocation_in_another_process_reaches_ingest_through_redis(
    site: Persona, accounts: AccountsDB, tmp_path: Path, redis_url: str
) -> None:
    """Two processes' views of the generation (each its own count), sharing the counter in Redis."""
    counter = f"test:revocations:{uuid.uuid4().hex}"
    clock = Clock()
    panel_process = Revocations(redis_url, key=counter)
    ingest_process = Revocations(redis_url, key=counter, check_every_s=0.05, clock=clock)
    app = ingest(accounts, tmp_path, KeyRing(accounts.fetch_key, revocations=ingest_process))
    try:
        assert send(app, site.key) == 202
        ApiKey.objects.filter(user=site.user).update(revoked_at=timezone.now())
        panel_process.bump()
        assert send(app, site.key) == 202  # within the 50 ms between two reads of the counter
        clock.now += 0.05
        assert send(app, site.key) == 401
    finally:
        redis.Redis.from_url(redis_url).delete(counter)


def test_with_redis_unreachable_a_revocation_still_reaches_this_process_and_the_cache_keeps_working(
    site: Persona, accounts: AccountsDB, tmp_path: Path
) -> None:
    revocations = Revocations("redis://127.0.0.1:1/0")  # nothing listens there
    app = ingest(accounts, tmp_path, KeyRing(accounts.fetch_key, revocations=revocations))
    assert send(app, site.key) == 202
    ApiKey.objects.get(user=site.user).revoke()
    revocations.bump()  # the panel of this process (``revoke`` bumped the process's shared one)
    assert send(app, site.key) == 401
