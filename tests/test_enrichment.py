"""Pure enrichment: referrer sources and channels, UTM tags, client IPs, user agents, geo, hashing."""

import datetime as dt
import ipaddress
import os

import pytest

from ingest.clientip import client_ip
from ingest.geo import GeoLocator
from ingest.pipeline import screen_class
from ingest.referrer import attribute
from ingest.useragent import classify
from ingest.visitor import SaltStore, visitor_id


@pytest.mark.parametrize(
    ("referrer", "query", "source", "channel"),
    [
        ("", "", "", "Direct"),
        ("https://www.google.com/search?q=x", "", "Google", "Organic Search"),
        ("https://www.google.co.uk/", "", "Google", "Organic Search"),
        ("https://duckduckgo.com/", "", "DuckDuckGo", "Organic Search"),
        ("https://m.facebook.com/", "", "Facebook", "Social"),
        ("https://t.co/abc", "", "Twitter", "Social"),
        ("https://chatgpt.com/", "", "ChatGPT", "AI Assistants"),
        ("https://blog.example.org/post", "", "blog.example.org", "Referral"),
        ("https://example.com/other-page", "", "", "Direct"),
        ("", "utm_source=newsletter&utm_medium=email", "newsletter", "Email"),
        ("https://www.google.com/", "utm_source=google&utm_medium=cpc", "Google", "Paid"),
        ("", "utm_source=reddit", "Reddit", "Social"),  # a known source named: one row with its visits
        ("", "utm_source=Instagram&utm_medium=social", "Instagram", "Social"),
        ("", "utm_source=fb", "Facebook", "Social"),
        ("", "utm_source=duckduckgo", "DuckDuckGo", "Organic Search"),
        ("", "utm_source=news.ycombinator.com", "Hacker News", "Social"),
        ("", "utm_source=Newsletter", "Newsletter", "Email"),  # unknown: its own spelling
        ("https://www.google.com/", "gclid=abc", "Google", "Paid"),
        ("", "ref=producthunt", "producthunt", "Referral"),
        ("not a url", "", "", "Direct"),
    ],
)
def test_it_attributes_sources_and_channels(referrer: str, query: str, source: str, channel: str) -> None:
    found = attribute(referrer=referrer, query=query, own_host="example.com")
    assert (found.source, found.channel) == (source, channel)


def test_it_reads_every_utm_tag() -> None:
    q = "utm_source=s&utm_medium=m&utm_campaign=c&utm_content=ct&utm_term=t"
    found = attribute(referrer="", query=q, own_host="example.com")
    assert (found.utm_source, found.utm_medium, found.utm_campaign, found.utm_content, found.utm_term) == (
        "s",
        "m",
        "c",
        "ct",
        "t",
    )


def test_it_trusts_forwarded_for_only_from_trusted_proxies() -> None:
    trusted = (ipaddress.ip_network("10.0.0.0/8"),)
    assert client_ip("10.1.1.1", "198.51.100.7, 10.2.2.2", trusted) == "198.51.100.7"
    assert client_ip("198.51.100.1", "1.2.3.4", trusted) == "198.51.100.1"
    assert client_ip("10.1.1.1", "1.2.3.4", ()) == "10.1.1.1"
    assert client_ip("10.1.1.1", "garbage, 10.0.0.2", trusted) == "garbage"


@pytest.mark.parametrize(
    ("ua", "browser", "os_name", "device", "bot"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36",
            "Chrome",
            "Windows",
            "Desktop",
            False,
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/18.1 Mobile/15E148 Safari/604.1",
            "Mobile Safari",
            "iOS",
            "Mobile",
            False,
        ),
        (
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Googlebot",
            "",
            "Desktop",
            True,
        ),
        ("", "", "", "", True),
    ],
)
def test_it_classifies_user_agents(ua: str, browser: str, os_name: str, device: str, bot: bool) -> None:
    info = classify(ua)
    assert (info.browser, info.os, info.is_bot) == (browser, os_name, bot)
    if not bot:
        assert info.device == device


def test_it_locates_ips_with_the_test_database() -> None:
    geo = GeoLocator(os.environ["GEOIP_DATABASE"])
    assert geo.locate("81.2.69.160").country_code == "GB"
    assert geo.locate("81.2.69.160").city == "London"
    assert geo.locate("81.2.69.160").region == "England"
    assert geo.locate("2001:218:85a3::1").country_code == "JP"
    assert geo.locate("89.160.20.112").country_code == "SE"
    assert geo.locate("127.0.0.1").country_code == ""
    assert geo.locate("not an ip").country_code == ""


def test_recent_locations_are_cached_without_the_address(monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.geo

    monkeypatch.setattr(ingest.geo, "RECENT_ADDRESSES", 2)
    geo = GeoLocator(os.environ["GEOIP_DATABASE"])
    answers = [geo.locate(ip) for ip in ("81.2.69.160", "89.160.20.112", "81.2.69.160", "2001:218:85a3::1")]
    assert [where.country_code for where in answers] == ["GB", "SE", "GB", "JP"]
    assert 0 < len(geo._recent) <= 2  # bounded: a full cache starts afresh
    held = repr(geo._recent)
    assert not any(ip in held for ip in ("81.2.69.160", "89.160.20.112", "2001:218:85a3::1"))


def test_the_default_database_names_regions_and_cities() -> None:
    from ingest.geo import default_database

    where = GeoLocator(default_database()).locate("81.2.69.160")
    assert (where.country_code, where.region, where.city) == ("GB", "England", "London")


def test_it_classes_screen_widths() -> None:
    assert [screen_class(w) for w in (None, 375, 800, 1280, 1920)] == [
        "",
        "Mobile",
        "Tablet",
        "Laptop",
        "Desktop",
    ]


def test_visitor_ids_depend_on_salt_site_ip_and_agent() -> None:
    base = visitor_id(b"a" * 32, 1, "203.0.113.9", "UA")
    assert base == visitor_id(b"a" * 32, 1, "203.0.113.9", "UA")
    assert (
        len(
            {
                base,
                visitor_id(b"b" * 32, 1, "203.0.113.9", "UA"),
                visitor_id(b"a" * 32, 2, "203.0.113.9", "UA"),
                visitor_id(b"a" * 32, 1, "203.0.113.8", "UA"),
                visitor_id(b"a" * 32, 1, "203.0.113.9", "UA2"),
            }
        )
        == 5
    )
    assert 0 <= base < 2**64


def test_salt_store_loads_once_a_day_and_purges_old_salts() -> None:
    now = [dt.datetime(2026, 11, 20, 23, 59, tzinfo=dt.UTC)]
    loaded: list[dt.date] = []
    purged: list[dt.date] = []

    def load(day: dt.date) -> bytes:
        loaded.append(day)
        return day.isoformat().encode()

    store = SaltStore(load, purged.append, lambda: now[0])
    assert store.today() == b"2026-11-20"
    assert store.today() == b"2026-11-20"
    now[0] = dt.datetime(2026, 11, 21, 0, 0, 1, tzinfo=dt.UTC)
    assert store.today() == b"2026-11-21"
    assert loaded == [dt.date(2026, 11, 20), dt.date(2026, 11, 21)]
    assert purged[-1] == dt.date(2026, 11, 20)
