"""Parsing Events API bodies: long and short keys, limits, and errors that name the field."""

import json

import pytest

from ingest.errors import PayloadError
from ingest.request import EventRequest, parse_request


def parse(body: object) -> EventRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_request(raw, ip="203.0.113.9", user_agent="UA")


def test_it_accepts_long_and_short_keys() -> None:
    long = parse(
        {
            "name": "pageview",
            "url": "https://www.Example.com/a%20b?x=1",
            "domain": "example.com",
            "referrer": "https://google.com/",
            "props": {"plan": "pro", "n": 3, "ok": True},
        }
    )
    short = parse(
        {
            "n": "pageview",
            "u": "https://www.Example.com/a%20b?x=1",
            "d": "example.com",
            "r": "https://google.com/",
            "p": json.dumps({"plan": "pro", "n": 3, "ok": True}),
        }
    )
    assert long == short
    assert long.hostname == "example.com" and long.pathname == "/a b" and long.query == "x=1"
    assert long.props == (("plan", "pro"), ("n", "3"), ("ok", "true"))


def test_it_splits_several_domains() -> None:
    assert parse({"n": "pageview", "u": "https://a.com/", "d": "a.com, www.b.com,a.com"}).domains == (
        "a.com",
        "b.com",
    )


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        (b"{not json", "body", 400),
        (b"\xff\xfe", "body", 400),
        ([1, 2], "body", 400),
        ({"u": "https://a.com/", "d": "a.com"}, "name", 400),
        ({"n": "pageview", "d": "a.com"}, "url", 400),
        ({"n": "pageview", "u": "https://a.com/"}, "domain", 400),
        ({"n": 5, "u": "https://a.com/", "d": "a.com"}, "name", 400),
        ({"n": "x" * 121, "u": "https://a.com/", "d": "a.com"}, "name", 400),
        ({"n": "pageview", "u": "https://a.com/" + "x" * 2000, "d": "a.com"}, "url", 400),
        ({"n": "pageview", "u": "javascript:alert(1)", "d": "a.com"}, "url", 400),
        ({"n": "pageview", "u": "https://a.com/", "d": "a.com", "p": {"k": {"nested": 1}}}, "props", 400),
        (
            {"n": "pageview", "u": "https://a.com/", "d": "a.com", "p": {f"k{i}": 1 for i in range(31)}},
            "props",
            400,
        ),
        ({"n": "pageview", "u": "https://a.com/", "d": "a.com", "p": "[1]"}, "props", 400),
        ({"n": "pageview", "u": "https://a.com/", "d": "a.com", "r": 7}, "referrer", 400),
        ({"n": "pageview", "u": "https://a.com/", "d": "a.com", "w": "wide"}, "screen_width", 400),
        ({"n": "pageview", "u": "https://a.com/", "d": "a.com", "interactive": "yes"}, "interactive", 400),
        (b" " * 1_000_001, "body", 413),
    ],
)
def test_it_rejects_bad_bodies_naming_the_field(body: object, field: str, status: int) -> None:
    with pytest.raises(PayloadError) as caught:
        parse(body)
    assert caught.value.field == field
    assert caught.value.status == status
    assert caught.value.body() == {"errors": {field: [caught.value.message]}}


def test_revenue_engagement_and_hash_mode() -> None:
    request = parse(
        {
            "n": "Purchase",
            "u": "https://a.com/app#/cart?x",
            "d": "a.com",
            "revenue": {"amount": 15.99, "currency": "eur"},
            "hashMode": 1,
            "sd": 140,
            "e": 3_000.7,
        }
    )
    assert (request.revenue_amount, request.revenue_currency) == ("15.990000", "EUR")
    assert request.pathname == "/app#/cart?x"
    assert (request.scroll_depth, request.engagement_time) == (100, 3_000)
    assert parse({"n": "x", "u": "https://a.com/p#frag", "d": "a.com"}).pathname == "/p"


def test_lone_surrogates_become_replacement_marks() -> None:
    request = parse(b'{"n": "a\\ud800b", "u": "https://a.com/", "d": "a.com", "p": {"k\\udfff": "v\\ud800"}}')
    assert request.name == "a?b"
    assert request.props == (("k?", "v?"),)


def test_server_fields_are_named_for_the_caller_to_authorise() -> None:
    request = parse({"n": "pageview", "u": "https://a.com/", "d": "a.com", "ip": "81.2.69.160"})
    assert request.server_fields == ("ip",) and request.ip == "81.2.69.160"
    assert parse({"n": "pageview", "u": "https://a.com/", "d": "a.com"}).server_fields == ()
