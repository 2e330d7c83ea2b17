"""Two ``migrate`` runs at once apply each step once: the migration lock, across real processes.

What this can show here: chDB admits one process per data directory, so two runs against one chDB
directory could never both apply a step; without the lock the second would fail ("held by another
process"). With it, the second waits and then finds every step recorded: both succeed, the ledger holds
each version once. That the lock itself excludes processes is shown apart, with both kinds (PostgreSQL's
advisory lock, used whenever the accounts database is PostgreSQL as in server mode, and the file lock of
embedded mode): two processes' critical sections never overlap. Two runs against one ClickHouse server
(where the lock is what stands between them) cannot run here: no server can be installed on this machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from clickhouse.lock import migration_lock
from clickhouse.migrate import discover

ROOT = Path(__file__).resolve().parent.parent
LOCK_KINDS = ["postgres", "file"]


def lock_env(kind: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CLICKHOUSE_TOPOLOGY"}}
    env["LANTERN_DATA_DIR"] = str(tmp_path / "data")
    env["CLICKHOUSE_URL"] = f"chdb://{tmp_path / 'clickhouse'}"
    if kind == "file":
        env.pop("DATABASE_URL", None)  # SQLite accounts: the lock is a file in the data directory
    else:
        assert os.environ["DATABASE_URL"].startswith("postgres"), "./dev test runs PostgreSQL"
    return env


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


LEDGER_COUNTS = "SELECT version, count() FROM lantern_migrations GROUP BY version ORDER BY version"


@pytest.mark.parametrize("kind", LOCK_KINDS)
def test_two_migrate_runs_at_once_apply_each_step_once(tmp_path: Path, kind: str) -> None:
    env = lock_env(kind, tmp_path)
    runs = [start(["-m", "clickhouse.migrate"], env) for _ in range(2)]
    results = [(*run.communicate(timeout=300), run.returncode) for run in runs]
    assert [code for _, _, code in results] == [0, 0], results
    outs = sorted(out.strip() for out, _, _ in results)
    names = ", ".join(m.name for m in discover())
    assert outs == sorted([f"clickhouse: applied {names}", "clickhouse: schema up to date"]), outs
    assert any("waiting for another migrate" in err for _, err, _ in results), results  # they overlapped
    check = start(["-c", f"from analytics import client; print(client.execute({LEDGER_COUNTS!r}).rows)"], env)
    out, err = check.communicate(timeout=120)
    assert check.returncode == 0, err
    assert out.strip() == str([(m.version, 1) for m in discover()])


CRITICAL = textwrap.dedent(
    """
    import sys, time
    from clickhouse.lock import migration_lock
    with migration_lock():
        with open(sys.argv[1], "a") as out:
            out.write("in\\n")
        time.sleep(0.4)
        with open(sys.argv[1], "a") as out:
            out.write("out\\n")
    """
)


@pytest.mark.parametrize("kind", LOCK_KINDS)
def test_the_lock_excludes_other_processes(tmp_path: Path, kind: str) -> None:
    env, log = lock_env(kind, tmp_path), tmp_path / "log"
    runs = [start(["-c", CRITICAL, str(log)], env) for _ in range(3)]
    for run in runs:
        out, err = run.communicate(timeout=60)
        assert run.returncode == 0, out + err
    assert log.read_text().split() == ["in", "out"] * 3


@pytest.fixture
def held(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    env = lock_env(kind, tmp_path)
    for name in ("LANTERN_DATA_DIR", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
        if name in env:
            monkeypatch.setenv(name, env[name])
    with migration_lock(wait_s=5):
        yield env


@pytest.mark.parametrize("kind", LOCK_KINDS)
def test_a_run_waits_at_most_its_timeout(held: dict[str, str], kind: str) -> None:
    run = start(["-m", "clickhouse.migrate"], {**held, "MIGRATE_LOCK_TIMEOUT_S": "1"})
    out, err = run.communicate(timeout=60)
    assert run.returncode == 2, out + err
    assert "another migrate held" in err and "more than 1 s" in err


def test_a_bad_topology_stops_migrate_naming_the_variable(tmp_path: Path) -> None:
    run = start(["-m", "clickhouse.migrate"], {**lock_env("file", tmp_path), "CLICKHOUSE_TOPOLOGY": "galaxy"})
    _, err = run.communicate(timeout=60)
    assert run.returncode == 2
    assert "CLICKHOUSE_TOPOLOGY must be one of single, replicated, sharded, got 'galaxy'" in err
