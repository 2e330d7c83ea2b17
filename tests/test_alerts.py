"""Traffic alerts: a spike or drop against the site's thresholds mails its managers and posts a signed
webhook, at most once per 12 hours per kind (even when jobs race); webhook URLs must be public https."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import logging
import re
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from panel.reports.alerts import Alert, Thresholds, decide
from panel.reports.webhooks import SIGNATURE_HEADER, Target, check_url, public, send, signature
from tests.reports_fixtures import Team, make_team, racing, seed_visits
from tests.services import free_port
from tests.smtp import SmtpServer, text_body

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("thresholds", "counts", "kinds"),
    [
        (Thresholds(100, None), [101, 5, 5], ["spike"]),
        (Thresholds(100, None), [100, 5, 5], []),  # "exceeds": equal is not a spike
        (Thresholds(None, 50), [4, 10, 10], ["drop"]),
        (Thresholds(None, 50), [5, 10, 10], []),
        (Thresholds(None, 50), [0, 0, 0], []),  # no usual traffic, nothing to drop from
        (Thresholds(None, None), [1000, 0, 0], []),
        (Thresholds(3, 90), [4, 10, 10], ["spike", "drop"]),
    ],
)
def test_decide(thresholds: Thresholds, counts: list[int], kinds: list[str]) -> None:
    assert [alert.kind for alert in decide(thresholds, counts)] == kinds


def test_decide_reports_the_usual_hour() -> None:
    assert decide(Thresholds(1, None), [5, 2, 4]) == [Alert("spike", 5, 3.0)]


def _hook(received: list[tuple[dict[str, str], bytes]]) -> type[http.server.BaseHTTPRequestHandler]:
    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(({**self.headers, "path": self.path}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    return Hook


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _hook(received))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    server.server_close()


@pytest.fixture
def spiking(transactional_db: None, events_table: None, settings: Any) -> Team:
    from panel.reports.models import AlertSettings

    settings.ALERT_WEBHOOKS_ALLOW_LOCAL = True
    team = make_team(tz="UTC")
    AlertSettings.objects.create(site=team.site, spike_visitors=2)
    last_hour = [(NOW - dt.timedelta(minutes=m), v, "/", "") for m, v in ((5, 1), (20, 2), (50, 3))]
    seed_visits(team.site.id, [*last_hour, (NOW - dt.timedelta(hours=30), 9, "/", "")])
    return team


def test_a_spike_mails_the_managers_and_posts_a_signed_webhook(
    spiking: Team, mailbox: SmtpServer, webhook: tuple[str, list[tuple[dict[str, str], bytes]]]
) -> None:
    from panel.reports.alerts import check_traffic
    from panel.reports.models import AlertSettings

    url, received = webhook
    AlertSettings.objects.filter(site=spiking.site).update(webhook_url=url)
    assert check_traffic(NOW) == 1
    messages = mailbox.wait_for(2)
    assert sorted(m["To"] for m in messages) == [spiking.admin.email, spiking.owner.email]
    assert messages[0]["Subject"] == "Traffic spike on example.com: 3 visitors in the last hour"
    assert "an hour in the week before had 0.0 on average" in text_body(messages[0])
    mailed = text_body(messages[0]).replace("\r\n", "\n")
    assert "Change or turn off its alerts on its Notifications page, a tab of its settings:\n" in mailed
    [settings_link] = re.findall(r"http://127\.0\.0\.1:8000(/\S+/notifications/)", mailed)
    manager = Client()
    manager.force_login(spiking.admin)
    page = manager.get(settings_link)
    assert page.status_code == 200 and b'id="alerts-form"' in page.content  # what the mail says is there
    assert b'class="settings-tabs"' in page.content
    [(headers, body)] = received
    secret = AlertSettings.objects.get(site=spiking.site).webhook_secret
    assert headers[SIGNATURE_HEADER] == signature(body, secret)
    payload = json.loads(body)
    assert payload["event"] == "traffic.spike" and payload["visitors_last_hour"] == 3
    assert payload["site"] == "example.com"


def test_at_most_one_alert_of_a_kind_per_12_hours_even_when_jobs_race(
    spiking: Team, mailbox: SmtpServer
) -> None:
    from panel.reports.alerts import check_traffic

    with racing(lambda: check_traffic(NOW), jobs=4) as results:
        pass
    assert sorted(results) == [0, 0, 0, 1]
    assert check_traffic(NOW + dt.timedelta(hours=11)) == 0
    assert check_traffic(NOW + dt.timedelta(minutes=30)) == 0
    assert len(mailbox.wait_for(2)) == 2
    # twelve hours on, the same last-hour traffic alerts again
    seed_visits(
        spiking.site.id, [(NOW + dt.timedelta(hours=12, minutes=-m), 20 + m, "/", "") for m in range(3)]
    )
    assert check_traffic(NOW + dt.timedelta(hours=12)) == 1


def test_a_failing_webhook_is_logged_and_the_mail_still_goes(
    spiking: Team, mailbox: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    from panel.reports.alerts import check_traffic
    from panel.reports.models import AlertSettings

    AlertSettings.objects.filter(site=spiking.site).update(webhook_url=f"http://127.0.0.1:{free_port()}/")
    assert check_traffic(NOW) == 1
    assert len(mailbox.wait_for(2)) == 2
    assert "alert webhook 127.0.0.1 failed" in caplog.text


def test_a_malformed_webhook_url_of_one_site_does_not_stop_the_others(
    spiking: Team, mailbox: SmtpServer, webhook: tuple[str, list[tuple[dict[str, str], bytes]]], caplog: Any
) -> None:
    from panel.reports.alerts import check_traffic
    from panel.reports.models import AlertSettings

    url, received = webhook
    # saved before the form checked it: urllib read its port as "18999\@127.0.0.2" and raised InvalidURL
    AlertSettings.objects.filter(site=spiking.site).update(webhook_url="https://127.0.0.1:18999\\@127.0.0.2/")
    later = make_team(domain="later.example", tz="UTC")  # checked after the first site
    AlertSettings.objects.create(site=later.site, spike_visitors=2, webhook_url=url)
    seed_visits(later.site.id, [(NOW - dt.timedelta(minutes=m), 100 + m, "/", "") for m in (5, 20, 50)])
    assert check_traffic(NOW) == 2
    assert len(mailbox.wait_for(4)) == 4
    assert [json.loads(body)["site"] for _headers, body in received] == ["later.example"]
    assert "alert webhook" in caplog.text and "failed" in caplog.text


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:18999\\@8.8.8.8/",
        "https://93.184.215.14\\@8.8.8.8/",
        "https://user:pass@93.184.215.14/",
        "https://93.184.215.14:99999/",
        "https://93.184.215.14:x/",
        "https://93.184.215.14/a b",
        "https://93.184.215.14/\x00",
    ],
)
def test_the_form_refuses_a_webhook_url_the_sender_could_not_use(db: None, settings: Any, url: str) -> None:
    from panel.reports.forms import AlertForm

    settings.ALERT_WEBHOOKS_ALLOW_LOCAL = False
    form = AlertForm({"spike_visitors": "10", "webhook_url": url})
    assert not form.is_valid() and list(form.errors) == ["webhook_url"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.com/hook", "must start with https://"),
        ("https://127.0.0.1/hook", "public address"),
        ("https://10.1.2.3/hook", "public address"),
        ("https://[::1]/hook", "public address"),
        ("https://169.254.169.254/latest", "public address"),
        ("https://localhost/hook", "public address"),
        ("ftp://example.com/", "must start with https://"),
        ("https:///nohost", "needs a host"),
    ],
)
def test_webhook_urls_must_be_public_https(url: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        check_url(url, allow_local=False)


def test_a_public_https_webhook_url_is_accepted() -> None:
    check_url("https://93.184.215.14/hook", allow_local=False)


@pytest.mark.parametrize(
    "host",
    [
        "[::127.0.0.1]",  # IPv4-compatible
        "[::ffff:10.0.0.1]",  # IPv4-mapped
        "[::ffff:127.0.0.1]",
        "[64:ff9b::7f00:1]",  # NAT64 to 127.0.0.1
        "[64:ff9b::a9fe:a9fe]",  # NAT64 to 169.254.169.254
        "[64:ff9b::a00:1]",  # NAT64 to 10.0.0.1
        "[64:ff9b:1::5db8:d70e]",  # local-use NAT64
        "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
        "[2002:a9fe:a9fe::1]",  # 6to4 of 169.254.169.254
        "[2001:0:7f00:1::80ff:fffe]",  # Teredo, server 127.0.0.1
        "[fe80::1]",
        "[fc00::1]",
    ],
)
def test_ipv6_forms_of_private_addresses_are_refused(host: str) -> None:
    with pytest.raises(ValidationError, match="public address"):
        check_url(f"https://{host}/hook", allow_local=False)


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("64:ff9b::5db8:d70e", True),
        ("2002:5db8:d70e::1", True),
        ("2606:4700::1111", True),
        ("::ffff:0:0", False),
    ],
)
def test_an_ipv6_address_leading_to_a_public_ipv4_one_is_public(address: str, allowed: bool) -> None:
    assert public(address) is allowed


def test_a_webhook_connects_to_the_checked_address_with_the_urls_host(
    webhook: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    url, received = webhook
    port = int(url.split(":")[2].split("/")[0])
    target = Target("http", "hooks.test", port, "/hook?from=lantern", "127.0.0.1")  # no name lookup at all
    assert send(target, "s3cret", {"event": "traffic.spike"}) == 204
    [(headers, body)] = received
    assert headers["Host"] == f"hooks.test:{port}" and headers["path"] == "/hook?from=lantern"
    assert headers[SIGNATURE_HEADER] == signature(body, "s3cret")


def test_the_name_is_resolved_once_and_the_checked_address_is_the_one_connected_to(
    monkeypatch: pytest.MonkeyPatch, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """DNS rebinding: the name answers a public address, then a private one. The network is faked at
    its edge (the resolver and the connect call) so nothing leaves this machine."""
    from panel.reports.webhooks import post

    settings.ALERT_WEBHOOKS_ALLOW_LOCAL = False
    real_getaddrinfo = socket.getaddrinfo
    lookups: list[str] = []
    connects: list[tuple[str, int]] = []

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "hooks.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(host)
        answer = "93.184.215.14" if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (answer, int(port)))]

    def refuse(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        connects.append((str(address[0]), int(address[1])))
        raise ConnectionRefusedError("faked: nothing leaves this machine")

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr(socket, "create_connection", refuse)
    caplog.set_level(logging.WARNING, logger="panel.reports.webhooks")  # whatever an earlier test left
    assert post("https://hooks.test/hook", "s3cret", {"event": "traffic.spike"}) is False
    assert lookups == ["hooks.test"] and connects == [("93.184.215.14", 443)]
    assert "alert webhook hooks.test failed" in caplog.text
