"""Weekly and monthly reports: a real Celery worker on the real Redis runs the job, the mail arrives
at a real SMTP server, and the unsubscribe link in it works; each report goes exactly once."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from celery.contrib.testing.worker import start_worker
from django.test import Client

from panel.celery import app
from tests.reports_fixtures import Team, make_team, racing, seed_visits
from tests.smtp import SmtpServer, html_body, text_body

# Monday 23 November 2026, 09:30 in Berlin: the weekly report of 16-22 November is due.
MONDAY = dt.datetime(2026, 11, 23, 8, 30, tzinfo=dt.UTC)
FIRST_OF_DECEMBER = dt.datetime(2026, 12, 1, 8, 5, tzinfo=dt.UTC)  # 09:05 in Berlin: the monthly one is due
HOSTILE = "/<script>alert('x')</script>"


@pytest.fixture
def team(transactional_db: None, events_table: None) -> Team:
    team = make_team()
    day = dt.timedelta(days=1)
    seed_visits(
        team.site.id,
        [
            (MONDAY - 3 * day, 1, "/", "Google"),  # in the week reported
            (MONDAY - 3 * day, 2, "/pricing", ""),
            (MONDAY - 2 * day, 3, HOSTILE, "Google"),
            (MONDAY - 9 * day, 4, "/", ""),  # the week before
        ],
    )
    return team


@pytest.fixture
def worker(redis_url: str) -> Iterator[None]:
    app.conf.broker_url = redis_url
    app.conf.result_backend = "cache+memory://"  # so a test can wait for a task (in-thread worker)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        yield


def test_the_worker_sends_the_weekly_report_to_owners(team: Team, mailbox: SmtpServer, worker: None) -> None:
    assert app.send_task("lantern.reports", kwargs={"now": MONDAY.isoformat()}).get(timeout=30) == 1
    [message] = mailbox.wait_for(1)
    assert message["To"] == team.owner.email  # owners by default; admins and viewers opt in
    assert message["Subject"] == "Weekly report for example.com: 16 Nov to 22 Nov 2026"
    text = text_body(message)
    assert "Unique visitors: 3 (+200% vs the period before)" in text
    assert "Total pageviews: 3 (+200% vs the period before)" in text
    assert "Bounce rate: 100% (0 pts vs the period before)" in text
    assert "  Google  2" in text and "  Direct / None  1" in text
    html = html_body(message)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<script" not in html
    assert html.count('class="bar"') == 2  # two days with visitors among the seven columns
    assert "src=" not in html and "@import" not in html and "url(" not in html


def test_the_unsubscribe_link_turns_that_report_off(team: Team, mailbox: SmtpServer, worker: None) -> None:
    from panel.reports.recipients import recipients

    app.send_task("lantern.reports", kwargs={"now": MONDAY.isoformat()})
    [message] = mailbox.wait_for(1)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = str(message["List-Unsubscribe"]).strip().strip("<>")
    assert link in text_body(message) and link in html_body(message).replace("&amp;", "&")
    path = urlsplit(link).path
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(path)
    assert page.status_code == 200 and b"Unsubscribe</button>" in page.content
    assert [u.email for u in recipients(team.site, "weekly")] == [team.owner.email]
    one_click = browser.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert one_click.status_code == 200 and b"will no longer get the weekly report" in one_click.content
    assert recipients(team.site, "weekly") == []
    assert [u.email for u in recipients(team.site, "monthly")] == [team.owner.email]  # still on


def test_a_tampered_unsubscribe_link_changes_nothing(team: Team) -> None:
    from panel.reports.recipients import recipients
    from panel.reports.unsubscribe import make_token

    token = make_token(site_id=team.site.id, user_id=team.owner.id, kind="weekly")
    response = Client().post(f"/reports/unsubscribe/{token[:-2]}xx/")
    assert response.status_code == 404
    assert [u.email for u in recipients(team.site, "weekly")] == [team.owner.email]


def test_two_jobs_racing_send_each_report_once(team: Team, mailbox: SmtpServer, worker: None) -> None:
    from panel.reports.jobs import send_due_reports
    from panel.reports.models import Delivery
    from panel.reports.recipients import set_subscription

    set_subscription(team.site, team.admin, "weekly", on=True)
    with racing(lambda: send_due_reports(MONDAY), jobs=3) as results:
        # ... and the worker, twice
        runs = [
            app.send_task("lantern.reports", kwargs={"now": (MONDAY + dt.timedelta(minutes=m)).isoformat()})
            for m in (0, 10)
        ]
    results += [run.get(timeout=30) for run in runs]
    assert sum(results) == 2
    assert sorted(m["To"] for m in mailbox.messages) == [team.admin.email, team.owner.email]
    assert Delivery.objects.filter(sent_at__isnull=False).count() == 2


def test_the_monthly_report_compares_with_the_month_before(team: Team, mailbox: SmtpServer) -> None:
    from panel.reports.jobs import send_due_reports

    first_of_december = FIRST_OF_DECEMBER
    assert send_due_reports(first_of_december) == 1
    [message] = mailbox.wait_for(1)
    assert message["Subject"] == "Monthly report for example.com: November 2026"
    assert "Unique visitors: 4 (+100% vs the period before)" in text_body(message)
    assert send_due_reports(first_of_december + dt.timedelta(hours=3)) == 0


def test_nothing_is_due_outside_the_send_window(team: Team, mailbox: SmtpServer) -> None:
    from panel.reports.jobs import send_due_reports

    assert send_due_reports(MONDAY - dt.timedelta(hours=2)) == 0  # 07:30 in Berlin
    assert send_due_reports(MONDAY + dt.timedelta(days=2)) == 0  # Wednesday
    assert mailbox.messages == []


@pytest.fixture
def fewer_bounces(transactional_db: None, events_table: None) -> Team:
    """Bounce rate 100% the week before, 50% in the week reported (one visit of two pages); visitors
    from Germany."""
    from tests.conftest import make_event, seed

    team = make_team()
    day, minute = dt.timedelta(days=1), dt.timedelta(minutes=1)
    visits = [
        (MONDAY - 9 * day, 4, "/", "FR"),
        (MONDAY - 3 * day, 1, "/", "DE"),
        (MONDAY - 3 * day + minute, 1, "/pricing", "DE"),
        (MONDAY - 2 * day, 2, "/", "DE"),
    ]
    events = [
        make_event(team.site.id, timestamp=at, visitor_id=visitor, pathname=page, country_code=country)
        for at, visitor, page, country in visits
    ]
    seed(events)
    return team


def _weekly_report(mailbox: SmtpServer) -> tuple[str, str]:
    from panel.reports.jobs import send_due_reports

    assert send_due_reports(MONDAY) == 1
    [message] = mailbox.wait_for(1)
    return html_body(message), text_body(message)


def _change(html: str, label: str) -> tuple[str, str]:
    """The colour and text of a top stat's change in the report's HTML."""
    value = r"</div>\s*<div[^>]*>[^<]*</div>\s*"
    found = re.search(label + value + r'<div style="font-size:12px;color:(#[0-9a-f]{6})[^>]*>([^<]*)<', html)
    assert found, label
    return found.group(1), found.group(2)


def test_a_fall_of_the_bounce_rate_is_coloured_as_good_news(fewer_bounces: Team, mailbox: SmtpServer) -> None:
    html, text = _weekly_report(mailbox)
    assert "Bounce rate: 50% (-50 pts vs the period before)" in text
    good, _ = _change(html, "Unique visitors")  # two visitors against one: a rise, good news
    assert _change(html, "Bounce rate") == (good, "-50 pts")


def test_countries_are_named(fewer_bounces: Team, mailbox: SmtpServer) -> None:
    html, text = _weekly_report(mailbox)
    assert '<td style="word-break:break-all">Germany</td>' in html and ">DE<" not in html
    assert "  Germany  2" in text


def test_the_report_fits_a_phone(fewer_bounces: Team, mailbox: SmtpServer) -> None:
    html, _ = _weekly_report(mailbox)
    fixed = [int(px) for px in re.findall(r'(?<![-\w])width(?:="|:\s*)(\d+)(?![\d%])', html)]
    assert all(px <= 320 for px in fixed), fixed
    assert 'style="width:100%;max-width:600px;' in html


def test_the_report_has_no_horizontal_scroll_at_375_px(fewer_bounces: Team, mailbox: SmtpServer) -> None:
    from panel.reports.jobs import send_due_reports
    from tests.browser import chromium

    weekly, _ = _weekly_report(mailbox)
    assert send_due_reports(FIRST_OF_DECEMBER) == 1  # and 30 days of November
    monthly = html_body(mailbox.wait_for(2)[1])
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 375, "height": 800})
        for html in (weekly, monthly):
            page.set_content(html)
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            assert page.is_visible("text=Germany")
