"""Onboarding in headless Chromium: after adding a site, the snippet page has a copy button and waits
for the first pageview, which turns into a link to the dashboard when it arrives; an empty dashboard
leads with the same; the new-site form starts on the browser's timezone; a sign-up without a mail
server says where the mail went."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import Persona, make_event, seed
from tests.test_pages_browser import DESKTOP, PHONE, _cookie, browsing

pytestmark = pytest.mark.browser


def test_the_snippet_page_waits_for_the_first_pageview(site: Persona, events_table: None) -> None:
    cookie = _cookie(site.user)
    with browsing() as session:
        tab = session.tab(cookie, PHONE)
        tab.go("/example.com/snippet/")
        page = tab.page
        assert "Waiting for the first pageview" in page.inner_text(".waiting")
        assert page.locator(".waiting-link").is_hidden()
        assert 'data-domain="example.com"' in page.inner_text("#snippet")
        page.click("[data-copy=snippet]")
        page.wait_for_function("document.querySelector('[data-copy=snippet]').textContent !== 'Copy'")
        assert page.inner_text("[data-copy=snippet]") in {"Copied", "Selected: press Ctrl+C"}
        tab.shot("onboarding-waiting-375")
        assert tab.width() <= PHONE["width"]

        dashboard = session.tab(cookie, DESKTOP)
        dashboard.go("/example.com/")
        assert dashboard.page.locator("#onboarding .waiting").is_visible()
        dashboard.shot("onboarding-dashboard-1280")

        seed([make_event(site.site.id, visitor_id=1)])  # the first pageview (ClickHouse, not the ORM)
        page.wait_for_selector(".waiting.received", timeout=15_000)
        assert page.inner_text(".waiting-text") == "Your first pageview has arrived."
        tab.shot("onboarding-received-375")
        page.click(".waiting-link")
        page.wait_for_selector("#dashboard[data-ready=true]")
        assert page.locator("#onboarding").count() == 0  # the dashboard itself, without the snippet


def test_the_new_site_form_starts_on_the_browsers_timezone(site: Persona) -> None:
    cookie = _cookie(site.user)
    with browsing() as session:
        context = session.browser.new_context(timezone_id="America/Sao_Paulo")
        session.contexts.append(context)
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": session.base}])
        page = context.new_page()
        page.goto(session.base + "/sites/new/")
        assert page.input_value("select[name=timezone]") == "America/Sao_Paulo"


def test_first_event_json_answers_members_only(site: Persona, events_table: None) -> None:
    member, stranger = Client(), Client()
    member.force_login(site.user)
    assert member.get("/example.com/snippet/first-event.json").json() == {"received": False}
    seed([make_event(site.site.id, visitor_id=1)])
    assert member.get("/example.com/snippet/first-event.json").json() == {"received": True}
    assert stranger.get("/example.com/snippet/first-event.json").status_code == 302  # to log in


def test_a_sign_up_without_a_mail_server_says_where_the_mail_went(db: None, settings: Any) -> None:
    settings.EMAIL_BACKEND = "panel.accounts.mail_files.PrivateFileBackend"
    browser = Client()
    browser.post("/register/", {"email": "new@example.com", "password": "correct horse battery"})
    shown = browser.get("/register/sent/").content.decode()
    assert "no mail server set" in shown and settings.EMAIL_FILE_PATH in shown
