"""Invited people (issue 19, defect 4): signing up from the invitation with the invited address needs no
confirmation mail (the link was mailed there); confirming an address or accepting lands on a page the
role may open, never "add a site" for a viewer; pages show a viewer no link that answers 403; accepting
asks whether the organisation becomes the current one, and the message says which is."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from panel.accounts.models import Invitation, Membership, Organisation, Role, User
from panel.accounts.roles import SESSION_KEY
from panel.accounts.tokens import invitation_token
from panel.sites.models import Site
from tests.accounts_helpers import fresh_counters, link_in, logged_in, member_of, org_of, page  # noqa: F401
from tests.conftest import Persona
from tests.smtp import SmtpServer

pytestmark = pytest.mark.django_db
PASSPHRASE = "correct horse battery"


def invitation_path(owner: Persona, email: str, role: str = Role.VIEWER) -> str:
    invitation = Invitation.objects.create(
        organisation=org_of(owner), email=email, role=role, invited_by=owner.user
    )
    return f"/invitations/{invitation_token(invitation.pk)}/"


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_signing_up_from_the_invitation_confirms_the_address(mailbox: SmtpServer, owner: Persona) -> None:
    path = invitation_path(owner, "new@example.com")
    visitor = Client()
    form = page(visitor.get(f"/register/?next={path}&email=new@example.com"))
    assert "invited <strong>new@example.com</strong> to join owner as viewer" in form
    signed_up = visitor.post(
        f"/register/?next={path}", {"email": "New@Example.com", "password": PASSPHRASE, "next": path}
    )
    assert signed_up.status_code == 302 and signed_up["Location"] == path  # logged in, back to accept
    user = User.objects.get(email="new@example.com")
    assert user.email_verified and user.password.startswith("argon2")
    assert mailbox.messages == []  # no confirmation mail to wait for
    shown = visitor.get(path)
    assert "Your account is ready. new@example.com is confirmed" in " ".join(messages_of(shown))
    assert 'id="accept-form"' in page(shown)
    accepted = visitor.post(path, follow=True)
    assert accepted.redirect_chain == [("/example.com/", 302)]  # the dashboard of the only site there
    assert Membership.objects.role_for(user, org_of(owner)) == Role.VIEWER


@pytest.mark.parametrize(
    ("email", "why"),
    [("someone.else@example.com", "another address"), ("owner@example.com", "an address with an account")],
)
def test_any_other_sign_up_gets_the_usual_answer(
    mailbox: SmtpServer, owner: Persona, email: str, why: str
) -> None:
    path = invitation_path(owner, email if why != "another address" else "new@example.com")
    visitor = Client()
    signed_up = visitor.post(
        f"/register/?next={path}", {"email": email, "password": PASSPHRASE, "next": path}
    )
    assert signed_up.status_code == 302 and signed_up["Location"] == "/register/sent/"
    assert visitor.get("/sites/").status_code == 302  # not logged in
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == email
    assert User.objects.get(email=email).email_verified == (why != "another address")  # the owner was before


def test_a_sign_up_naming_a_used_invitation_gets_the_usual_answer(
    mailbox: SmtpServer, owner: Persona
) -> None:
    path = invitation_path(owner, "new@example.com")
    Invitation.objects.update(accepted_at="2026-01-01T00:00:00Z")
    signed_up = Client().post(
        f"/register/?next={path}", {"email": "new@example.com", "password": PASSPHRASE, "next": path}
    )
    assert signed_up["Location"] == "/register/sent/"
    assert not User.objects.get(email="new@example.com").email_verified


def test_confirming_lands_where_the_role_allows(mailbox: SmtpServer, owner: Persona) -> None:
    """The defect's path: signed up without the invitation, logged in, accepted as a viewer (switching to
    the organisation), then followed the confirmation mail: the dashboard, not a 403 on "add a site"."""
    visitor = Client()
    visitor.post("/register/", {"email": "new@example.com", "password": PASSPHRASE})
    confirm = link_in(mailbox.wait_for(1)[0])
    path = invitation_path(owner, "new@example.com")
    visitor.post("/login/", {"username": "new@example.com", "password": PASSPHRASE})
    visitor.post(path, {"switch": "on"})
    landed = visitor.get(confirm)
    assert landed.status_code == 302 and landed["Location"] == "/example.com/"
    assert visitor.get(landed["Location"]).status_code == 200
    Site.objects.create(organisation=org_of(owner), domain="blog.example.com")
    assert visitor.get(confirm)["Location"] == "/sites/"  # several sites: the list
    assert Client().get(confirm)["Location"] == "/login/?next=/sites/"  # logged out: after logging in


def test_accepting_asks_before_switching_the_current_organisation(owner: Persona, outsider: Persona) -> None:
    path = invitation_path(owner, outsider.user.email)
    browser = logged_in(outsider.user)
    asked = page(browser.get(path))
    assert re.search(r'<input type="checkbox" name="switch" id="id_switch">', asked)  # unticked for a viewer
    assert "Make owner my current organisation (where sites I add go; now outsider)" in asked
    accepted = browser.post(path, follow=True)
    assert messages_of(accepted) == [
        "You joined owner as viewer. Your current organisation is still outsider: sites you add go there. "
        "Switch on the Organisations page."
    ]
    assert browser.session.get(SESSION_KEY) != org_of(owner).pk
    assert browser.get("/sites/new/").status_code == 200  # still theirs to add to


def test_ticking_switch_says_so(owner: Persona, outsider: Persona) -> None:
    path = invitation_path(owner, outsider.user.email, Role.ADMIN)
    browser = logged_in(outsider.user)
    assert '<input type="checkbox" name="switch" id="id_switch" checked>' in page(browser.get(path))
    accepted = browser.post(path, {"switch": "on"}, follow=True)
    assert messages_of(accepted) == [
        "You joined owner as admin. owner is now your current organisation: sites you add go there. "
        "Switch back on the Organisations page."
    ]
    assert browser.session[SESSION_KEY] == org_of(owner).pk


def _links(html: str) -> list[str]:
    return re.findall(r'<a [^>]*href="(/[^"]*)"', html)


@pytest.mark.parametrize(
    "path", ["/sites/", "/example.com/", "/example.com/snippet/", "/example.com/notifications/"]
)
def test_a_viewer_sees_no_link_that_answers_403(owner: Persona, path: str) -> None:
    viewer = member_of(org_of(owner), "viewer@example.com", Role.VIEWER)
    browser = logged_in(viewer)
    browser.post(f"/orgs/{org_of(owner).pk}/switch/")  # where an invitation used to put them
    shown = page(browser.get(path))
    links = _links(shown)
    assert links
    for link in links:
        if link.startswith(("/static/", "/logout/")):
            continue
        assert browser.get(link).status_code in (200, 302), link
    assert "/sites/new/" not in links and not any("/settings/" in link for link in links)
    if path == "/sites/":
        assert "where you are a viewer" in shown and "+ Add a site" not in shown


def test_owners_keep_every_link(owner: Persona) -> None:
    shown = page(logged_in(owner.user).get("/sites/"))
    assert 'id="add-site" href="/sites/new/"' in shown and 'href="/example.com/settings/"' in shown
    assert "where you are a viewer" not in shown
    assert 'href="/example.com/settings/snippet/"' in page(logged_in(owner.user).get("/example.com/snippet/"))


def test_names_in_the_invitation_pages_are_escaped(owner: Persona) -> None:
    Organisation.objects.filter(pk=org_of(owner).pk).update(name="<script>x</script>")
    path = invitation_path(owner, "new@example.com")
    form = page(Client().get(f"/register/?next={path}"))
    assert "&lt;script&gt;x&lt;/script&gt;" in form and "<script>x" not in form
