"""``./dev manage transfer``: an embedded installation (SQLite, chDB) moved to servers (PostgreSQL and
ClickHouse over HTTP: the front standing in for a server, or ``CLICKHOUSE_TEST_URL``'s), and its refusals.

The source is Lantern as ``./dev serve`` runs it, fed over HTTP: events over four months up to today
(backend events with their own times), a bot's drop, goals, a funnel, an API key, a shared link and
today's salt; then events accepted but still in the spool when it stopped. The first transfer is
SIGKILLed part-way through a month; the second resumes and ends equal; the third inserts nothing.
The target then answers the Stats API as the source does, with the same key and shared link, and
today's visitors keep their ids.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from analytics import DERIVED_TABLES, TRANSFER_TABLES, client, first_count_difference, stored_tables
from analytics.config import overridden
from analytics.schema import Event
from bench.server import Gunicorn
from clickhouse.migrate import migrate
from clickhouse.render import LEDGER
from ingest.buffer import deposit_segment
from ingest.visits import assign
from panel.transfer.targets import FlagError, parse
from tests.conftest import make_event, seed, wait_until
from tests.embedded_server import ROOT, EmbeddedServer, embedded_server

UA = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
DAYS_AGO = (100, 70, 40, 12, 1, 0)  # four months or more, yesterday and today
PAGES = ("/", "/pricing", "/docs", "/blog")
SOURCES = ("https://www.google.com/", "https://news.ycombinator.com/", "")
METRICS = "visitors,visits,pageviews,events,bounce_rate,visit_duration,views_per_visit"
PROPERTIES = ("visit:source", "visit:entry_page", "event:page", "event:goal")

Get = Callable[[str, dict[str, str]], Any]


# --- the flags --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clickhouse", "database", "flag"),
    [
        ("", "postgres://u@db/lantern", "--to-clickhouse"),
        ("not a url", "postgres://u@db/lantern", "--to-clickhouse"),
        ("http://ch:port/x", "postgres://u@db/lantern", "--to-clickhouse"),
        ("chdb:///var/lantern/clickhouse", "postgres://u@db/lantern", "--to-clickhouse"),
        ("http://ch:8123/bad-name", "postgres://u@db/lantern", "--to-clickhouse"),
        ("http://ch:8123/lantern", "", "--to-database"),
        ("http://ch:8123/lantern", "sqlite:///var/lantern.sqlite3", "--to-database"),
        ("http://ch:8123/lantern", "postgres://u@db", "--to-database"),
        ("http://ch:8123/lantern", "postgres://u@db:99999999/lantern", "--to-database"),
    ],
)
def test_a_bad_flag_is_refused_naming_it(clickhouse: str, database: str, flag: str) -> None:
    with pytest.raises(FlagError) as refused:
        parse(clickhouse, database, topology="single", cluster="lantern")
    assert str(refused.value).startswith(flag)


def test_good_flags_name_the_target_installation() -> None:
    target = parse(
        "http://lantern:secret@ch:8123/lantern",
        "postgres://u@db/lantern",
        topology="replicated",
        cluster="c1",
    )
    assert target.variables() == {
        "CLICKHOUSE_URL": "http://lantern:secret@ch:8123/lantern",
        "DATABASE_URL": "postgres://u@db/lantern",
        "CLICKHOUSE_TOPOLOGY": "replicated",
        "CLICKHOUSE_CLUSTER": "c1",
    }
    assert "secret" not in target.shown()
    with pytest.raises(FlagError, match=r"^--to-topology"):
        parse("http://ch:8123/", "postgres://u@db/lantern", topology="ring", cluster="c1")


def _manage(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "panel.manage", *args],
        cwd=ROOT, env=env or dict(os.environ), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_command_exits_non_zero_naming_the_flag() -> None:
    done = _manage("transfer", "--to-clickhouse", "chdb:///tmp/x", "--to-database", "postgres://u@db/x")
    assert done.returncode != 0
    assert "--to-clickhouse must be a ClickHouse server's http:// or https:// URL" in done.stderr
    done = _manage("transfer", "--to-database", "postgres://u@db/x")
    assert done.returncode != 0 and "--to-clickhouse is required" in done.stderr


def test_the_command_refuses_the_source_itself_as_target() -> None:
    own = os.environ["DATABASE_URL"]  # the test run's PostgreSQL: this process's accounts database
    done = _manage("transfer", "--to-clickhouse", "http://127.0.0.1:9/x", "--to-database", own)
    assert done.returncode != 0
    assert "--to-database names this installation's own accounts database" in done.stderr


# --- embedded to servers ----------------------------------------------------------------------------


@pytest.fixture
def target_database() -> Iterator[str]:
    """A fresh database on the test run's PostgreSQL: the target's accounts database."""
    admin = os.environ["DATABASE_URL"]
    name = f"transfer_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield admin.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def target_store(clickhouse_server: str) -> Iterator[str]:
    """A fresh database on the ClickHouse server: the target's event store."""
    name = f"transfer_{uuid.uuid4().hex[:12]}"
    with overridden(CLICKHOUSE_URL=clickhouse_server):
        client.command(f"CREATE DATABASE {name}")
    yield clickhouse_server.rstrip("/") + "/" + name
    with overridden(CLICKHOUSE_URL=clickhouse_server):
        client.command(f"DROP DATABASE IF EXISTS {name} SYNC")


def _request(
    method: str, url: str, key: str, body: dict[str, Any] | None = None, agent: str = "backend/1.0"
) -> tuple[int, dict[str, str], Any]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"User-Agent": agent, "Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=30) as reply:
        text = reply.read()
        return reply.status, dict(reply.headers), json.loads(text) if text.startswith(b"{") else text


def _getter(base: str, key: str, extra: dict[str, str] | None = None) -> Get:
    def get(path: str, query: dict[str, str]) -> Any:
        return _request("GET", f"{base}{path}?{urllib.parse.urlencode({**query, **(extra or {})})}", key)[2]

    return get


def _event_bodies(now: dt.datetime) -> list[dict[str, Any]]:
    """Visitors' pageviews and signups on each day of ``DAYS_AGO``, none after ``now``."""
    out: list[dict[str, Any]] = []
    for ago in DAYS_AGO:
        day = (now - dt.timedelta(days=ago)).date()
        start = dt.datetime.combine(day, dt.time(6), dt.UTC) if ago else now - dt.timedelta(minutes=50)
        for visitor in range(6 + ago % 5):
            at = start + dt.timedelta(minutes=4 * visitor)
            for page in range(1 + visitor % 3):
                moment = min(at + dt.timedelta(minutes=page), now)
                out.append(
                    {
                        "n": "Signup" if page == 2 else "pageview",
                        "u": f"https://example.com{PAGES[(visitor + page) % len(PAGES)]}",
                        "d": "example.com",
                        "r": SOURCES[visitor % len(SOURCES)] if page == 0 else "https://example.com/",
                        "ip": f"198.51.100.{visitor}",
                        "user_agent": UA,
                        "timestamp": moment.isoformat(),
                    }
                )
    return out


def _seed(server: EmbeddedServer) -> tuple[str, str, int, dt.datetime]:
    """The source's accounts and events through its own doors; its key, shared link, events, and the
    last event's moment."""
    server.manage("createsite", "example.com", "--owner", "owner@example.com", "--timezone", "Europe/Berlin")
    printed = server.manage(
        "createapikey", "--owner", "owner@example.com",
        "--scope", "stats:read", "--scope", "events:write", "--scope", "sites:write",
    )  # fmt: skip
    key = printed.strip().splitlines()[-1].strip()
    sites = server.url + "/api/v1/sites"
    _request(
        "PUT", sites + "/goals", key, {"site_id": "example.com", "goal_type": "event", "event_name": "Signup"}
    )
    _request(
        "PUT", sites + "/goals", key, {"site_id": "example.com", "goal_type": "page", "page_path": "/pricing"}
    )
    link = _request("PUT", sites + "/shared-links", key, {"site_id": "example.com", "name": "Team"})[2]
    funnel = (
        "from panel.goals.models import Funnel, Goal; from panel.sites.models import Site; "
        "site = Site.objects.get(domain='example.com'); goals = Goal.objects.filter(site=site); "
        "Funnel.objects.create_with_steps(site, 'Pricing to signup', list(goals.order_by('-page_path')))"
    )
    env = {**server.env, "SECRET_KEY_FILE": str(server.data_dir / "secret_key")}
    done = _manage("shell", "-c", funnel, env=env)
    assert done.returncode == 0, done.stderr
    bodies = _event_bodies(dt.datetime.now(dt.UTC))
    for body in bodies:
        status, headers, _ = _request("POST", server.url + "/api/event", key, body)
        assert status == 202 and "X-Lantern-Dropped" not in headers, headers
    bot = {**bodies[-1], "user_agent": BOT}
    assert _request("POST", server.url + "/api/event", key, bot, agent=BOT)[1]["X-Lantern-Dropped"] == "bot"
    auth = urllib.parse.parse_qs(urllib.parse.urlsplit(link["url"]).query)["auth"][0]
    return key, auth, len(bodies), dt.datetime.fromisoformat(bodies[-1]["timestamp"])


def _answers(get: Get) -> dict[str, Any]:
    """The Stats API over everything, today, and by month; breakdowns of visit and event properties."""
    out: dict[str, Any] = {}
    for period in ("all", "day", "12mo"):
        common = {"site_id": "example.com", "period": period}
        out[f"aggregate {period}"] = get("/api/v1/stats/aggregate", {**common, "metrics": METRICS})
        for prop in PROPERTIES:
            out[f"{prop} {period}"] = get("/api/v1/stats/breakdown", {**common, "property": prop})
    out["months"] = get(
        "/api/v1/stats/timeseries", {"site_id": "example.com", "period": "12mo", "interval": "month"}
    )
    return out


def _events_stored(get: Get) -> int:
    query = {"site_id": "example.com", "period": "all", "metrics": "events"}
    return int(get("/api/v1/stats/aggregate", query)["results"]["events"]["value"])


def _spooled_events(now: dt.datetime) -> list[bytes]:
    """A visit of today accepted just before the source stopped, still in the spool (site 1)."""
    steps = ((40, "pageview", "/"), (30, "pageview", "/docs"), (20, "Signup", "/docs"))
    events = [
        Event(
            site_id=1,
            visitor_id=987_654_321,
            hostname="example.com",
            event_id=uuid.uuid4(),
            timestamp=now - dt.timedelta(seconds=ago),
            name=name,
            pathname=path,
        )
        for ago, name, path in steps
    ]
    return assign(events)


def _target_events() -> tuple[int, int]:
    (count, distinct), *_ = client.execute("SELECT count(), uniqExact(event_id) FROM events", tag="test").rows
    return int(count), int(distinct)


def _transfer(server: EmbeddedServer, clickhouse: str, database: str) -> list[str]:
    return [
        str(ROOT / "dev"), "manage", "transfer", "--to-clickhouse", clickhouse, "--to-database", database,
        "--page-rows", "7",
    ]  # fmt: skip


def _interrupted(command: list[str], env: dict[str, str]) -> list[str]:
    """Run the transfer and SIGKILL it right after a page that leaves a month half-copied."""
    lines: list[str] = []
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    ) as process:  # fmt: skip
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip())
            found = re.match(r"^events \d{4}-\d{2}: (\d+) of (\d+) row\(s\) copied$", line.strip())
            pages = sum(1 for seen in lines if " row(s) copied" in seen)
            if found and int(found.group(1)) < int(found.group(2)) and pages > 2:
                os.killpg(process.pid, signal.SIGKILL)
                break
        process.wait(30)
    assert process.returncode == -signal.SIGKILL, "\n".join(lines)
    return lines


def test_an_embedded_installation_moves_to_servers_and_answers_the_same(
    clickhouse_server: str,
    target_store: str,
    target_database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INGEST_RATE_PER_CLIENT", "0")  # one backend sends every visitor's events
    data = tmp_path / "var"
    with embedded_server(data) as source:
        key, auth, posted, last_seeded = _seed(source)
        wait_until(lambda: _events_stored(_getter(source.url, key)) == posted, "the source to store them", 30)
        env = source.env
    spooled = _spooled_events(dt.datetime.now(dt.UTC))
    deposit_segment(data / "spool", "stopped-with-these", spooled)
    total = posted + len(spooled)
    command = _transfer(source, target_store, target_database)

    first = _interrupted(command, env)
    assert "source: 3 buffered record(s) stored from the spool; nothing is left in it" in first
    assert not list((data / "spool").glob("*.jsonl"))
    with overridden(CLICKHOUSE_URL=target_store):
        partly = _target_events()
    assert 0 < partly[0] < total and partly[0] == partly[1]

    second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
    out = second.stdout.splitlines()
    assert "accounts: already on the target (an earlier run copied them)" in out
    assert any(re.match(r"^events \d{4}-\d{2}: resuming after \d+ row\(s\)$", line) for line in out), out
    assert any(line.startswith("checked: events, visits and drop counts equal on both sides") for line in out)
    with overridden(CLICKHOUSE_URL=target_store):
        assert _target_events() == (total, total)  # each event once
        (sums,), *_ = client.execute("SELECT count() FROM day_sums", tag="test").rows
        assert sums > 0  # the closed days were built on the target

    third = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert third.returncode == 0, third.stdout + third.stderr
    assert "done: 0 row(s) inserted this run" in third.stdout
    with overridden(CLICKHOUSE_URL=target_store):
        assert _target_events() == (total, total)

    server_env = {
        **{k: v for k, v in env.items() if k not in {"PORT", "BASE_URL"}},
        "DATABASE_URL": target_database,
        "CLICKHOUSE_URL": target_store,
        "LANTERN_DATA_DIR": str(tmp_path / "server"),
        "SECRET_KEY_FILE": str(data / "secret_key"),  # the source's: sessions, links, two-factor secrets
        "FLUSH_INTERVAL_MS": "50",
    }
    with Gunicorn("panel.wsgi:application", server_env, tmp_path / "web.log") as web:
        on_target = _getter(web.url, key)
        moved = _answers(on_target)
        shared = _getter(web.url, "", {"auth": auth})(
            "/api/v1/stats/aggregate", {"site_id": "example.com", "period": "all", "metrics": "visitors"}
        )
        # A week, not the day: the site's day (Berlin) may have begun within the last hour's events.
        week = {"site_id": "example.com", "period": "7d", "metrics": "visitors,pageviews"}
        recent = on_target("/api/v1/stats/aggregate", week)
        now = dt.datetime.now(dt.UTC)
        again = {**_event_bodies(now)[-1], "n": "pageview", "timestamp": now.isoformat()}
        assert _request("POST", web.url + "/api/event", key, again)[0] == 202  # the last seeded visitor
        wait_until(lambda: _events_stored(on_target) == total + 1, "the target to store a new event", 30)
        later = on_target("/api/v1/stats/aggregate", week)

    with embedded_server(data) as source_again:
        before = _answers(_getter(source_again.url, key))
    assert moved == before
    assert moved["aggregate all"]["results"]["events"]["value"] == total
    assert shared == {"results": {"visitors": before["aggregate all"]["results"]["visitors"]}}
    new_salt = now.date() != last_seeded.date()  # the salt is the UTC day's: else the same visitor
    assert later["results"]["visitors"]["value"] == recent["results"]["visitors"]["value"] + new_salt
    assert later["results"]["pageviews"]["value"] == recent["results"]["pageviews"]["value"] + 1


# --- refusals and checks ----------------------------------------------------------------------------

SEED_SOURCE = """
import datetime as dt
from tests.conftest import make_event, seed
now = dt.datetime.now(dt.UTC)
seed([make_event(1, timestamp=now - dt.timedelta(days=days), visitor_id=days) for days in (1, 35, 36)])
"""


@pytest.fixture
def small_source(tmp_path: Path) -> dict[str, str]:
    """An embedded installation of its own (SQLite, chDB) with a site and three events: its environment."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CLICKHOUSE_URL"}}
    env.update(LANTERN_DATA_DIR=str(tmp_path / "source"), PYTHONPATH=str(ROOT))
    assert _manage("migrate", "-v", "0", env=env).returncode == 0
    assert _manage("createsite", "example.com", "--owner", "owner@example.com", env=env).returncode == 0
    python = str(ROOT / ".venv" / "bin" / "python")
    for args in (["-m", "clickhouse.migrate"], ["-c", SEED_SOURCE]):
        subprocess.run([python, *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    return env


def _target_rows(database: str, table: str) -> int:
    with psycopg.connect(database) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def test_a_target_holding_other_events_is_refused_before_anything_is_written(
    small_source: dict[str, str], target_store: str, target_database: str
) -> None:
    with overridden(CLICKHOUSE_URL=target_store):
        migrate()
        seed([make_event(1000, timestamp=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))])
    done = _manage(
        "transfer", "--to-clickhouse", target_store, "--to-database", target_database, env=small_source
    )
    assert done.returncode != 0
    assert re.search(r"--to-clickhouse holds events of \d{4}-\d{2}: the target holds", done.stderr), (
        done.stderr
    )
    assert _target_rows(target_database, "accounts_user") == 0
    with overridden(CLICKHOUSE_URL=target_store):
        assert _target_events() == (1, 1)


def test_a_target_database_holding_other_accounts_is_refused(
    small_source: dict[str, str], target_store: str, target_database: str
) -> None:
    elsewhere = {**os.environ, "DATABASE_URL": target_database}
    assert _manage("migrate", "-v", "0", env=elsewhere).returncode == 0
    assert _manage("createsite", "other.org", "--owner", "someone@other.org", env=elsewhere).returncode == 0
    done = _manage(
        "transfer", "--to-clickhouse", target_store, "--to-database", target_database, env=small_source
    )
    assert done.returncode != 0
    assert "--to-database already holds accounts that are not this installation's" in done.stderr, done.stderr
    with overridden(CLICKHOUSE_URL=target_store):
        assert _target_events() == (0, 0)


def test_a_running_source_is_refused(
    small_source: dict[str, str], target_store: str, target_database: str
) -> None:
    holder = subprocess.Popen(  # holds the source's event store, as ./dev serve would
        [str(ROOT / ".venv" / "bin" / "python"), "-c", "from analytics import client; "
         "client.execute('SELECT 1'); import sys; print('open', flush=True); sys.stdin.read()"],
        cwd=ROOT, env=small_source, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        done = _manage(
            "transfer", "--to-clickhouse", target_store, "--to-database", target_database, env=small_source
        )
    finally:
        holder.communicate("", timeout=60)
    assert done.returncode != 0
    assert "stop Lantern first, then run transfer again" in done.stderr, done.stderr


def test_every_stored_table_is_copied_or_derived(target_store: str) -> None:
    with overridden(CLICKHOUSE_URL=target_store):
        migrate()
        tables = stored_tables()
    assert tables - {LEDGER} == {spec.table for spec in TRANSFER_TABLES} | set(DERIVED_TABLES)


def test_the_first_difference_names_what_site_and_day() -> None:
    day = dt.date(2026, 3, 1)
    ours = {"events": {(1, day): 5, (2, day): 3}, "visits": {(1, day): 2}, "dropped events": {}}
    assert first_count_difference(ours, ours) is None
    theirs = {**ours, "events": {(1, day): 5, (2, day): 2}}
    assert first_count_difference(ours, theirs) == "events of site 2 on 2026-03-01: 3 here, 2 on the target"
    theirs = {**ours, "visits": {}}
    assert first_count_difference(ours, theirs) == "visits of site 1 on 2026-03-01: 2 here, 0 on the target"
