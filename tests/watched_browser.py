"""Chromium and the test server for page tests, each tab watched (``tests.test_pages_browser.Session``):
after the block, no tab asked another host for anything and no console shows an error (a CSP refusal is
one) but the one a 4xx answer logs.

    with watched_session() as session:
        tab = session.tab(cookie, DESKTOP)  # signed in with that session cookie, or "" for signed out
        tab.go("/account/")

Start it after the database work: Playwright's event loop forbids Django's ORM in this thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.test import Client

from tests.browser import chromium
from tests.dashboard_server import dashboard_server
from tests.test_pages_browser import ARTIFACTS, Session


def session_cookie(user: object) -> str:
    """A signed-in session for ``user``, for ``Session.tab``."""
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client.cookies["sessionid"].value


@contextmanager
def watched_session() -> Iterator[Session]:
    ARTIFACTS.mkdir(exist_ok=True)
    with dashboard_server() as base, chromium() as browser:
        session = Session(browser, base)
        try:
            yield session
        finally:
            for context in session.contexts:
                context.close()
    for tab in session.tabs:
        assert tab.foreign == [], tab.foreign
        # a form sent back with its errors answers 400, which the console reports; nothing else
        assert [e for e in tab.errors if not e.startswith("Failed to load resource")] == [], tab.errors
