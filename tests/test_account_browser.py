"""The account pages in headless Chromium at 1280 and 375 px (light and dark): the account page with
every form, a new password, a new address confirmed from the mailed link, new recovery codes, renaming
an organisation, and deleting the account (and the page that says it cannot yet). No horizontal scroll,
nothing from another host, no console error. Screenshots: account-*.png."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from panel.accounts.models import Membership, Organisation, Role
from panel.sites.models import Site
from tests.accounts_helpers import PASSWORD, fresh_counters, link_in, member_of  # noqa: F401  # autouse
from tests.conftest import Persona
from tests.smtp import SmtpServer
from tests.test_accounts_2fa import enrol
from tests.test_pages_browser import ARTIFACTS, DESKTOP, PHONE, Session, Tab
from tests.watched_browser import session_cookie, watched_session

pytestmark = pytest.mark.browser
NEW_PASSWORD = "a different long passphrase"
SIZES = [(DESKTOP, "1280"), (PHONE, "375")]


@dataclasses.dataclass
class People:
    owner: Persona  # owner@example.com: two-factor on, owns "owner" alone, a viewer of a partner's
    owner_cookie: str
    lead_cookie: str  # owns an organisation with a teammate: cannot delete yet
    org_id: int


@pytest.fixture
def people(site: Persona, mailbox: SmtpServer) -> People:
    enrol(site.user)
    partner = member_of(Organisation.objects.create(name="x"), "partner@example.com", Role.VIEWER)
    agency = Organisation.objects.create(name="Partner Agency with a Rather Long Name Ltd")
    Membership.objects.create(user=partner, organisation=agency, role=Role.OWNER)
    Membership.objects.create(user=site.user, organisation=agency, role=Role.VIEWER)
    Site.objects.create(organisation=agency, domain="partner-agency.example")
    lead = member_of(Organisation.objects.create(name="y"), "lead@example.com", Role.VIEWER)
    team = Organisation.objects.create(name="Team with members")
    Membership.objects.create(user=lead, organisation=team, role=Role.OWNER)
    member_of(team, "teammate@example.com", Role.ADMIN)
    org = site.user.primary_organisation()
    return People(site, session_cookie(site.user), session_cookie(lead), org.pk)


@pytest.fixture
def chrome(people: People) -> Iterator[Session]:
    with watched_session() as session:
        yield session


def fits(tab: Tab, viewport: dict[str, int]) -> None:
    assert tab.width() <= viewport["width"], tab.width()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_account_page_has_every_form_at_both_widths(people: People, chrome: Session, theme: str) -> None:
    for viewport, size in SIZES:
        tab = chrome.tab(people.owner_cookie, viewport)
        tab.page.emulate_media(color_scheme=theme)  # type: ignore[arg-type]
        assert tab.go("/account/") == 200
        for form in ("#email-form", "#password-form", "#codes-form", "#disable-form", "#delete-link"):
            assert tab.page.locator(form).is_visible(), form
        assert tab.page.inner_text("#account-email") == "owner@example.com"
        fits(tab, viewport)
        tab.shot(f"account-{size}-{theme}")


def test_a_new_password_and_a_wrong_current_one(people: People, chrome: Session) -> None:
    for viewport, size in SIZES:
        tab = chrome.tab(people.owner_cookie, viewport)
        tab.go("/account/")
        tab.page.fill("#id_old_password", "not my password")
        tab.page.fill("#id_new_password1", NEW_PASSWORD)
        tab.page.fill("#id_new_password2", NEW_PASSWORD)
        tab.page.click("#password-form button[type=submit]")
        error = tab.page.locator('#password-form .error[data-field="old_password"]')
        assert error.inner_text() == "that is not your current password"
        fits(tab, viewport)
        tab.page.locator("#password-form").screenshot(
            path=str(ARTIFACTS / f"account-password-error-{size}.png")
        )
    tab.page.fill("#id_old_password", PASSWORD)
    tab.page.fill("#id_new_password1", NEW_PASSWORD)
    tab.page.fill("#id_new_password2", NEW_PASSWORD)
    tab.page.click("#password-form button[type=submit]")
    tab.page.wait_for_url("**/account/")
    assert "Your password is changed" in tab.page.inner_text(".message")
    tab.page.click("header form.inline button")  # log out, and in with the new password
    tab.page.wait_for_url("**/login/")
    tab.page.fill("#id_username", "owner@example.com")
    tab.page.fill("#id_password", NEW_PASSWORD)
    tab.page.click("main button[type=submit]")
    tab.page.wait_for_url("**/login/code/")  # two-factor is on: the password was right


def test_a_new_address_confirmed_from_the_mail(people: People, chrome: Session, mailbox: SmtpServer) -> None:
    tab = chrome.tab(people.owner_cookie, PHONE)
    tab.go("/account/")
    tab.page.fill("#id_email-email", "owner.renamed@example.org")
    tab.page.fill("#id_email-password", PASSWORD)
    tab.page.click("#email-form button[type=submit]")
    tab.page.wait_for_url("**/account/")
    assert "We sent a link to owner.renamed@example.org" in tab.page.inner_text(".message")
    assert tab.page.inner_text("#account-email") == "owner@example.com"  # not yet
    path = link_in(mailbox.wait_for(1)[0])
    for viewport, size in SIZES:
        other = chrome.tab(people.owner_cookie, viewport)
        other.go(path)
        assert "Use owner.renamed@example.org for your Lantern account?" in other.page.inner_text("h2")
        fits(other, viewport)
        other.shot(f"account-email-confirm-{size}")
    tab.go(path)
    tab.page.click("#confirm-change")
    tab.page.wait_for_url("**/account/")
    assert tab.page.inner_text("#account-email") == "owner.renamed@example.org"
    assert mailbox.wait_for(2)[1]["To"] == "owner@example.com"


def test_new_recovery_codes(people: People, chrome: Session) -> None:
    for viewport, size in SIZES:
        tab = chrome.tab(people.owner_cookie, viewport)
        tab.go("/account/")
        tab.page.fill("#id_codes-secret", PASSWORD)
        tab.page.click("#codes-form button[type=submit]")
        tab.page.wait_for_selector("#recovery-codes")
        assert tab.page.inner_text("h1") == "New recovery codes"
        assert len(tab.page.locator("#recovery-codes li").all_inner_texts()) == 10
        fits(tab, viewport)
        tab.shot(f"account-recovery-codes-{size}")


def test_renaming_the_organisation(people: People, chrome: Session) -> None:
    for viewport, size in SIZES:
        tab = chrome.tab(people.owner_cookie, viewport)
        tab.go(f"/orgs/{people.org_id}/")
        tab.page.fill("#id_rename-name", "")
        tab.page.click("#rename-form button[type=submit]")  # the browser refuses an empty required field
        assert tab.page.url.endswith(f"/orgs/{people.org_id}/")
        tab.page.fill("#id_rename-name", f"Acme Analytics {size}")
        tab.page.click("#rename-form button[type=submit]")
        tab.page.wait_for_selector(".message")
        assert tab.page.inner_text("h1") == f"Acme Analytics {size}"
        fits(tab, viewport)
        tab.shot(f"account-org-rename-{size}")


def test_deleting_the_account(people: People, chrome: Session) -> None:
    for viewport, size in SIZES:
        lead = chrome.tab(people.lead_cookie, viewport)
        lead.go("/account/delete/")
        assert "Not yet." in lead.page.inner_text("#blocked")
        assert lead.page.locator("#delete-account").count() == 0
        fits(lead, viewport)
        lead.shot(f"account-delete-blocked-{size}")
        tab = chrome.tab(people.owner_cookie, viewport)
        tab.go("/account/")
        tab.page.click("#delete-link")
        tab.page.wait_for_url("**/account/delete/")
        plan = tab.page.inner_text("#plan")
        assert "You own owner alone" in plan and "example.com" in plan
        assert "You leave Partner Agency with a Rather Long Name Ltd" in plan
        fits(tab, viewport)
        tab.shot(f"account-delete-{size}")
    tab.page.fill("#id_confirm", "owner@example.org")  # a typo: asked again, nothing deleted
    tab.page.fill("#id_password", PASSWORD)
    tab.page.click("#delete-account-button")
    assert "type owner@example.com exactly to confirm" in tab.page.inner_text('.error[data-field="confirm"]')
    tab.page.fill("#id_confirm", "owner@example.com")
    tab.page.fill("#id_password", PASSWORD)
    tab.page.click("#delete-account-button")
    tab.page.wait_for_url("**/login/")
    assert "The account owner@example.com is deleted" in tab.page.inner_text(".message")
    tab.shot("account-deleted-375")
    tab.go("/sites/")
    assert tab.page.url.endswith("/login/?next=/sites/")  # signed out
