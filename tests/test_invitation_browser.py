"""An invited viewer's first visit in Chromium, at 1280 and 375 px (issue 19, defect 4): the mailed link,
sign-up with the invited address (no confirmation mail), the accept form asking about the current
organisation, then the dashboard of the organisation's site with a message naming both organisations,
and no link there or on the site list that a viewer would get 403 from (screenshots: invitee-*.png)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from panel.accounts.models import Organisation
from tests.accounts_helpers import fresh_counters, link_in, logged_in, org_of  # noqa: F401  # autouse fixture
from tests.conftest import Persona
from tests.smtp import SmtpServer
from tests.test_pages_browser import DESKTOP, PHONE, Session, Tab, World, browsing, make_world

pytestmark = pytest.mark.browser
PASSPHRASE = "correct horse battery"
SIZES = {"desktop": DESKTOP, "phone": PHONE}
RUNS = [(size, switch) for size in SIZES for switch in ("stay", "switch")]  # each: a new invitee


@pytest.fixture
def world(site: Persona, events_table: None) -> World:
    world = make_world(site)
    Organisation.objects.filter(pk=world.org_id).update(name="Acme Analytics")
    return world


@pytest.fixture
def invitations(world: World, mailbox: SmtpServer) -> dict[str, str]:
    """A viewer's invitation link per run, as mailed to ``<size>-<switch>@invited.example``."""
    owner = logged_in(world.owner.user)
    for size, switch in RUNS:
        email = f"{size}-{switch}@invited.example"
        response = owner.post(f"/orgs/{world.org_id}/invite/", {"email": email, "role": "viewer"})
        assert response.status_code == 302
    mails = mailbox.wait_for(len(RUNS))
    return {str(mail["To"]).split("@")[0]: link_in(mail) for mail in mails}


@pytest.fixture
def chrome(world: World, invitations: dict[str, str]) -> Iterator[Session]:
    with browsing() as session:
        yield session


def _submit(tab: Tab, selector: str) -> None:
    with tab.page.expect_navigation():
        tab.page.click(selector)


def test_an_invited_viewer_signs_up_and_lands_on_the_dashboard(
    invitations: dict[str, str], mailbox: SmtpServer, chrome: Session
) -> None:
    """Each size twice: staying in their own organisation (the default asked), then switching."""
    for size, switch in RUNS:
        viewport, run = SIZES[size], f"{size}-{switch}"
        email = f"{run}@invited.example"
        tab = chrome.tab(viewport=viewport)
        tab.go(invitations[run])
        assert tab.page.inner_text("h1") == "Join Acme Analytics"
        tab.shot(f"invitee-invitation-{size}")
        _submit(tab, "main a >> text=sign up")
        assert "invited " + email + " to join Acme Analytics as viewer" in tab.page.inner_text("#invited")
        assert tab.page.input_value("#id_email") == email
        tab.page.fill("#id_password", PASSPHRASE)
        tab.shot(f"invitee-signup-{size}")
        _submit(tab, "main form button[type=submit]")
        assert tab.page.url.endswith(invitations[run])  # logged in, back at the invitation
        assert f"Your account is ready. {email} is confirmed" in tab.page.inner_text(".message")
        ask = tab.page.locator("#id_switch")
        assert ask.is_visible() and not ask.is_checked()  # asked; a viewer's default is to stay
        if switch == "switch":
            ask.check()
        assert tab.width() <= viewport["width"]
        tab.shot(f"invitee-accept-{run}")
        _submit(tab, "#accept-form button[type=submit]")
        tab.page.wait_for_selector("#dashboard[data-ready=true]")
        assert tab.page.url.endswith("/example.com/")
        assert tab.page.inner_text(".message") == "You joined Acme Analytics as viewer. " + (
            "Acme Analytics is now your current organisation: sites you add go there. Switch back on the "
            "Organisations page."
            if switch == "switch"
            else f"Your current organisation is still {run}: sites you add go there. Switch on the "
            "Organisations page."
        )
        assert tab.page.locator("#settings-link").count() == 0
        assert tab.width() <= viewport["width"]
        tab.shot(f"invitee-dashboard-{run}")
        tab.go("/sites/")
        assert tab.page.locator("main a", has_text="settings").count() == 0  # a viewer of example.com
        adds = tab.page.locator("#add-site")
        if switch == "switch":  # where a viewer cannot add: no button, a note saying why
            assert adds.count() == 0 and "where you are a viewer" in tab.page.inner_text("#add-site-note")
        else:
            assert adds.count() == 1  # their own organisation is still current
        assert tab.width() <= viewport["width"]
        tab.shot(f"invitee-sites-{run}")
    assert [mail["To"] for mail in mailbox.messages] == [
        f"{size}-{switch}@invited.example" for size, switch in RUNS
    ]
