"""The notifications page: members choose their reports; owners and admins set traffic alerts (the
webhook URL checked), viewers do not see them; another organisation gets 404."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tests.reports_fixtures import Team, make_team

PAGE = "/example.com/notifications/"


@pytest.fixture
def team(db: None) -> Team:
    return make_team()


def _as(user: Any) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_a_member_turns_reports_on_and_off(team: Team) -> None:
    from panel.reports.recipients import recipients

    viewer = _as(team.viewer)
    page = viewer.get(PAGE)
    assert page.status_code == 200 and b"Traffic alerts" not in page.content
    assert viewer.post(PAGE, {"form": "subscription", "weekly": "on"}).status_code == 302
    assert team.viewer in recipients(team.site, "weekly")
    assert team.viewer not in recipients(team.site, "monthly")
    owner = _as(team.owner)
    owner.post(PAGE, {"form": "subscription", "monthly": "on"})
    assert team.owner not in recipients(team.site, "weekly")
    assert team.owner in recipients(team.site, "monthly")


def test_an_admin_sets_alert_thresholds(team: Team) -> None:
    from panel.reports.models import AlertSettings

    admin = _as(team.admin)
    saved = admin.post(
        PAGE,
        {"form": "alerts", "spike_visitors": "500", "drop_percent": "20", "webhook_url": "https://1.1.1.1/h"},
    )
    assert saved.status_code == 302
    settings = AlertSettings.objects.get(site=team.site)
    assert (settings.spike_visitors, settings.drop_percent) == (500, 20)
    assert len(settings.webhook_secret) == 64
    assert settings.webhook_secret.encode() in admin.get(PAGE).content


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"webhook_url": "http://1.1.1.1/h"}, "webhook_url", "must start with https://"),
        ({"webhook_url": "https://127.0.0.1/h"}, "webhook_url", "public address"),
        ({"drop_percent": "150"}, "drop_percent", "from 1 to 100"),
        ({"spike_visitors": "0"}, "spike_visitors", "from 1 to 10 million"),
        ({"spike_visitors": "many"}, "spike_visitors", "whole number"),
    ],
)
def test_bad_alert_settings_answer_400_naming_the_field(
    team: Team, fields: dict[str, str], field: str, message: str
) -> None:
    response = _as(team.owner).post(PAGE, {"form": "alerts", **fields})
    assert response.status_code == 400
    assert f'data-field="{field}"'.encode() in response.content and message.encode() in response.content


SPIKE = "enter a number of visitors from 1 to 10 million, or leave empty for no spike alerts"
DROP = "enter a percentage from 1 to 100, or leave empty for no drop alerts"


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"spike_visitors": "-5", "drop_percent": "-5"}, [SPIKE, DROP]),
        ({"spike_visitors": "9223372036854775808"}, [SPIKE]),
        ({"spike_visitors": "10000001", "drop_percent": "101"}, [SPIKE, DROP]),
    ],
)
def test_alert_thresholds_out_of_range_say_the_range_in_words(
    team: Team, fields: dict[str, str], errors: list[str]
) -> None:
    response = _as(team.owner).post(PAGE, {"form": "alerts", **fields})
    assert response.status_code == 400
    assert re.findall(r'<p class="error"[^>]*>(.*?)</p>', response.content.decode()) == errors


def test_the_spike_threshold_stops_at_ten_million(team: Team) -> None:
    from panel.reports.models import AlertSettings

    owner = _as(team.owner)
    assert owner.post(PAGE, {"form": "alerts", "spike_visitors": "10000001"}).status_code == 400
    assert not AlertSettings.objects.filter(site=team.site).exists()
    assert owner.post(PAGE, {"form": "alerts", "spike_visitors": "10000000"}).status_code == 302
    assert AlertSettings.objects.get(site=team.site).spike_visitors == 10_000_000


def test_a_viewer_cannot_set_alerts_and_outsiders_get_404(team: Team) -> None:
    from panel.accounts.models import User
    from panel.reports.models import AlertSettings

    assert _as(team.viewer).post(PAGE, {"form": "alerts", "spike_visitors": "5"}).status_code == 400
    assert not AlertSettings.objects.exists()
    stranger = User.objects.create_with_organisation("stranger@else.org", "a long enough passphrase")
    assert _as(stranger).get(PAGE).status_code == 404
    assert Client().get(PAGE).status_code == 302  # to the login page


def test_it_is_a_tab_of_the_settings_for_owners_and_admins(team: Team) -> None:
    for path in ("/example.com/settings/", "/example.com/settings/danger/", PAGE):
        shown = _as(team.admin).get(path).content.decode()
        assert f'<a href="{PAGE}"' in shown, path
    current = re.findall(
        r'<a href="([^"]+)" class="active" aria-current="page">', _as(team.owner).get(PAGE).content.decode()
    )
    assert current == [PAGE]


def test_a_viewer_gets_no_settings_tabs(team: Team) -> None:
    shown = _as(team.viewer).get(PAGE).content.decode()
    assert "settings-tabs" not in shown and "/example.com/settings/" not in shown
    assert "Email reports to you" in shown


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"weekly": "on"}, "Saved: you get the weekly report of example.com at viewer@example.com."),
        (
            {"weekly": "on", "monthly": "on"},
            "Saved: you get the weekly and the monthly reports of example.com at viewer@example.com.",
        ),
        ({}, "Saved: you get no email reports of example.com."),
    ],
)
def test_saving_reports_says_which(team: Team, fields: dict[str, str], message: str) -> None:
    response = _as(team.viewer).post(PAGE, {"form": "subscription", **fields}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [message]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"spike_visitors": "1234567"},
            "Saved: a spike alert above 1,234,567 visitors in an hour; drop alerts are off.",
        ),
        (
            {"drop_percent": "30", "webhook_url": "https://1.1.1.1/h"},
            "Saved: a drop alert below 30% of the usual hour; spike alerts are off. "
            "Alerts are also POSTed to the webhook.",
        ),
        ({"webhook_url": "https://1.1.1.1/h"}, "Saved: traffic alerts are off."),
    ],
)
def test_saving_alerts_says_which(team: Team, fields: dict[str, str], message: str) -> None:
    response = _as(team.owner).post(PAGE, {"form": "alerts", **fields}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [message]


def test_the_account_page_links_each_sites_notifications(team: Team) -> None:
    from panel.accounts.models import User
    from panel.sites.models import Site

    Site.objects.create(organisation=team.site.organisation, domain="blog.example.com")
    User.objects.create_with_organisation("stranger@else.org")
    Site.objects.create(
        organisation=User.objects.get(email="stranger@else.org").primary_organisation(), domain="else.org"
    )
    shown = _as(team.viewer).get("/account/").content.decode()
    links = re.findall(r'<a class="small" href="(/[^"]+/notifications/)">notifications</a>', shown)
    assert links == ["/blog.example.com/notifications/", PAGE]
    for link in links:
        assert _as(team.viewer).get(link).status_code == 200
