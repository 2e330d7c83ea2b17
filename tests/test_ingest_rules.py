"""What ingest accepts, refuses and filters beyond a plain pageview: the rest of the Events API,
server-side sending with an API key, prefetch, referrer spam, shields, rate limits and drop counts.

Everything runs through the real app over the real accounts database (PostgreSQL) and the real
engine (chDB); only the clock of a rate limiter is driven by the test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from analytics import client
from ingest.accounts import AccountsDB
from ingest.app import IngestApp, TrackerFiles
from ingest.buffer import Buffer, FallbackBuffer, RedisStreamBuffer, SpoolBuffer
from ingest.flusher import Flusher
from ingest.geo import GeoLocator
from ingest.groupcommit import GroupCommit
from ingest.keys import KeyRing
from ingest.pipeline import Pipeline
from ingest.ratelimit import NO_LIMITS, Limits, RateLimiter, SharedLimits
from ingest.sites import SiteRegistry
from ingest.visitor import SaltStore
from tests.conftest import Persona
from tests.services import free_port
from tests.wsgi import Response, call

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
GB_LONDON = "81.2.69.160"  # in MaxMind's test database


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def build_app(
    accounts: AccountsDB, tmp_path: Path, limits: Limits | None = None, buffer: Buffer | None = None
) -> IngestApp:
    pipeline = Pipeline(
        SiteRegistry(accounts.fetch_sites, ttl=0, miss_interval=0),
        SaltStore(accounts.salt, accounts.delete_salts_before),
        GeoLocator(os.environ["GEOIP_DATABASE"]),
        limits=limits or NO_LIMITS,
    )
    return IngestApp(
        pipeline,
        buffer or SpoolBuffer(tmp_path / "spool"),
        (),
        TrackerFiles(tmp_path),
        KeyRing(accounts.fetch_key, ttl=0),
        report_drops_every_s=3600,
    )


@pytest.fixture
def app(accounts: AccountsDB, site: Persona, tmp_path: Path) -> Iterator[IngestApp]:
    app = build_app(accounts, tmp_path)
    yield app
    app.close()
    app.buffer.close()  # type: ignore[attr-defined]


def post(
    app: IngestApp,
    body: dict[str, object],
    *,
    ip: str = "203.0.113.9",
    key: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    sent = {"User-Agent": FIREFOX, **(headers or {})}
    if key:
        sent["Authorization"] = f"Bearer {key}"
    return call(app, "POST", "/api/event", json.dumps(body).encode(), headers=sent, remote_addr=ip)


def page(path: str = "/", **extra: Any) -> dict[str, object]:
    return {"n": "pageview", "u": f"https://example.com{path}", "d": "example.com", **extra}


def buffered(app: IngestApp) -> list[dict[str, object]]:
    batch = app.buffer.read(1000, 0)
    if batch is None:
        return []
    app.buffer.ack(batch)
    return [json.loads(r) for r in batch.records if r.startswith(b"{")]


def errors(response: Response) -> dict[str, list[str]]:
    return dict(json.loads(response.body)["errors"])


def test_revenue_engagement_and_hash_mode_are_stored(
    app: IngestApp, site: Persona, events_table: None
) -> None:
    assert post(app, page("/", n="Purchase", **{"$": {"amount": "15.99", "currency": "usd"}})).status == 202
    assert post(app, page("/app", u="https://example.com/app#/settings", h=1)).status == 202
    assert post(app, page("/a", n="engagement", sd=80, e=12_500)).status == 202
    assert post(app, page("/b", n="Signup", i=False)).status == 202
    Flusher(app.buffer).flush_once(wait_s=0)
    rows = client.execute(
        "SELECT name, pathname, toString(revenue_amount), revenue_currency, engagement_time,"
        " scroll_depth, interactive FROM events WHERE site_id = {s:UInt64} ORDER BY name",
        {"s": site.site.id},
    ).rows
    assert rows == [
        ("Purchase", "/", "15.99", "USD", 0, 0, True),
        ("Signup", "/b", None, "", 0, 0, False),
        ("engagement", "/a", None, "", 12_500, 80, True),
        ("pageview", "/app#/settings", None, "", 0, 0, True),
    ]


@pytest.mark.parametrize(
    ("revenue", "message"),
    [
        ({"amount": 5}, "currency"),
        ({"amount": "lots", "currency": "EUR"}, "amount"),
        ({"amount": float("inf"), "currency": "EUR"}, "amount"),
        ({"amount": 1, "currency": "EURO"}, "currency"),
        ("not json", "JSON"),
        ({"amount": "1e999999999", "currency": "EUR"}, "amount"),  # decimal.Overflow and a 500 before
        ({"amount": "-1e999999999", "currency": "EUR"}, "amount"),
        ({"amount": "NaN", "currency": "EUR"}, "amount"),
        ({"amount": "-Infinity", "currency": "EUR"}, "amount"),
        ("[" * 5_000 + "]" * 5_000, "nested"),  # RecursionError and a 500 before
    ],
)
def test_bad_revenue_gets_400_naming_it(app: IngestApp, revenue: object, message: str) -> None:
    raw = json.dumps({**page(), "$": revenue}, allow_nan=True).encode()
    response = call(app, "POST", "/api/event", raw, headers={"User-Agent": FIREFOX})
    assert response.status == 400
    assert message in errors(response)["revenue"][0]


def test_a_server_side_event_uses_the_visitor_ip_agent_and_time(app: IngestApp, site: Persona) -> None:
    sent_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=5)
    body = page(ip=GB_LONDON, user_agent=FIREFOX, timestamp=sent_at.isoformat())
    response = post(app, body, ip="198.51.100.1", key=site.key, headers={"User-Agent": "backend/1.0"})
    assert response.status == 202, response.body
    [event] = buffered(app)
    assert event["country_code"] == "GB" and event["browser"] == "Firefox"
    assert dt.datetime.fromisoformat(str(event["timestamp"])) == sent_at
    assert GB_LONDON not in json.dumps(event) and "Gecko" not in json.dumps(event)


def test_events_of_one_old_day_keep_one_visitor_id(app: IngestApp, site: Persona) -> None:
    day = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    for minutes in (0, 5):
        when = (day + dt.timedelta(minutes=minutes)).isoformat()
        post(app, page(ip=GB_LONDON, user_agent=FIREFOX, timestamp=when), key=site.key)
    first, second = buffered(app)
    assert first["visitor_id"] == second["visitor_id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (page(ip="not-an-ip"), "ip"),
        (page(timestamp="yesterday"), "timestamp"),
        (page(timestamp="2026-01-01T10:00:00"), "timestamp"),  # no UTC offset
        (page(timestamp=(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()), "timestamp"),
        (page(timestamp=(dt.datetime.now(dt.UTC) - dt.timedelta(days=4000)).isoformat()), "timestamp"),
        # past datetime's range once in UTC (an OverflowError and a 500 before)
        (page(timestamp="0001-01-01T00:00:00+14:00"), "timestamp"),
        (page(timestamp="9999-12-31T23:59:59-14:00"), "timestamp"),
        (page(timestamp="0001-01-01T00:00:00+00:01"), "timestamp"),
        (page(timestamp="0001-01-01T00:00:00Z"), "timestamp"),  # in range, but past any retention
        (page(timestamp="9999-12-31T23:59:59Z"), "timestamp"),
    ],
)
def test_bad_server_side_fields_get_400_naming_them(
    app: IngestApp, site: Persona, body: dict[str, object], field: str
) -> None:
    response = post(app, body, key=site.key)
    assert response.status == 400 and field in errors(response), response.body


def test_server_side_fields_need_an_events_write_key(app: IngestApp, site: Persona, db: None) -> None:
    from panel.apikeys.models import ApiKey

    without_key = post(app, page(ip=GB_LONDON))
    assert without_key.status == 401 and "events:write" in errors(without_key)["ip"][0]
    _key, read_only = ApiKey.objects.issue(site.user, name="reader", scopes=["stats:read"])
    assert post(app, page(timestamp=dt.datetime.now(dt.UTC).isoformat()), key=read_only).status == 401
    bogus = post(app, page(), key="lk_not-a-real-key")
    assert bogus.status == 401 and "authorization" in errors(bogus)
    assert buffered(app) == []


def test_a_key_cannot_send_events_to_another_organisations_site(
    app: IngestApp, site: Persona, accounts: AccountsDB
) -> None:
    from panel.accounts.models import User
    from panel.apikeys.models import ApiKey

    stranger = User.objects.create_with_organisation("stranger@elsewhere.org", "a long enough passphrase")
    _key, raw = ApiKey.objects.issue(stranger, name="theirs")
    response = post(app, page(ip=GB_LONDON), key=raw)
    assert response.status == 403 and "domain" in errors(response)
    assert buffered(app) == []


def test_sending_with_a_key_records_its_last_use(app: IngestApp, site: Persona) -> None:
    from panel.apikeys.models import ApiKey

    ApiKey.objects.filter(user=site.user).update(last_used_at=None)
    assert post(app, page(ip=GB_LONDON), key=site.key).status == 202
    key = ApiKey.objects.get(user=site.user)
    assert key.last_used_at is not None
    assert abs((key.last_used_at - dt.datetime.now(dt.UTC)).total_seconds()) < 60


def test_a_revoked_key_stops_working(app: IngestApp, site: Persona) -> None:
    from django.utils import timezone

    from panel.apikeys.models import ApiKey

    assert post(app, page(ip=GB_LONDON), key=site.key).status == 202
    ApiKey.objects.filter(user=site.user).update(revoked_at=timezone.now())
    assert post(app, page(ip=GB_LONDON), key=site.key).status == 401


@pytest.mark.parametrize(
    ("headers", "body", "reason"),
    [
        ({"Sec-Purpose": "prefetch;prerender"}, page(), "prefetch"),
        ({"Purpose": "prefetch"}, page(), "prefetch"),
        ({}, page(r="https://www.0-0.fr/offer"), "spam"),
        ({}, page(r="http://sub.domain.007agent-i.fr/"), "spam"),
        ({"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"}, page(), "bot"),
    ],
)
def test_filtered_requests_name_their_reason(
    app: IngestApp, headers: dict[str, str], body: dict[str, object], reason: str
) -> None:
    response = post(app, body, headers=headers)
    assert (response.status, response.headers.get("X-Lantern-Dropped")) == (202, reason)
    assert buffered(app) == []


def test_shields_drop_what_the_owner_excludes(app: IngestApp, site: Persona) -> None:
    site.site.excluded_ips = "198.51.100.0/24\n2001:db8::1"
    site.site.excluded_pages = "/admin/**\n/preview/*"
    site.site.excluded_countries = "gb"
    site.site.allowed_hostnames = "example.com\n*.example.com"
    site.site.full_clean()
    site.site.save()
    cases = [
        (page(), "198.51.100.77", "shield_ip"),
        (page(), "2001:db8::1", "shield_ip"),
        (page("/admin/users/7"), "203.0.113.9", "shield_page"),
        (page("/preview/draft"), "203.0.113.9", "shield_page"),
        (page(), GB_LONDON, "shield_country"),
        (page(u="https://evil.test/"), "203.0.113.9", "shield_hostname"),
    ]
    for body, ip, reason in cases:
        assert post(app, body, ip=ip).headers.get("X-Lantern-Dropped") == reason, (body, ip)
    for body in (page("/preview/draft/2"), page("/administrator"), page(u="https://docs.example.com/")):
        assert "X-Lantern-Dropped" not in post(app, body).headers, body
    assert len(buffered(app)) == 3


def test_bad_shield_entries_are_refused_with_the_line_named(site: Persona) -> None:
    from django.core.exceptions import ValidationError

    site.site.excluded_ips = "10.0.0.0/8\nnot-an-ip"
    site.site.excluded_countries = "Germany"
    with pytest.raises(ValidationError) as refused:
        site.site.full_clean()
    assert "not-an-ip" in str(refused.value) and "Germany" in str(refused.value)


def test_drops_are_counted_per_site_day_and_reason(app: IngestApp, site: Persona, clickhouse: None) -> None:
    client.command("TRUNCATE TABLE dropped_events")
    for _ in range(3):
        post(app, page(), headers={"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"})
    post(app, page(r="https://0-0.fr/"))
    post(app, page())  # counted as an event, not a drop
    app.close()  # hands the counts to the buffer
    assert Flusher(app.buffer).flush_once(wait_s=0) == 3  # one event, two counts (bot, spam)
    rows = client.execute(
        "SELECT reason, sum(count) FROM dropped_events WHERE site_id = {s:UInt64}"  # emptied above
        " GROUP BY reason ORDER BY reason",
        {"s": site.site.id},
    ).rows
    assert rows == [("bot", 3), ("spam", 1)]


def test_rate_limits_answer_429_and_count(
    accounts: AccountsDB, site: Persona, tmp_path: Path, clickhouse: None
) -> None:
    clock = Clock()
    limits = Limits(
        per_client=RateLimiter(rate_per_s=1, burst=2, clock=clock),
        per_site=RateLimiter(rate_per_s=10, burst=3, clock=clock),
    )
    app = build_app(accounts, tmp_path, limits)
    statuses = [post(app, page()).status for _ in range(3)]
    assert statuses == [202, 202, 429]
    limited = post(app, page())
    assert errors(limited) == {"client": ["too many events from this client, slow down"]}
    assert limited.headers["Retry-After"] == "1"
    assert limited.headers["X-Lantern-Dropped"] == "rate_limited"
    assert post(app, page(), ip="198.51.100.2").status == 202  # another client: the site's 3rd
    site_limited = post(app, page(), ip="198.51.100.3")
    assert site_limited.status == 429 and "domain" in errors(site_limited)
    clock.now += 1.0
    assert post(app, page()).status == 202  # the buckets refill
    client.command("TRUNCATE TABLE dropped_events")
    app.close()
    Flusher(app.buffer).flush_once(wait_s=0)
    assert client.execute(
        "SELECT sum(count) FROM dropped_events WHERE reason = 'rate_limited' AND site_id = {s:UInt64}",
        {"s": site.site.id},
    ).rows == [(3,)]
    app.buffer.close()  # type: ignore[attr-defined]


def server_buffer(url: str, salts: SaltStore, spool: Path, prefix: str = "test:rate:") -> GroupCommit:
    """A web process's buffer in server mode, which takes the rate-limit tokens as it pushes: 2 events
    per client, then 1 per 100 s (its pipeline has no limits of its own)."""
    local = Limits(RateLimiter(rate_per_s=0.01, burst=2), per_site=RateLimiter(rate_per_s=0, burst=0))
    limits = SharedLimits(local, secret=salts.today, prefix=prefix)
    stream = RedisStreamBuffer(url, stream=f"{prefix}events", limits=limits)
    return GroupCommit(FallbackBuffer(stream, spool))


BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.mark.parametrize("mode", ["embedded", "server"])
def test_filtered_events_take_no_tokens(
    accounts: AccountsDB, site: Persona, tmp_path: Path, redis_url: str, mode: str
) -> None:
    """A crawler from one address gets its bot drop however fast it goes, never a 429, and leaves the
    address's allowance (2 events) to the people behind it; so do prefetches and shielded pages. Both
    modes take the tokens at the same step: after every filter."""
    if mode == "embedded":
        limits = Limits(RateLimiter(rate_per_s=0.01, burst=2), per_site=RateLimiter(rate_per_s=0, burst=0))
        app = build_app(accounts, tmp_path, limits)
    else:
        salts = SaltStore(accounts.salt, accounts.delete_salts_before)
        buffer = server_buffer(redis_url, salts, tmp_path / "spool", f"test:rate:{uuid.uuid4()}:")
        app = build_app(accounts, tmp_path, buffer=buffer)
    site.site.excluded_pages = "/admin/**"
    site.site.save()
    try:
        for _ in range(5):
            crawled = post(app, page(), headers={"User-Agent": BOT})
            assert (crawled.status, crawled.headers.get("X-Lantern-Dropped")) == (202, "bot")
            prefetched = post(app, page(), headers={"Sec-Purpose": "prefetch"})
            assert (prefetched.status, prefetched.headers.get("X-Lantern-Dropped")) == (202, "prefetch")
            shielded = post(app, page("/admin/x"))
            assert (shielded.status, shielded.headers.get("X-Lantern-Dropped")) == (202, "shield_page")
        assert [post(app, page()).status for _ in range(3)] == [202, 202, 429]
    finally:
        app.close()
        closable: Any = getattr(app.buffer, "inner", app.buffer)  # server mode: the group commit's buffer
        closable.close()


def test_rate_limits_are_shared_by_the_web_processes_through_redis(
    accounts: AccountsDB, site: Persona, tmp_path: Path, redis_url: str
) -> None:
    salts, prefix = SaltStore(accounts.salt, accounts.delete_salts_before), f"test:rate:{uuid.uuid4()}:"
    web = [
        build_app(accounts, tmp_path / name, buffer=server_buffer(redis_url, salts, tmp_path / name, prefix))
        for name in "ab"
    ]
    assert [post(web[0], page()).status, post(web[1], page()).status] == [202, 202]
    for app in web:  # the client's budget of 2 is spent, whichever process answers
        limited = post(app, page())
        assert limited.status == 429
        assert errors(limited) == {"client": ["too many events from this client, slow down"]}
        assert limited.headers["Retry-After"] == "1"
    store = redis.Redis.from_url(redis_url)
    entries: Any = store.xrange(f"{prefix}events")
    events = [json.loads(line) for _, fields in entries for line in fields[b"e"].split(b"\n")]
    assert len(events) == 2  # the limited requests' events were not stored
    assert all(event["site_id"] == site.site.id for event in events)
    assert [len(app.pipeline.drops.drain()) for app in web] == [1, 1]  # each counted its rate_limited drop
    for key in store.scan_iter(f"{prefix}*"):
        store.delete(key)
    for app in web:
        app.close()
        app.buffer.inner.close()  # type: ignore[attr-defined]


def test_with_redis_out_rate_limits_hold_per_process_and_never_fail(
    accounts: AccountsDB, site: Persona, tmp_path: Path
) -> None:
    salts = SaltStore(accounts.salt, accounts.delete_salts_before)
    buffer = server_buffer(f"redis://127.0.0.1:{free_port()}/0", salts, tmp_path / "fallback")
    app = build_app(accounts, tmp_path, buffer=buffer)
    assert [post(app, page()).status for _ in range(3)] == [202, 202, 429]
    assert "client" in errors(post(app, page()))
    app.close()
    spool = buffer.inner.own_spool()  # type: ignore[attr-defined]
    spool.close()
    batch = spool.read(0, 0)
    assert batch is not None and len([r for r in batch.records if b"event_id" in r]) == 2
    buffer.inner.close()  # type: ignore[attr-defined]
