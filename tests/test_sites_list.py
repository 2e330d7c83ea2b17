"""The sites list: each site's unique visitors in the last 24 hours and a sparkline of its hours, read
in one query for every site (``analytics.traffic.last_day``)."""

from __future__ import annotations

import datetime as dt
import re

from django.test import Client

from analytics import last_day
from panel.sites.models import Site
from panel.sites.sparkline import points
from tests.conftest import Persona, make_event, seed


def test_each_site_shows_its_last_24_hours(site: Persona, events_table: None) -> None:
    other = Site.objects.create(organisation=site.site.organisation, domain="other.example", timezone="UTC")
    now = dt.datetime.now(dt.UTC)
    seed(
        [
            make_event(site.site.id, visitor_id=1, timestamp=now - dt.timedelta(minutes=10)),
            make_event(site.site.id, visitor_id=1, timestamp=now - dt.timedelta(minutes=5)),
            make_event(site.site.id, visitor_id=2, timestamp=now - dt.timedelta(hours=5, minutes=1)),
            make_event(site.site.id, visitor_id=3, timestamp=now - dt.timedelta(hours=25)),  # too old
            make_event(
                site.site.id, visitor_id=4, timestamp=now - dt.timedelta(minutes=3), name="engagement"
            ),
        ]
    )
    client = Client()
    client.force_login(site.user)
    page = client.get("/sites/").content.decode()
    shown = dict(
        re.findall(
            r'href="/([^/"]+)/">[^<]*</a>\s*<span class="site-traffic".*?data-visitors="(\d+)"', page, re.S
        )
    )
    assert shown == {"example.com": "2", "other.example": "0"}
    lines = re.findall(r'<polyline points="([^"]*)"', page)
    assert [len(line.split()) for line in lines] == [24, 24]

    days = last_day([site.site.id, other.id], now)
    assert days[site.site.id].visitors == 2
    assert days[site.site.id].hourly[-1] == 1  # the last hour: visitor 1 (engagement alone is no visitor)
    assert days[site.site.id].hourly[-6] == 1  # five hours and a minute ago: visitor 2
    assert sum(days[site.site.id].hourly) == 2
    assert days[other.id].hourly == (0,) * 24


def test_a_sparkline_spans_its_box() -> None:
    assert points([0, 2, 1], width=100, height=20) == "0,19 50,1 100,10"
    assert points([0, 0], width=10, height=10) == "0,9 10,9"  # no traffic: a flat line at the bottom
    assert points([], width=10, height=10) == ""
