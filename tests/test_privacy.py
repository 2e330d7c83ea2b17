"""After a realistic ingest, neither ClickHouse nor PostgreSQL holds an IP address or a user-agent string.

Browser and server-side events from many visitors go through the real app, the buffer and the flusher;
then every row of every table in both databases is dumped as text and searched.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
from pathlib import Path

from django.db import connection

from analytics import client
from ingest.accounts import AccountsDB
from ingest.app import IngestApp, TrackerFiles
from ingest.buffer import SpoolBuffer
from ingest.flusher import Flusher
from ingest.geo import GeoLocator
from ingest.keys import KeyRing
from ingest.pipeline import Pipeline
from ingest.sites import SiteRegistry
from ingest.visitor import SaltStore
from tests.conftest import Persona
from tests.wsgi import call

AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.81 Mobile Safari/537.36",
]
ADDRESSES = ["81.2.69.160", "89.160.20.112", "216.160.83.56", "2.125.160.216", "2001:218:85a3::1", "10.9.8.7"]


def forms_of(address: str) -> list[str]:
    """The address as text, and as the integer a careless schema might store."""
    parsed = ipaddress.ip_address(address)
    return [address, parsed.exploded, str(int(parsed))]


def clickhouse_dump() -> str:
    tables = [row[0] for row in client.execute("SHOW TABLES").rows]
    assert "events" in tables and "dropped_events" in tables
    dump = []
    for table in tables:
        columns = client.execute(f"DESCRIBE TABLE `{table}`", tag="privacy-test").rows
        # an aggregate's state (the visits' entry and exit pages) is read as the value it holds
        picks = [
            f"finalizeAggregation(`{name}`)" if str(type_).startswith("AggregateFunction") else f"`{name}`"
            for name, type_, *_ in columns
        ]
        result = client.execute(f"SELECT {', '.join(picks)} FROM `{table}`", tag="privacy-test")
        dump.append(json.dumps(result.rows, default=str))
    return "\n".join(dump)


def postgres_dump() -> str:
    dump = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            dump.append(json.dumps(cursor.fetchall(), default=str))
    return "\n".join(dump)


def test_no_ip_address_or_user_agent_is_stored(
    accounts: AccountsDB, site: Persona, tmp_path: Path, events_table: None
) -> None:
    pipeline = Pipeline(
        SiteRegistry(accounts.fetch_sites),
        SaltStore(accounts.salt, accounts.delete_salts_before),
        GeoLocator(os.environ["GEOIP_DATABASE"]),
    )
    buffer = SpoolBuffer(tmp_path / "spool")
    app = IngestApp(pipeline, buffer, (), TrackerFiles(tmp_path), KeyRing(accounts.fetch_key))
    accepted = 0
    for i in range(120):
        agent, address = AGENTS[i % len(AGENTS)], ADDRESSES[i % len(ADDRESSES)]
        body: dict[str, object] = {
            "n": "pageview" if i % 5 else "Signup",
            "u": f"https://example.com/page/{i % 7}?utm_source=newsletter",
            "d": "example.com",
            "r": "https://www.google.com/search?q=lantern",
            "w": 390 + i,
            "p": {"plan": "pro"} if i % 5 == 0 else {},
        }
        headers = {"User-Agent": agent}
        if i % 3 == 0:  # server-side: the backend names the visitor
            body |= {"ip": address, "user_agent": agent, "timestamp": dt.datetime.now(dt.UTC).isoformat()}
            headers = {"User-Agent": "backend/2.0", "Authorization": f"Bearer {site.key}"}
        response = call(
            app, "POST", "/api/event", json.dumps(body).encode(), headers=headers, remote_addr=address
        )
        accepted += response.status == 202 and "X-Lantern-Dropped" not in response.headers
    call(app, "POST", "/api/event", b'{"n":"pageview","u":"https://example.com/","d":"example.com"}',
         headers={"User-Agent": "curl/8.5.0 Googlebot"}, remote_addr="192.0.2.55")  # fmt: skip
    app.close()
    while Flusher(buffer).flush_once(wait_s=0):
        pass
    buffer.close()

    stored = client.execute("SELECT count(), uniqExact(visitor_id), countIf(country_code != '') FROM events")
    assert stored.rows[0][0] == accepted == 120
    assert stored.rows[0][1] > 1 and stored.rows[0][2] > 0  # real, enriched data was stored

    everything = clickhouse_dump() + postgres_dump()
    for address in [*ADDRESSES, "192.0.2.55"]:
        for form in forms_of(address):
            assert form not in everything, f"{form} is stored"
    for agent in [*AGENTS, "backend/2.0", "curl/8.5.0"]:
        assert agent not in everything
    for fragment in ("Gecko/", "AppleWebKit", "Mozilla/5.0", "KHTML"):
        assert fragment not in everything, f"part of a user agent ({fragment}) is stored"
