"""Seeing a report before it comes: the notifications page previews the last complete week's or
month's report (the email's own HTML, tracked values escaped, no script allowed) and sends a test one
to the member asking, through a real SMTP server, a few times an hour at most."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client

from panel.reports.preview import TEST_RATE, latest_period
from tests.accounts_helpers import logged_in
from tests.conftest import make_event, seed
from tests.reports_fixtures import Team, make_team
from tests.smtp import SmtpServer, text_body

HOSTILE = "/<script>alert(1)</script>"


@pytest.fixture
def team(transactional_db: None, events_table: None) -> Team:
    cache.clear()  # the test-send counters
    team = make_team()
    week = latest_period(team.site, "weekly").range
    noon = dt.datetime.combine(week.first + dt.timedelta(days=2), dt.time(12), dt.UTC)
    seed([make_event(team.site.id, visitor_id=v, timestamp=noon, pathname=HOSTILE) for v in (1, 2, 3)])
    return team


def test_the_page_links_a_preview_and_a_test_send_of_each_report(team: Team) -> None:
    page = logged_in(team.viewer).get("/example.com/notifications/").content.decode()
    for kind in ("weekly", "monthly"):
        assert f'href="/example.com/notifications/preview/{kind}/"' in page
        assert f'action="/example.com/notifications/test/{kind}/"' in page


def test_a_member_previews_the_last_weeks_report(team: Team) -> None:
    response = logged_in(team.viewer).get("/example.com/notifications/preview/weekly/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "example.com" in html and ">3<" in html.replace(" ", "")  # the week's three visitors
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html  # a tracked path, escaped
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy


def test_previews_refuse_strangers_other_kinds_and_posts(team: Team) -> None:
    from panel.accounts.models import User

    stranger = User.objects.create_with_organisation("stranger@else.org", "a long enough passphrase")
    assert logged_in(stranger).get("/example.com/notifications/preview/weekly/").status_code == 404
    assert logged_in(team.owner).get("/example.com/notifications/preview/daily/").status_code == 404
    assert logged_in(team.owner).post("/example.com/notifications/preview/weekly/").status_code == 405
    assert Client().get("/example.com/notifications/preview/weekly/").status_code == 302  # log in


def test_a_test_report_is_mailed_to_the_member_asking(team: Team, mailbox: SmtpServer) -> None:
    owner = logged_in(team.owner)
    response = owner.post("/example.com/notifications/test/monthly/", follow=True)
    assert "A test monthly report of example.com was sent to owner@example.com." in response.content.decode()
    [message] = mailbox.wait_for(1)
    assert message["To"] == "owner@example.com"
    assert message["Subject"].startswith("[Test] Monthly report for example.com")
    assert "example.com" in text_body(message)
    assert owner.get("/example.com/notifications/test/monthly/").status_code == 405


def test_test_reports_are_rate_limited(team: Team, mailbox: SmtpServer) -> None:
    admin = logged_in(team.admin)
    allowed = int(TEST_RATE.split("/")[0])
    for _ in range(allowed):
        assert admin.post("/example.com/notifications/test/weekly/").status_code == 302
    refused = admin.post("/example.com/notifications/test/weekly/")
    assert refused.status_code == 429 and "Too many test reports" in refused.content.decode()
    assert len(mailbox.wait_for(allowed)) == allowed
