"""Importing a site's history from the settings page and the command: Plausible's export in, the
dashboard's Stats API numbers out as the files say; bad files, re-imports and removal."""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from analytics import client
from analytics.imported.store import table_rows
from analytics.imported.tables import TABLES
from tests.plausible_export import HEADERS, csv_text, file_name, sample, write_export
from tests.reports_fixtures import Team, make_team

TODAY = dt.datetime.now(dt.UTC).date()
FIRST = TODAY - dt.timedelta(days=400)
LAST = FIRST + dt.timedelta(days=1)
PERIOD = {"period": "custom", "date": f"{FIRST},{LAST}"}


@pytest.fixture
def team(
    transactional_db: None, events_table: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Team]:
    monkeypatch.setenv("LANTERN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("REDIS_URL", raising=False)  # embedded: the job runs in a thread of this process
    for table in TABLES:
        client.command(f"TRUNCATE TABLE {table}")
    yield make_team()


def _as(user: Any) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def upload(browser: Client, path: Path, **fields: str) -> str:
    """Post the export on the imports page, wait for the job; the status page's URL."""
    with path.open("rb") as file:
        response = browser.post("/example.com/settings/imports/", {"export": file, **fields})
    assert response.status_code == 302, response.content
    for thread in threading.enumerate():
        if thread.name == "lantern.import":
            thread.join(30)
    return str(response["Location"])


def stats(browser: Client, path: str, **params: str) -> Any:
    response = browser.get(f"/api/v1/stats/{path}", {"site_id": "example.com", **PERIOD, **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_an_owner_imports_and_the_numbers_are_the_files(team: Team, tmp_path: Path) -> None:
    owner = _as(team.owner)
    assert owner.get("/example.com/settings/imports/").status_code == 200
    status_url = upload(owner, write_export(tmp_path / "export.zip", sample(FIRST), FIRST, LAST))
    assert owner.get(status_url + "status.json").json()["status"] == "done"
    assert b'data-status="done"' in owner.get(status_url).content
    metrics = "visitors,visits,pageviews,views_per_visit,bounce_rate,visit_duration"
    top = stats(owner, "aggregate", metrics=metrics, with_imported="true")["results"]
    files = sample(FIRST)["imported_visitors"]  # date, visitors, pageviews, bounces, visits, visit_duration
    visits, duration = sum(r[4] for r in files), sum(r[5] for r in files)
    assert top == {
        "visitors": {"value": sum(r[1] for r in files)},
        "visits": {"value": visits},
        "pageviews": {"value": sum(r[2] for r in files)},
        "views_per_visit": {"value": round(sum(r[2] for r in files) / visits, 2)},
        "bounce_rate": {"value": round(100 * sum(r[3] for r in files) / visits)},
        "visit_duration": {"value": round(duration / visits)},
    }
    assert stats(owner, "aggregate", metrics="visitors")["results"] == {"visitors": {"value": 0}}  # not asked
    chart = stats(owner, "timeseries", metrics="visitors", with_imported="true")["results"]
    assert chart == [{"date": r[0], "visitors": r[1]} for r in files]
    sources = stats(owner, "breakdown", property="visit:source", with_imported="true")["results"]
    assert sources[0] == {"source": "Google", "visitors": 7}
    cities = stats(owner, "breakdown", property="visit:country", with_imported="true")["results"]
    assert cities == [{"country": "DE", "visitors": 11}, {"country": "US", "visitors": 4}]
    filtered = stats(
        owner, "breakdown", property="visit:country", filters="visit:source==Google", with_imported="true"
    )
    assert filtered["results"] == [] and "not supported" in filtered["warning"]


def test_the_v2_api_says_whether_imports_were_included(team: Team, tmp_path: Path) -> None:
    owner = _as(team.owner)
    body: dict[str, Any] = {
        "site_id": "example.com",
        "metrics": ["visitors"],
        "date_range": [str(FIRST), str(LAST)],
    }

    def query(**more: Any) -> Any:
        response = owner.post("/api/v2/query", {**body, **more}, content_type="application/json")
        assert response.status_code == 200, response.content
        return response.json()

    assert query(include={"imports": True})["meta"] == {
        "imports_included": False,
        "imports_skip_reason": "no_imported_data",
    }
    upload(owner, write_export(tmp_path / "export.zip", sample(FIRST), FIRST, LAST))
    answer = query(include={"imports": True})
    assert answer["results"] == [{"metrics": [15], "dimensions": []}]
    assert answer["meta"] == {"imports_included": True}
    assert query()["results"] == [{"metrics": [0], "dimensions": []}]  # not asked: not included
    hourly = query(include={"imports": True}, dimensions=["time:hour"], date_range=[str(FIRST), str(FIRST)])
    assert hourly["meta"]["imports_skip_reason"] == "unsupported_interval"
    assert "too short" in hourly["meta"]["imports_warning"]
    mixed = query(
        include={"imports": True}, filters=[["is", "visit:country", ["DE"]]], dimensions=["visit:browser"]
    )
    assert mixed["meta"]["imports_skip_reason"] == "unsupported_query" and mixed["results"] == []
    recent = query(include={"imports": True}, date_range="7d")
    assert recent["meta"] == {"imports_included": False, "imports_skip_reason": "out_of_range"}


def test_a_bad_file_fails_whole_and_keeps_the_earlier_import(team: Team, tmp_path: Path) -> None:
    owner = _as(team.owner)
    upload(owner, write_export(tmp_path / "good.zip", sample(FIRST), FIRST, LAST))
    rows = sample(FIRST)
    rows["imported_pages"] = [
        *rows["imported_pages"],
        [str(FIRST), "example.com", "/x", 1, "lots", 1, 0, 0, 0, 0],
    ]
    status_url = upload(owner, write_export(tmp_path / "bad.zip", rows, FIRST, LAST))
    status = owner.get(status_url + "status.json").json()
    name = file_name("imported_pages", FIRST, LAST)
    assert status["status"] == "failed"
    assert status["error"].startswith(f"{name}, line 5, column 5 (visitors): 'lots' is not a whole number")
    assert name in owner.get(status_url).content.decode()
    failed_id = int(status_url.rstrip("/").split("/")[-1])
    assert set(table_rows(team.site.id, failed_id).values()) == {0}
    assert stats(owner, "aggregate", with_imported="true")["results"] == {"visitors": {"value": 15}}


def test_importing_again_replaces_and_remove_undoes(team: Team, tmp_path: Path) -> None:
    owner = _as(team.owner)
    first_url = upload(owner, write_export(tmp_path / "one.zip", sample(FIRST), FIRST, LAST))
    again = {"imported_visitors": [[str(FIRST), 4, 8, 1, 4, 100]]}
    upload(owner, write_export(tmp_path / "two.zip", again, FIRST, FIRST))
    assert stats(owner, "aggregate", with_imported="true")["results"] == {"visitors": {"value": 4}}
    first_id = int(first_url.rstrip("/").split("/")[-1])
    assert set(table_rows(team.site.id, first_id).values()) == {0}
    assert owner.get(first_url + "status.json").json()["status"] == "replaced"
    assert b"Remove imported data" in owner.get("/example.com/settings/imports/").content
    assert owner.post("/example.com/settings/imports/remove").status_code == 302
    assert stats(owner, "aggregate", with_imported="true")["results"] == {"visitors": {"value": 0}}
    assert client.execute("SELECT count() FROM imported_visitors").rows == [(0,)]


def test_only_owners_and_admins_import(team: Team, tmp_path: Path) -> None:
    path = write_export(tmp_path / "export.zip", sample(FIRST), FIRST, LAST)
    with path.open("rb") as file:
        assert _as(team.viewer).post("/example.com/settings/imports/", {"export": file}).status_code == 403
    assert _as(team.viewer).post("/example.com/settings/imports/remove").status_code == 403
    upload(_as(team.admin), path)
    from panel.imports.models import SiteImport

    assert SiteImport.objects.get().status == "done"
    anonymous = Client(enforce_csrf_checks=True)
    anonymous.force_login(team.owner)
    with path.open("rb") as file:  # without the CSRF token
        assert anonymous.post("/example.com/settings/imports/", {"export": file}).status_code == 403


def test_the_form_names_what_is_wrong(team: Team, tmp_path: Path) -> None:
    owner = _as(team.owner)
    (tmp_path / "notes.txt").write_text("hi")
    with (tmp_path / "notes.txt").open("rb") as file:
        response = owner.post("/example.com/settings/imports/", {"export": file})
    assert response.status_code == 400 and b"choose the export" in response.content
    path = write_export(tmp_path / "export.zip", sample(FIRST), FIRST, LAST)
    with path.open("rb") as file:
        response = owner.post("/example.com/settings/imports/", {"export": file, "first": str(FIRST)})
    assert response.status_code == 400 and b"both days" in response.content


def test_the_command_imports_with_progress(team: Team, tmp_path: Path) -> None:
    path = write_export(tmp_path / "export.zip", sample(FIRST), FIRST, LAST)
    out = io.StringIO()
    call_command(
        "importplausible", "example.com", str(path), "--from", str(LAST), "--to", str(LAST), stdout=out
    )
    text = out.getvalue()
    assert "100%" in text and f"{LAST} to {LAST}" in text
    assert path.exists()  # the command copies, never moves, the file it was given
    assert stats(_as(team.owner), "aggregate", with_imported="true")["results"] == {"visitors": {"value": 5}}
    bad = write_export(
        tmp_path / "bad.zip",
        {},
        FIRST,
        LAST,
        texts={
            file_name("imported_visitors", FIRST, LAST): csv_text(
                HEADERS["imported_visitors"], [[FIRST, 1, 1, 1, 1, "x"]]
            )
        },
    )
    with pytest.raises(CommandError, match=r"line 2, column 6 \(visit_duration\)"):
        call_command("importplausible", "example.com", str(bad), stdout=io.StringIO())
    with pytest.raises(CommandError, match="--from"):
        call_command("importplausible", "example.com", str(path), "--from", "yesterday", "--to", str(LAST))


def test_deleting_the_site_deletes_its_imports(team: Team, tmp_path: Path) -> None:
    from panel.sites.removal import delete_site_and_data

    upload(_as(team.owner), write_export(tmp_path / "export.zip", sample(FIRST), FIRST, LAST))
    site_id = team.site.id
    assert (
        sum(table_rows(site_id, 1).values())
        + sum(
            int(
                client.execute(f"SELECT count() FROM {t} WHERE site_id = {{s:UInt64}}", {"s": site_id}).rows[
                    0
                ][0]
            )
            for t in TABLES
        )
        > 0
    )
    delete_site_and_data(team.site)
    for table in TABLES:
        assert client.execute(f"SELECT count() FROM {table}").rows == [(0,)]


def test_the_full_export_holds_the_import_in_plausibles_format(team: Team, tmp_path: Path) -> None:
    import zipfile

    from analytics import load_plausible
    from panel.reports.full_export import export_dir, run_export
    from panel.reports.models import SiteExport

    owner = _as(team.owner)
    upload(owner, write_export(tmp_path / "export.zip", sample(FIRST), FIRST, LAST))
    export = SiteExport.objects.create(site=team.site, requested_by=team.owner)
    assert run_export(export.pk) == "done"
    export.refresh_from_db()
    with zipfile.ZipFile(export_dir() / export.file_name) as archive:
        names = [n for n in archive.namelist() if n.startswith("imported_")]
        assert sorted(names) == sorted(file_name(table, FIRST, LAST) for table in TABLES)
        pages = archive.read(file_name("imported_pages", FIRST, LAST)).decode().splitlines()
        assert pages[0] == ",".join(HEADERS["imported_pages"][:6]) + ",exits," + ",".join(
            HEADERS["imported_pages"][6:]
        )
        again = tmp_path / "again.zip"
        with zipfile.ZipFile(again, "w") as out:
            for name in names:
                out.writestr(name, archive.read(name))
    loaded = load_plausible(again, 999_001, 5, lambda day: True)  # into another site: the same rows
    assert loaded.rows == {table: len(rows) for table, rows in sample(FIRST).items()}
