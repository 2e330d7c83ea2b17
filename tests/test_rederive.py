"""Re-deriving visits from stored events: the same visits ingest decides, idempotent, safe to stop half-way,
and the upgrade of a store built before visits were decided at ingest (its own chDB, in a subprocess)."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from analytics import client, rederive
from analytics.schema import Event
from tests.conftest import make_event, seed
from tests.reference import sessionize

START = dt.datetime(2026, 11, 20, 21, 0, tzinfo=dt.UTC)
SITES = (1, 2)
VISITS_SQL = """
SELECT site_id, visitor_id, toString(session_start), pageviews, entry_page, exit_page, referrer_source
FROM (
    SELECT site_id, visit_id, any(visitor_id) AS visitor_id, min(first_at) AS session_start,
        sum(pageviews) AS pageviews, sum(events) AS events, argMinMerge(entry) AS entry_page,
        argMaxMerge(exit) AS exit_page, any(referrer_source) AS referrer_source
    FROM visits GROUP BY site_id, visit_id
)
WHERE events > 0
ORDER BY site_id, visitor_id, session_start
"""


def random_events(seed_: int, count: int = 1500) -> list[Event]:
    """Events of a few visitors over eight hours across midnight and 03:00 UTC, with varied gaps."""
    rnd = random.Random(seed_)
    return [
        make_event(
            rnd.choice(SITES),
            timestamp=START + dt.timedelta(seconds=rnd.randint(0, 8 * 3600)),
            visitor_id=rnd.randint(1, 30),
            name=rnd.choice(["pageview", "pageview", "Signup", "engagement"]),
            pathname=rnd.choice(["/", "/a", "/b"]),
            referrer_source=rnd.choice(["Google", "Bing", ""]),
        )
        for _ in range(count)
    ]


def reference_visits(events: list[Event]) -> list[tuple[object, ...]]:
    sessions, _ = sessionize(events)
    rows = [
        (
            s.first.site_id,
            s.first.visitor_id,
            s.first.timestamp.strftime("%Y-%m-%d %H:%M:%S.000"),
            s.pageviews,
            s.entry_page,
            s.exit_page,
            s.first.referrer_source,
        )
        for s in sessions
    ]
    return sorted(rows, key=lambda r: (r[0], r[1], r[2]))


def stored_visits() -> list[tuple[object, ...]]:
    return [tuple(row) for row in client.execute(VISITS_SQL, tag="test", max_rows=0).rows]


def test_ingest_and_rederive_give_the_reference_visits(events_table: None) -> None:
    events = random_events(1)
    seed(events)  # visits as ingest decides them, in time order
    expected = reference_visits(events)
    assert stored_visits() == expected
    assert rederive.rederive_all() == len(events)
    assert stored_visits() == expected  # the same visits, derived again in SQL
    assert rederive.rederive_all() == len(events)  # idempotent: same ids, same rows
    assert stored_visits() == expected
    (count,), *_ = client.execute("SELECT count() FROM events", tag="test").rows
    assert count == len(events)


def test_a_range_is_widened_to_whole_visits(events_table: None) -> None:
    events = random_events(2)
    seed(events)
    expected = reference_visits(events)
    rederive.rederive(1, dt.date(2026, 11, 21), dt.date(2026, 11, 21))  # visits begun on the 20th too
    assert stored_visits() == expected


def test_first_touch_is_the_first_event_of_each_visit(events_table: None) -> None:
    first = make_event(1, timestamp=START, visitor_id=5, referrer_source="Google", country_code="GB")
    later = make_event(1, timestamp=START + dt.timedelta(minutes=10), visitor_id=5, referrer_source="Bing")
    client.insert_json_lines("events", [first.to_json(), later.to_json()], token=f"test:{uuid.uuid4()}")
    rederive.rederive_all()
    rows = client.execute(
        "SELECT referrer_source, country_code, count(DISTINCT visit_id) FROM events GROUP BY 1, 2", tag="test"
    ).rows
    assert rows == [("Google", "GB", 1)]


def test_a_stopped_run_is_finished_by_the_next(events_table: None, monkeypatch: pytest.MonkeyPatch) -> None:
    events = random_events(3, count=300)
    seed(events)
    expected = reference_visits(events)
    moves = []

    def stop_before_inserting(*args: object) -> int:
        moves.append(args)
        raise RuntimeError("stopped")

    monkeypatch.setattr(rederive, "_move", stop_before_inserting)
    with pytest.raises(RuntimeError):
        rederive.rederive_all()
    monkeypatch.undo()
    staged = client.execute(
        "SELECT name FROM system.tables"
        " WHERE database = currentDatabase() AND startsWith(name, 'events_rederive_')",
        tag="test",
    ).rows
    assert len(staged) == 1
    assert rederive.finish_staged() == sum(1 for e in events if e.site_id == moves[0][1])
    assert rederive.rederive_all() == len(events)
    assert stored_visits() == expected
    (count,), *_ = client.execute("SELECT count() FROM events", tag="test").rows
    assert count == len(events)


def test_the_command_checks_its_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        rederive.main(["1", "2026-11-21"])
    with pytest.raises(SystemExit):
        rederive.main(["1", "2026-11-22", "2026-11-21"])
    with pytest.raises(SystemExit):
        rederive.main(["x"])
    assert "FIRST_DAY" in capsys.readouterr().err


# A store as the code before visits were decided at ingest left it: the migrations up to 0024, events in
# the old row format (no visit columns), and sessions the old sessionizer wrote. The upgrade (0030 and its
# step) must give every event its visit: the reference's visits.
UPGRADE = textwrap.dedent(
    """
    import json, sys
    from analytics import client
    from clickhouse import migrate

    client.command(
        f"CREATE TABLE IF NOT EXISTS {migrate.LEDGER}"
        " (version UInt32, name String, applied_at DateTime DEFAULT now())"
        " ENGINE = MergeTree ORDER BY version"
    )
    for migration in migrate.discover():
        if migration.version > 24:
            break
        for statement in migration.statements:
            client.command(statement)
        row = json.dumps({"version": migration.version, "name": migration.name}).encode()
        client.insert_json_lines(migrate.LEDGER, [row], token=migration.name)
    lines = [line.encode() for line in open(sys.argv[1]).read().splitlines()]
    client.insert_json_lines("events", lines, token="old-store")
    client.command(
        "INSERT INTO sessions (site_id, visitor_id, session_start, session_end, version, pageviews)"
        " SELECT site_id, visitor_id, min(timestamp), max(timestamp), 1, countIf(name = 'pageview')"
        " FROM events GROUP BY site_id, visitor_id"
    )
    assert "0030_visits_at_ingest" in migrate.migrate()
    sql = "SELECT name FROM system.tables WHERE database = currentDatabase()"
    tables = {row[0] for row in client.execute(sql, tag="t").rows}
    assert not tables & {"sessions", "sessions_queue", "rollups", "day_changes", "sessions_done"}, tables
    counted = (
        "SELECT site_id, day, sum(events), min(first_at), max(last_at) FROM day_events"
        " GROUP BY site_id, day ORDER BY site_id, day"
    )
    from_events = (
        "SELECT site_id, toDate(visit_start) AS day, count(), min(timestamp), max(timestamp) FROM events"
        " GROUP BY site_id, day ORDER BY site_id, day"
    )
    assert client.execute(counted, tag="t").rows == client.execute(from_events, tag="t").rows
    rows = client.execute(sys.argv[2], tag="t", max_rows=0).rows
    print(json.dumps([[str(value) for value in row] for row in rows]))
    """
)


NEW_COLUMNS = ("visit_id", "visit_start")


def test_a_store_built_before_visits_at_ingest_is_upgraded(tmp_path: Path) -> None:
    events = random_events(4, count=800)
    old_format = tmp_path / "events.jsonl"
    old_format.write_text(
        "\n".join(
            json.dumps({k: v for k, v in json.loads(e.to_json()).items() if k not in NEW_COLUMNS})
            for e in events
        )
    )
    env = {**os.environ, "CLICKHOUSE_URL": f"chdb://{tmp_path / 'old-store'}"}
    result = subprocess.run(
        [sys.executable, "-c", UPGRADE, str(old_format), VISITS_SQL],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parent.parent,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    upgraded = [tuple(row) for row in json.loads(result.stdout.strip().splitlines()[-1])]
    expected = [tuple(str(v) for v in row) for row in reference_visits(events)]
    assert upgraded == expected
