"""POST /api/event through the real pipeline: site registry and salts in PostgreSQL, spool buffer on disk."""

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.accounts import AccountsDB
from ingest.app import IngestApp, TrackerFiles
from ingest.buffer import SpoolBuffer
from tests.conftest import Persona, pipeline_for
from tests.wsgi import Response, call

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


@pytest.fixture
def app(accounts: AccountsDB, site: Persona, tmp_path: Path) -> Iterator[IngestApp]:
    pipeline = pipeline_for(accounts)
    tracker = tmp_path / "dist"
    tracker.mkdir()
    (tracker / "script.js").write_text("/* tracker */")
    spool = SpoolBuffer(tmp_path / "spool")
    app = IngestApp(pipeline, spool, (), TrackerFiles(tracker))
    yield app
    app.close()
    spool.close()


def post(app: IngestApp, body: object, remote_addr: str = "203.0.113.9") -> Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"User-Agent": FIREFOX, "Content-Type": "text/plain"}
    return call(app, "POST", "/api/event", raw, headers=headers, remote_addr=remote_addr)


def buffered(app: IngestApp) -> list[dict[str, object]]:
    batch = app.buffer.read(1000, 0)
    return [json.loads(r) for r in batch.records] if batch else []


def test_it_accepts_a_pageview_and_buffers_an_enriched_event(app: IngestApp, site: Persona) -> None:
    response = post(
        app,
        {
            "n": "pageview",
            "u": "https://www.example.com/pricing?utm_source=hn",
            "d": "example.com",
            "r": "https://news.ycombinator.com/",
            "w": 1280,
        },
    )
    assert (response.status, response.body) == (202, b"ok")
    [event] = buffered(app)
    assert event["site_id"] == site.site.id
    assert (event["pathname"], event["hostname"], event["referrer_source"]) == (
        "/pricing",
        "example.com",
        "Hacker News",  # utm_source=hn names a known source: its name
    )
    assert (event["browser"], event["os"], event["screen_size"]) == ("Firefox", "Linux", "Laptop")
    assert "203.0.113.9" not in json.dumps(event) and "Gecko" not in json.dumps(event)


def test_the_same_visitor_gets_the_same_id_within_a_day(app: IngestApp) -> None:
    for _ in range(2):
        post(app, {"n": "pageview", "u": "https://example.com/", "d": "example.com"})
    post(app, {"n": "pageview", "u": "https://example.com/", "d": "example.com"}, remote_addr="198.51.100.4")
    ids = [e["visitor_id"] for e in buffered(app)]
    assert ids[0] == ids[1] != ids[2]


def test_an_unknown_site_is_dropped_with_a_reason(app: IngestApp) -> None:
    response = post(app, {"n": "pageview", "u": "https://nope.com/", "d": "nope.com"})
    assert response.status == 202
    assert response.headers["X-Lantern-Dropped"] == "unknown_site"
    assert buffered(app) == []


def test_a_bot_is_dropped_with_a_reason(app: IngestApp) -> None:
    response = call(
        app,
        "POST",
        "/api/event",
        json.dumps({"n": "pageview", "u": "https://example.com/", "d": "example.com"}).encode(),
        headers={"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
    )
    assert (response.status, response.headers["X-Lantern-Dropped"]) == (202, "bot")


def test_a_bad_body_gets_400_naming_the_field(app: IngestApp) -> None:
    response = post(app, {"n": "pageview", "d": "example.com"})
    assert response.status == 400
    assert json.loads(response.body) == {"errors": {"url": ["is required"]}}


def test_bad_content_length_and_methods_get_4xx(app: IngestApp) -> None:
    assert call(app, "POST", "/api/event", b"{}", content_length="abc").status == 400
    assert call(app, "POST", "/api/event", b"{}", content_length="-1").status == 400
    assert call(app, "POST", "/api/event", b"{}", content_length="5000000").status == 413
    assert call(app, "GET", "/api/event").status == 405
    assert call(app, "OPTIONS", "/api/event").status == 204


def test_it_serves_the_tracker(app: IngestApp) -> None:
    response = call(app, "GET", "/js/script.js")
    assert (response.status, response.body) == (200, b"/* tracker */")
    assert call(app, "GET", "/js/../secret.js").status == 404
    assert call(app, "GET", "/js/missing.js").status == 404


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=6),
    max_leaves=20,
)
KEYS = st.sampled_from(
    [
        "n",
        "u",
        "d",
        "r",
        "p",
        "w",
        "name",
        "url",
        "domain",
        "props",
        "interactive",
        "m",
        "i",
        "h",
        "$",
        "revenue",
        "sd",
        "e",
        "hashMode",
        "ip",
        "user_agent",
        "timestamp",
        "meta",
    ]
)
BODIES = st.dictionaries(KEYS, JSON, max_size=8) | JSON.map(lambda v: v)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES)
def test_no_json_body_gets_a_5xx(app: IngestApp, body: object) -> None:
    response = post(app, json.dumps(body).encode())
    assert response.status in {202, 400, 401, 413}
    if response.status != 202:
        assert list(json.loads(response.body)["errors"])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=300))
def test_no_byte_string_gets_a_5xx(app: IngestApp, raw: bytes) -> None:
    assert post(app, raw).status in {202, 400, 413}


SCALARS = st.text() | st.integers() | st.floats(allow_nan=False) | st.booleans()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.text(max_size=40),
    fragment=st.text(max_size=10),
    name=st.text(min_size=1, max_size=30),
    referrer=st.text(max_size=40),
    props=st.dictionaries(st.text(min_size=1, max_size=10), SCALARS, max_size=5),
    revenue=st.none()
    | st.fixed_dictionaries(
        {
            "amount": st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str),
            "currency": st.just("EUR"),
        }
    ),
    engagement=st.integers(min_value=-10, max_value=2**40),
)
def test_every_accepted_event_reaches_the_engine(
    app: IngestApp,
    events_table: None,
    path: str,
    fragment: str,
    name: str,
    referrer: str,
    props: dict[str, object],
    revenue: dict[str, str] | None,
    engagement: int,
) -> None:
    from analytics import client
    from ingest.flusher import Flusher

    before = client.execute("SELECT count() FROM events").rows[0][0]
    body = {
        "n": name,
        "u": f"https://example.com/{path}#{fragment}",
        "d": "example.com",
        "r": referrer,
        "p": props,
        "$": revenue,
        "e": engagement,
        "h": 1,
    }
    response = post(app, json.dumps(body).encode())
    Flusher(app.buffer).flush_once(wait_s=0)
    after = client.execute("SELECT count() FROM events").rows[0][0]
    assert after == before + (1 if response.status == 202 else 0), response.body


# Hostile values by class: JSON nested past the parsers' limits (the body itself, or props and revenue
# sent as JSON strings), URLs with a bracketed host, decimals past any context, offsets that push a
# date out of datetime's range. Each must be a 4xx naming its field (or be accepted), never a 5xx.
DEPTHS = st.integers(min_value=900, max_value=5_000)
NESTED = st.builds(lambda depth: "[" * depth + "]" * depth, DEPTHS) | st.builds(
    lambda depth: '{"a":' * depth + "1" + "}" * depth, DEPTHS
)
BRACKETED = st.builds(
    lambda scheme, host, rest: f"{scheme}://[{host}{rest}",
    st.sampled_from(["http", "https"]),
    st.sampled_from(["::1", "::1]", "::1%eth0]", "v1.x]", "abc]", "1.2.3.4]", "", "]", "::ffff:1.2.3.4]"]),
    st.sampled_from(["", "/x", ":99999/", "]/", "@example.com/", "/?q=1#f"]),
)
EXTREME_DECIMALS = st.sampled_from(
    ["NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "1e999999999", "-1e999999999", "1e-999999999"]
) | st.builds(
    lambda mantissa, exponent: f"{mantissa}e{exponent}",
    st.integers(min_value=-(10**30), max_value=10**30),
    st.integers(min_value=-(10**20), max_value=10**20),
)
EXTREME_TIMESTAMPS = st.builds(
    lambda moment, minutes: (
        moment.isoformat() + ("+" if minutes >= 0 else "-") + f"{abs(minutes) // 60:02}:"
        f"{abs(minutes) % 60:02}"
    ),
    st.sampled_from([dt.datetime.min, dt.datetime.max.replace(microsecond=0)])
    | st.datetimes(max_value=dt.datetime(1, 1, 2)),
    st.integers(min_value=-(14 * 60), max_value=14 * 60),
)
PAGE = {"n": "pageview", "u": "https://example.com/", "d": "example.com"}
HOSTILE = st.one_of(
    st.tuples(st.just("p"), NESTED, st.just("props")),
    st.tuples(st.just("$"), NESTED, st.just("revenue")),
    st.tuples(st.just("u"), BRACKETED, st.just("url")),
    st.tuples(st.just("r"), BRACKETED, st.just("referrer")),
    st.tuples(
        st.just("$"), EXTREME_DECIMALS.map(lambda a: {"amount": a, "currency": "EUR"}), st.just("revenue")
    ),
    st.tuples(st.just("timestamp"), EXTREME_TIMESTAMPS, st.just("timestamp")),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hostile=HOSTILE)
def test_no_hostile_field_gets_a_5xx(app: IngestApp, hostile: tuple[str, object, str]) -> None:
    key, value, field = hostile
    response = post(app, {**PAGE, key: value})
    assert response.status in {202, 400, 401}, response.body
    if response.status != 202:
        assert list(json.loads(response.body)["errors"]) == [field]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(depth=DEPTHS, opener=st.sampled_from(["[", '{"a":']))
def test_a_body_nested_too_deeply_gets_400(app: IngestApp, depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    raw = (
        '{"n":' + opener * depth + "1" + closer * depth + ', "u": "https://example.com/", "d": "example.com"}'
    )
    response = post(app, raw.encode())
    assert response.status in {202, 400}
    if response.status == 400:
        assert json.loads(response.body) in (
            {"errors": {"body": ["is nested too deeply"]}},
            {"errors": {"name": ["must be a string"]}},  # shallow enough for orjson
        )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"n":' + b"[" * 100_000 + b"]" * 100_000 + b"}", {"body": ["is nested too deeply"]}),
        (b"[" * 5_000, {"body": ["is nested too deeply"]}),
        (json.dumps({**PAGE, "p": "[" * 5_000 + "]" * 5_000}).encode(), {"props": ["is nested too deeply"]}),
        (
            json.dumps({**PAGE, "p": '{"a":' * 5_000 + "1" + "}" * 5_000}).encode(),
            {"props": ["is nested too deeply"]},
        ),
        (
            json.dumps({**PAGE, "$": "[" * 5_000 + "]" * 5_000}).encode(),
            {"revenue": ["is nested too deeply"]},
        ),
        (json.dumps({**PAGE, "u": "http://[::1/x"}).encode(), {"url": ["is not a valid URL"]}),
        (json.dumps({**PAGE, "u": "http://[abc]/x"}).encode(), {"url": ["is not a valid URL"]}),
    ],
)
def test_deep_nesting_and_bad_hosts_get_400_naming_the_field(
    app: IngestApp, raw: bytes, expected: dict[str, list[str]]
) -> None:
    response = post(app, raw)
    assert (response.status, json.loads(response.body)) == (400, {"errors": expected})


@pytest.mark.parametrize(
    "amount",
    ["1e999999999", "-1e999999999", "NaN", "sNaN", "Infinity", "-Infinity", "1e-99999999999999999999"],
)
def test_an_extreme_revenue_amount_gets_400(app: IngestApp, amount: str) -> None:
    response = post(app, {**PAGE, "$": {"amount": amount, "currency": "EUR"}})
    assert response.status == 400
    assert list(json.loads(response.body)["errors"]) == ["revenue"]


def test_a_tiny_revenue_amount_rounds_to_zero(app: IngestApp) -> None:
    assert (
        post(app, {**PAGE, "n": "Purchase", "$": {"amount": "1e-999999999", "currency": "EUR"}}).status == 202
    )
    [event] = buffered(app)
    assert event["revenue_amount"] == "0.000000"


def test_a_referrer_with_a_broken_host_is_ignored_not_a_5xx(app: IngestApp) -> None:
    response = post(app, {**PAGE, "r": "http://[::1/x"})
    assert response.status == 202
    [event] = buffered(app)
    assert (event["referrer"], event["referrer_source"]) == ("", "")
