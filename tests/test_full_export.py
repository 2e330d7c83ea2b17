"""The full export: an owner asks, a real Celery worker writes the zip with progress, the mail brings a
signed link that only members can follow and that expires; cells are safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import threading
import time
import zipfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import signing
from django.test import Client

from panel.celery import app
from panel.reports.full_export import read_download_token
from tests.reports_fixtures import Team, make_team, seed_visits
from tests.smtp import SmtpServer, text_body

FORMULA = '=HYPERLINK("http://evil")'


@pytest.fixture
def team(transactional_db: None, events_table: None, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Team:
    monkeypatch.setenv("LANTERN_DATA_DIR", str(tmp_path))
    team = make_team()
    now = dt.datetime.now(dt.UTC)
    seed_visits(team.site.id, [(now - dt.timedelta(days=2), 1, "/", "Google"), (now, 2, "/x", FORMULA)])
    return team


@pytest.fixture
def worker(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("REDIS_URL", redis_url)  # server mode: the job goes to Celery
    app.conf.broker_url = redis_url
    app.conf.result_backend = "cache+memory://"
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        yield


def _as(user: Any) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def _csv(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode())))


def test_an_owner_gets_the_whole_site_as_a_zip(team: Team, mailbox: SmtpServer, worker: None) -> None:
    owner = _as(team.owner)
    assert owner.get("/example.com/settings/export/").status_code == 200
    started = owner.post("/example.com/settings/export/")
    assert started.status_code == 302
    status_url = started["Location"]
    [message] = mailbox.wait_for(1)
    assert message["Subject"] == "Your export of example.com is ready"
    assert owner.get(status_url + "status.json").json()["status"] == "done"
    assert owner.get(status_url + "status.json").json()["percent"] == 100
    status_page = owner.get(status_url).content.decode()
    assert 'data-status="done"' in status_page
    # the page offers the download too: the emailed link's path
    button = re.search(r'id="export-download" href="([^"]+)"', status_page)
    assert button is not None
    listed = re.search(
        r'class="export-download" href="([^"]+)"', owner.get("/example.com/settings/export/").content.decode()
    )
    assert listed is not None
    link = next(word for word in text_body(message).split() if "/exports/download/" in word)
    # the page's links and the mail's name the same export (signed at their own moments)
    tokens = [
        path.rstrip("/").rsplit("/", 1)[1] for path in (button.group(1), listed.group(1), urlsplit(link).path)
    ]
    assert len({read_download_token(token) for token in tokens}) == 1
    response = owner.get(urlsplit(link).path)
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    assert sorted(archive.namelist()) == ["dropped_events.csv", "events.csv", "site.csv", "visits.csv"]
    events = _csv(archive, "events.csv")
    assert [e["pathname"] for e in events] == ["/", "/x"]  # in time order
    assert events[1]["referrer_source"] == "'" + FORMULA  # a spreadsheet shows it, never runs it
    assert events[0]["referrer_source"] == "Google" and events[0]["visitor_id"] == "1"
    assert len(_csv(archive, "visits.csv")) == 2
    assert _csv(archive, "site.csv")[0]["domain"] == "example.com"
    # the link is for the site's owners and admins only
    from panel.accounts.models import User

    stranger = User.objects.create_with_organisation("stranger@else.org", "a long enough passphrase")
    assert _as(stranger).get(urlsplit(link).path).status_code == 404
    assert _as(team.viewer).get(urlsplit(link).path).status_code == 404  # may not ask, so may not take
    admin = _as(team.admin).get(urlsplit(link).path)
    admin.close()  # a file response: let go of the file
    assert admin.status_code == 200
    assert Client().get(urlsplit(link).path).status_code == 302  # log in first


def test_viewers_and_strangers_cannot_export(team: Team) -> None:
    from panel.reports.models import SiteExport

    assert _as(team.viewer).post("/example.com/settings/export/").status_code == 403
    assert not SiteExport.objects.exists()


class _SignedLongAgo(signing.TimestampSigner):
    def timestamp(self) -> str:
        from panel.reports.full_export import LINK_DAYS

        return signing.b62_encode(int(time.time()) - (LINK_DAYS + 1) * 86_400)


def test_a_forged_or_expired_link_is_refused(team: Team) -> None:
    from panel.reports.full_export import _SALT, download_token, read_download_token

    assert read_download_token(download_token(7)) == 7
    assert read_download_token(download_token(7)[:-3] + "abc") is None
    old = _SignedLongAgo(salt=_SALT).sign_object(7)
    assert read_download_token(old) is None
    assert _as(team.owner).get(f"/exports/download/{old}/").status_code == 404


def test_progress_moves_with_the_rows_written(team: Team) -> None:
    from panel.reports.full_export import _Progress
    from panel.reports.models import SiteExport

    export = SiteExport.objects.create(site=team.site, requested_by=team.owner)
    progress = _Progress(export, total_rows=8)
    progress.add(2)
    assert SiteExport.objects.get(pk=export.pk).percent == 25
    progress.add(6)
    assert SiteExport.objects.get(pk=export.pk).percent == 99  # 100 only once the zip is complete


def test_files_of_expired_exports_are_deleted(team: Team) -> None:
    from panel.reports.full_export import LINK_DAYS, delete_expired, export_dir
    from panel.reports.models import SiteExport

    export_dir().mkdir(parents=True)
    finished = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    for name in ("old.zip", "new.zip"):
        (export_dir() / name).write_bytes(b"zip")
    SiteExport.objects.create(
        site=team.site, requested_by=team.owner, status="done", file_name="old.zip", finished_at=finished
    )
    SiteExport.objects.create(
        site=team.site,
        requested_by=team.owner,
        status="done",
        file_name="new.zip",
        finished_at=finished + dt.timedelta(days=LINK_DAYS),
    )
    assert delete_expired(finished + dt.timedelta(days=LINK_DAYS, hours=1)) == 1
    assert sorted(p.name for p in export_dir().iterdir()) == ["new.zip"]
    assert list(SiteExport.objects.order_by("pk").values_list("file_name", flat=True)) == ["", "new.zip"]


def test_batches_cover_every_row_once(team: Team) -> None:
    from analytics.export import event_batches, visit_batches

    now = dt.datetime.now(dt.UTC)
    seed_visits(team.site.id, [(now - dt.timedelta(minutes=m), 10 + m, f"/p{m}", "") for m in range(5)])
    events = [len(rows) for rows in event_batches(team.site.id, batch=2)]
    assert events == [2, 2, 2, 1]  # the fixture's two events and these five
    assert sum(len(rows) for rows in visit_batches(team.site.id, batch=3)) == 7


def test_embedded_mode_runs_the_export_in_a_thread_of_the_web_process(
    team: Team, mailbox: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    owner = _as(team.owner)
    status_url = owner.post("/example.com/settings/export/")["Location"]
    [message] = mailbox.wait_for(1)
    for thread in threading.enumerate():
        if thread.name == "lantern.export":
            thread.join(20)
    assert "/exports/download/" in text_body(message)
    assert owner.get(status_url + "status.json").json() == {
        "id": int(status_url.rstrip("/").split("/")[-1]),
        "status": "done",
        "percent": 100,
    }


def test_deleting_the_site_deletes_its_export_files(team: Team) -> None:
    from panel.reports.full_export import export_dir
    from panel.reports.models import SiteExport
    from panel.sites.models import Site
    from panel.sites.removal import delete_site_and_data

    export_dir().mkdir(parents=True)
    (export_dir() / "theirs.zip").write_bytes(b"zip")
    (export_dir() / "other.zip").write_bytes(b"zip")
    SiteExport.objects.create(site=team.site, requested_by=team.owner, status="done", file_name="theirs.zip")
    delete_site_and_data(team.site)
    assert not Site.objects.filter(domain="example.com").exists() and not SiteExport.objects.exists()
    assert sorted(p.name for p in export_dir().iterdir()) == ["other.zip"]
