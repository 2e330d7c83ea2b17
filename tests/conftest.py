"""Shared fixtures: the real chDB engine (migrated once), personas with sites and API keys, seeding.

PostgreSQL (accounts) and Redis are real servers started by ``./dev test``; ClickHouse is chDB, in this
process, or, for server mode (``server_store``), over HTTP: a ClickHouse server at ``CLICKHOUSE_TEST_URL``
when it is set, else chDB in a process of its own behind the HTTP front (``tests/clickhouse_front.py``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from analytics import client
from analytics.schema import Event
from clickhouse.migrate import migrate
from ingest.accounts import AccountsDB
from ingest.pipeline import Pipeline
from ingest.sites import SiteRegistry
from ingest.visitor import SaltStore
from ingest.visits import assign
from tests.clickhouse_front import running_front
from tests.smtp import SmtpServer


@pytest.fixture(scope="session", autouse=True)
def static_files() -> None:
    """Pages are served with hashed static names, as in production: collect them once."""
    from django.core.management import call_command

    call_command("collectstatic", "--no-input", verbosity=0)


@pytest.fixture(scope="session")
def clickhouse() -> Iterator[None]:
    migrate()
    yield


# The tables holding events and what is derived from them (their visits, their days' counts and sums).
EVENT_TABLES = ("events", "visits", "day_events", "day_sums")


def clear_events() -> None:
    for table in EVENT_TABLES:
        client.command(f"TRUNCATE TABLE {table}")


@pytest.fixture
def events_table(clickhouse: None) -> Iterator[None]:
    clear_events()
    yield


@pytest.fixture(scope="session")
def clickhouse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ClickHouse server's URL, migrated once: ``CLICKHOUSE_TEST_URL``'s, else the chDB HTTP front's."""
    with contextlib.ExitStack() as stack:
        url = os.environ.get("CLICKHOUSE_TEST_URL", "")
        if not url:
            work = tmp_path_factory.mktemp("clickhouse-front")
            url = stack.enter_context(running_front(work / "data", work / "front.log"))
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CLICKHOUSE_URL", url)
            migrate()
        yield url


@pytest.fixture
def server_store(clickhouse_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Server mode's event store for this test (``CLICKHOUSE_URL``, for this process and the ones it
    starts), its event tables and drop counts empty; its URL."""
    monkeypatch.setenv("CLICKHOUSE_URL", clickhouse_server)
    clear_events()
    client.command("TRUNCATE TABLE dropped_events")
    return clickhouse_server


def make_event(site_id: int, **fields: Any) -> Event:
    base: dict[str, Any] = {
        "site_id": site_id,
        "timestamp": dt.datetime.now(dt.UTC),
        "event_id": uuid.uuid4(),
        "name": "pageview",
        "visitor_id": 1,
        "hostname": "example.com",
        "pathname": "/",
    }
    return Event(**{**base, **fields})


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 20.0) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def seed(events: list[Event]) -> None:
    """Insert events as the flusher does; those without a visit get the visits ingest would have
    decided had they arrived in time order (``ingest.visits.assign``, over this call's events)."""
    lines = [event.to_json() for event in events if event.visit_id]
    lines += assign([event for event in events if not event.visit_id])
    client.insert_json_lines("events", lines, token=f"test:{uuid.uuid4()}")


def seed_dropped(rows: list[tuple[int, dt.date, str, int]]) -> None:
    """Replace ``dropped_events`` with ``(site_id, UTC day, reason, count)`` rows."""
    client.command("TRUNCATE TABLE dropped_events")
    lines = [
        json.dumps({"site_id": site, "day": day.isoformat(), "reason": reason, "count": count}).encode()
        for site, day, reason, count in rows
    ]
    client.insert_json_lines("dropped_events", lines, token=f"test:{uuid.uuid4()}")


@dataclasses.dataclass
class Persona:
    user: Any
    site: Any
    key: str


@pytest.fixture
def owner(db: None) -> Persona:
    return _persona("owner@example.com", "example.com", "Europe/Berlin")


@pytest.fixture
def outsider(db: None) -> Persona:
    return _persona("outsider@elsewhere.org", "elsewhere.org", "UTC")


def _persona(email: str, domain: str, tz: str) -> Persona:
    from panel.accounts.models import User
    from panel.apikeys.models import ApiKey
    from panel.sites.models import Site

    user = User.objects.create_with_organisation(email, "a long enough passphrase")
    site = Site.objects.create(organisation=user.primary_organisation(), domain=domain, timezone=tz)
    _key, raw = ApiKey.objects.issue(user, name="tests")
    return Persona(user, site, raw)


@pytest.fixture
def accounts(transactional_db: None) -> Iterator[AccountsDB]:
    from django.conf import settings as django_settings

    db = django_settings.DATABASES["default"]
    accounts = AccountsDB(f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}")
    yield accounts
    accounts.close()


@pytest.fixture
def site(transactional_db: None) -> Persona:
    """The owner persona, committed, so ingest's own database connection sees it."""
    return _persona("owner@example.com", "example.com", "UTC")


def pipeline_for(accounts: AccountsDB) -> Pipeline:
    """The real pipeline over the accounts database, without geolocation."""
    return Pipeline(
        SiteRegistry(accounts.fetch_sites), SaltStore(accounts.salt, accounts.delete_salts_before), None
    )


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.fail("TEST_REDIS_URL is not set: run the suite with ./dev test, which starts Redis")
    return url


@pytest.fixture
def mailbox(settings: Any) -> Iterator[SmtpServer]:
    """A real local SMTP server that Django's SMTP backend sends to for this test."""
    with SmtpServer.running() as server:
        for name, value in server.django_settings().items():
            setattr(settings, name, value)
        yield server
