"""Files with secrets in the data directory are the Lantern user's only: exports, mail files, the spool
and the SQLite accounts database are 0600 in 0700 directories, and ``migrate`` tightens what exists."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

import panel.settings as configured
from ingest.buffer import SpoolBuffer
from tests.reports_fixtures import Team, make_team

SERVER_MODE_VARS = ("DATABASE_URL", "CLICKHOUSE_URL", "REDIS_URL")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask most systems start processes with: a file would be 0644 unless the code says otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, usual_umask: None) -> Path:
    root = tmp_path / "data"
    monkeypatch.setenv("LANTERN_DATA_DIR", str(root))
    return root


def test_it_writes_the_export_zip_and_its_mail_private(
    data: Path, transactional_db: None, events_table: None
) -> None:
    from panel.reports.full_export import run_export
    from panel.reports.models import SiteExport

    team: Team = make_team()
    export = SiteExport.objects.create(site=team.site, requested_by=team.owner)
    backend = configured.EMAIL_BACKEND  # as settings chose it without EMAIL_HOST (pytest swaps it out)
    with override_settings(EMAIL_BACKEND=backend, EMAIL_FILE_PATH=str(data / "mail")):
        assert run_export(export.pk) == SiteExport.Status.DONE
    [archive] = (data / "exports").iterdir()
    [mail] = (data / "mail").iterdir()
    assert archive.suffix == ".zip" and mode(archive) == 0o600
    assert mode(data / "exports") == 0o700
    assert b"/exports/" in mail.read_bytes() and mode(mail) == 0o600
    assert mode(data / "mail") == 0o700


def test_it_keeps_the_spool_private(data: Path) -> None:
    spool = SpoolBuffer(data / "spool")
    spool.push([b'{"n":"pageview"}'])
    assert mode(data / "spool") == 0o700
    assert [mode(path) for path in (data / "spool").iterdir()] == [0o600]


def _migrate(data: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVER_MODE_VARS}
    env["LANTERN_DATA_DIR"] = str(data)
    return subprocess.run(
        [sys.executable, "-m", "panel.manage", "migrate", "--no-input", "-v", "0"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def test_migrate_creates_the_accounts_database_private(data: Path) -> None:
    _migrate(data)
    assert mode(data) == 0o700
    assert mode(data / "lantern.sqlite3") == 0o600


def test_migrate_takes_group_and_other_bits_off_existing_files(data: Path) -> None:
    for name in ("lantern.sqlite3", "secret_key", "mail/20260101-1.log", "exports/example.com-1.zip"):
        (data / name).parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        (data / name).write_bytes(b"")
        (data / name).chmod(0o644)
    (data / "mail").chmod(0o755)
    data.chmod(0o755)
    elsewhere = data.parent / "elsewhere.txt"
    elsewhere.write_text("not Lantern's")
    elsewhere.chmod(0o644)
    (data / "link").symlink_to(elsewhere)  # a link is neither followed nor changed
    result = _migrate(data)
    assert mode(data) == 0o700 and mode(data / "mail") == 0o700 and mode(data / "exports") == 0o700
    for name in ("lantern.sqlite3", "secret_key", "mail/20260101-1.log", "exports/example.com-1.zip"):
        assert mode(data / name) == 0o600, name
    assert "made" in result.stderr and "lantern.sqlite3" in result.stderr
    assert mode(elsewhere) == 0o644
