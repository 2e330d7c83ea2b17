"""A visit crossing 00:00 UTC keeps its visitor id although the salt changes; nothing else carries over."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from ingest.accounts import AccountsDB
from ingest.continuity import Continuity, MemoryRecent, Recent, RedisRecent
from ingest.pipeline import Pipeline
from ingest.request import parse_request
from ingest.sites import SiteRegistry
from ingest.visitor import SaltStore
from tests.conftest import Persona

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
MIDNIGHT = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = MIDNIGHT

    def __call__(self) -> dt.datetime:
        return self.now

    def seconds(self) -> float:
        return self.now.timestamp()


@pytest.fixture(params=["memory", "redis"])
def recent(request: pytest.FixtureRequest, redis_url: str, clock: Clock) -> Recent:
    if request.param == "memory":
        return MemoryRecent(clock=clock.seconds)
    return RedisRecent(redis_url, prefix=f"test:{uuid.uuid4().hex}:")


@pytest.fixture
def clock() -> Clock:
    return Clock()


def visitor_at(pipeline: Pipeline, clock: Clock, when: dt.datetime, ip: str = "198.51.100.7") -> int:
    clock.now = when
    body = json.dumps({"n": "pageview", "u": "https://example.com/", "d": "example.com"}).encode()
    [event] = pipeline.process(parse_request(body, ip=ip, user_agent=FIREFOX)).events
    return event.visitor_id


@pytest.fixture
def pipeline(accounts: AccountsDB, site: Persona, clock: Clock, recent: Recent) -> Pipeline:
    salts = SaltStore(accounts.salt, accounts.delete_salts_before, clock=clock)
    return Pipeline(SiteRegistry(accounts.fetch_sites), salts, None, clock, continuity=Continuity(recent))


def test_a_visit_going_on_across_midnight_keeps_its_visitor(pipeline: Pipeline, clock: Clock) -> None:
    before = visitor_at(pipeline, clock, MIDNIGHT - dt.timedelta(minutes=10))
    assert visitor_at(pipeline, clock, MIDNIGHT + dt.timedelta(minutes=15)) == before
    assert visitor_at(pipeline, clock, MIDNIGHT + dt.timedelta(minutes=40)) == before  # still going on


def test_a_new_visitor_after_midnight_gets_todays_id(pipeline: Pipeline, clock: Clock) -> None:
    before = visitor_at(pipeline, clock, MIDNIGHT - dt.timedelta(minutes=10), ip="198.51.100.7")
    other = visitor_at(pipeline, clock, MIDNIGHT + dt.timedelta(minutes=5), ip="198.51.100.8")
    assert other != before
    assert visitor_at(pipeline, clock, MIDNIGHT + dt.timedelta(minutes=6), ip="198.51.100.8") == other


def test_a_gap_of_more_than_half_an_hour_starts_afresh(accounts: AccountsDB, site: Persona) -> None:
    clock = Clock()  # Redis keeps real time, so the gap is driven through the in-memory store only
    salts = SaltStore(accounts.salt, accounts.delete_salts_before, clock=clock)
    continuity = Continuity(MemoryRecent(clock=clock.seconds))
    pipeline = Pipeline(SiteRegistry(accounts.fetch_sites), salts, None, clock, continuity=continuity)
    before = visitor_at(pipeline, clock, MIDNIGHT - dt.timedelta(minutes=10))
    assert visitor_at(pipeline, clock, MIDNIGHT + dt.timedelta(minutes=25)) != before


def test_the_salt_still_changes_for_visits_that_do_not_cross(pipeline: Pipeline, clock: Clock) -> None:
    early = visitor_at(pipeline, clock, MIDNIGHT - dt.timedelta(hours=5))
    assert visitor_at(pipeline, clock, MIDNIGHT + dt.timedelta(hours=5)) != early
