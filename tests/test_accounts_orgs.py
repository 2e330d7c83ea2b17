"""Organisations: invitations by mail (48 hours, once, for one address), roles, removing members,
transferring ownership (one owner throughout), belonging to several and switching between them."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from panel.accounts.models import Invitation, Membership, Organisation, Role, User
from panel.apikeys.models import ApiKey
from panel.sites.models import Site
from tests.accounts_helpers import PASSWORD, fresh_counters, link_in, logged_in, member_of, org_of, page  # noqa: F401
from tests.conftest import Persona
from tests.smtp import SmtpServer

pytestmark = pytest.mark.django_db


def invite(browser: Client, org: Organisation, email: str, role: str = "viewer") -> Any:
    return browser.post(f"/orgs/{org.pk}/invite/", {"email": email, "role": role})


def test_an_invitation_is_mailed_and_accepted_after_signing_up(mailbox: SmtpServer, owner: Persona) -> None:
    """An address with an (unconfirmed) account already gets sign-up's usual answer, even from the
    invitation; logging in, then accepting, confirms the address and lands on the organisation's site.
    (A new address signing up from the invitation: test_invited_viewers.)"""
    org = org_of(owner)
    response = invite(logged_in(owner.user), org, "New@Example.com", "admin")
    assert response.status_code == 302 and response["Location"] == f"/orgs/{org.pk}/"
    [message] = mailbox.wait_for(1)
    assert message["To"] == "new@example.com" and org.name in message["Subject"]
    path = link_in(message)
    visitor = Client()
    landing = page(visitor.get(path))
    assert "Log in as new@example.com" in landing and "sign up" in landing
    User.objects.create_user("new@example.com", "correct horse battery", verified=False)  # signed up before
    signup = visitor.post(
        f"/register/?next={path}",
        {"email": "new@example.com", "password": "correct horse battery", "next": path},
    )
    assert signup.status_code == 302 and signup["Location"] == "/register/sent/"
    assert f'href="/login/?next={quote(path, safe="/")}"' in page(visitor.get("/register/sent/"))
    login = visitor.post(
        "/login/", {"username": "new@example.com", "password": "correct horse battery", "next": path}
    )
    assert login.status_code == 302 and login["Location"] == path
    accepted = visitor.post(path)  # an unverified newcomer may open the invitation: it confirms the address
    assert accepted.status_code == 302 and accepted["Location"] == "/example.com/"  # the only site there
    user = User.objects.get(email="new@example.com")
    assert Membership.objects.role_for(user, org) == "admin" and user.email_verified
    assert visitor.get(f"/orgs/{org.pk}/").status_code == 200
    used = visitor.get(path)
    assert used.status_code == 400 and "has been used already" in page(used)


def test_an_existing_user_logs_in_to_accept(mailbox: SmtpServer, owner: Persona, outsider: Persona) -> None:
    org = org_of(owner)
    invite(logged_in(owner.user), org, outsider.user.email)
    path = link_in(mailbox.wait_for(1)[0])
    browser = Client()
    login = browser.post("/login/", {"username": outsider.user.email, "password": PASSWORD, "next": path})
    assert login["Location"] == path
    assert browser.post(path).status_code == 302
    assert Membership.objects.role_for(outsider.user, org) == "viewer"
    assert Membership.objects.role_for(outsider.user, org_of(outsider)) == "owner"  # still their own


def test_the_invitation_is_for_its_address_only(
    mailbox: SmtpServer, owner: Persona, outsider: Persona
) -> None:
    org = org_of(owner)
    invite(logged_in(owner.user), org, "someone@example.com")
    path = link_in(mailbox.wait_for(1)[0])
    wrong_person = logged_in(outsider.user)
    shown = page(wrong_person.get(path))
    assert "This invitation is for someone@example.com" in shown
    assert wrong_person.post(path).status_code == 200
    assert Membership.objects.role_for(outsider.user, org) is None
    assert Invitation.objects.get().pending


def test_an_expired_invitation_fails_clearly(mailbox: SmtpServer, owner: Persona, settings: Any) -> None:
    invite(logged_in(owner.user), org_of(owner), "late@example.com")
    settings.INVITATION_MAX_AGE = -1
    response = Client().get(link_in(mailbox.wait_for(1)[0]))
    assert response.status_code == 400 and "This link has expired. Ask for a new invitation." in page(
        response
    )


def test_a_withdrawn_invitation_fails_clearly(mailbox: SmtpServer, owner: Persona) -> None:
    org = org_of(owner)
    browser = logged_in(owner.user)
    invite(browser, org, "maybe@example.com")
    invitation = Invitation.objects.get()
    assert browser.post(f"/orgs/{org.pk}/invitations/{invitation.pk}/revoke/").status_code == 302
    response = Client().get(link_in(mailbox.wait_for(1)[0]))
    assert response.status_code == 400 and "This invitation was withdrawn." in page(response)


def test_inviting_again_replaces_the_older_invitation(mailbox: SmtpServer, owner: Persona) -> None:
    browser = logged_in(owner.user)
    invite(browser, org_of(owner), "twice@example.com")
    invite(browser, org_of(owner), "twice@example.com", "admin")
    first, second = mailbox.wait_for(2)
    assert Client().get(link_in(first)).status_code == 400
    assert "as admin" in page(Client().get(link_in(second)))


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"email": "not an address", "role": "viewer"}, "email"),
        ({"email": "x@example.com", "role": "owner"}, "role"),
        ({"email": "x@example.com"}, "role"),
        ({"email": "owner@example.com", "role": "viewer"}, "email"),  # already a member
    ],
)
def test_invitation_form_errors_name_the_field(owner: Persona, form: dict[str, str], field: str) -> None:
    response = logged_in(owner.user).post(f"/orgs/{org_of(owner).pk}/invite/", form)
    assert response.status_code == 400 and f'data-field="{field}"' in page(response)
    assert not Invitation.objects.exists()


def test_viewers_read_but_do_not_manage(owner: Persona) -> None:
    org = org_of(owner)
    viewer = member_of(org, "viewer@example.com", Role.VIEWER)
    admin = member_of(org, "admin@example.com", Role.ADMIN)
    browser = logged_in(viewer)
    assert browser.get(f"/orgs/{org.pk}/").status_code == 200
    assert invite(browser, org, "x@example.com").status_code == 403
    admin_membership = Membership.objects.get(user=admin, organisation=org)
    assert (
        browser.post(f"/orgs/{org.pk}/members/{admin_membership.pk}/role/", {"role": "viewer"}).status_code
        == 403
    )
    assert browser.post(f"/orgs/{org.pk}/members/{admin_membership.pk}/remove/").status_code == 403
    assert browser.post(f"/orgs/{org.pk}/transfer/", {"member": admin_membership.pk}).status_code == 403
    assert Membership.objects.role_for(admin, org) == "admin"


def test_admins_change_roles_but_never_the_owners(owner: Persona) -> None:
    org = org_of(owner)
    admin = member_of(org, "admin@example.com", Role.ADMIN)
    viewer = member_of(org, "viewer@example.com", Role.VIEWER)
    browser = logged_in(admin)
    viewer_membership = Membership.objects.get(user=viewer, organisation=org)
    assert (
        browser.post(f"/orgs/{org.pk}/members/{viewer_membership.pk}/role/", {"role": "admin"}).status_code
        == 302
    )
    assert Membership.objects.role_for(viewer, org) == "admin"
    owner_membership = Membership.objects.get(user=owner.user, organisation=org)
    browser.post(f"/orgs/{org.pk}/members/{owner_membership.pk}/role/", {"role": "viewer"})
    assert Membership.objects.role_for(owner.user, org) == "owner"
    browser.post(f"/orgs/{org.pk}/members/{viewer_membership.pk}/role/", {"role": "owner"})
    assert Membership.objects.role_for(viewer, org) == "admin"


def test_removing_a_member_ends_their_access_and_keys(owner: Persona) -> None:
    org = org_of(owner)
    viewer = member_of(org, "viewer@example.com", Role.VIEWER)
    key, raw = ApiKey.objects.issue(viewer, organisation=org, scopes=["stats:read"])
    assert logged_in(viewer).get("/example.com/").status_code == 200
    membership = Membership.objects.get(user=viewer, organisation=org)
    assert logged_in(owner.user).post(f"/orgs/{org.pk}/members/{membership.pk}/remove/").status_code == 302
    assert logged_in(viewer).get("/example.com/").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is not None and ApiKey.objects.for_raw_key(raw) is None


def test_the_owner_cannot_be_removed_but_others_may_leave(owner: Persona) -> None:
    org = org_of(owner)
    admin = member_of(org, "admin@example.com", Role.ADMIN)
    owner_membership = Membership.objects.get(user=owner.user, organisation=org)
    logged_in(admin).post(f"/orgs/{org.pk}/members/{owner_membership.pk}/remove/")
    logged_in(owner.user).post(f"/orgs/{org.pk}/members/{owner_membership.pk}/remove/")
    assert Membership.objects.role_for(owner.user, org) == "owner"
    admin_membership = Membership.objects.get(user=admin, organisation=org)
    left = logged_in(admin).post(f"/orgs/{org.pk}/members/{admin_membership.pk}/remove/")
    assert left.status_code == 302 and left["Location"] == "/orgs/"
    assert Membership.objects.role_for(admin, org) is None


def test_the_owner_transfers_ownership_and_becomes_admin(owner: Persona) -> None:
    org = org_of(owner)
    admin = member_of(org, "admin@example.com", Role.ADMIN)
    target = Membership.objects.get(user=admin, organisation=org)
    assert logged_in(admin).post(f"/orgs/{org.pk}/transfer/", {"member": target.pk}).status_code == 403
    response = logged_in(owner.user).post(f"/orgs/{org.pk}/transfer/", {"member": target.pk})
    assert response.status_code == 302
    assert Membership.objects.role_for(admin, org) == "owner"
    assert Membership.objects.role_for(owner.user, org) == "admin"
    assert Membership.objects.filter(organisation=org, role=Role.OWNER).count() == 1
    again = logged_in(owner.user).post(f"/orgs/{org.pk}/transfer/", {"member": target.pk})
    assert again.status_code == 403  # no longer the owner


@pytest.mark.parametrize("member", ["", "abc", "999999"])
def test_a_bad_transfer_names_the_field(owner: Persona, member: str) -> None:
    org = org_of(owner)
    response = logged_in(owner.user).post(f"/orgs/{org.pk}/transfer/", {"member": member})
    assert response.status_code == 400 and 'data-field="member"' in page(response)
    assert Membership.objects.role_for(owner.user, org) == "owner"


def test_a_member_of_another_organisation_cannot_become_owner(owner: Persona, outsider: Persona) -> None:
    theirs = Membership.objects.get(user=outsider.user)
    response = logged_in(owner.user).post(f"/orgs/{org_of(owner).pk}/transfer/", {"member": theirs.pk})
    assert response.status_code == 400
    assert Membership.objects.role_for(outsider.user, org_of(outsider)) == "owner"


def test_the_database_keeps_one_owner(owner: Persona) -> None:
    org = org_of(owner)
    other = User.objects.create_user("second@example.com", PASSWORD)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=other, organisation=org, role=Role.OWNER)


def test_a_user_belongs_to_several_organisations_and_switches(owner: Persona, outsider: Persona) -> None:
    Membership.objects.create(user=outsider.user, organisation=org_of(owner), role=Role.VIEWER)
    browser = logged_in(outsider.user)
    listing = page(browser.get("/orgs/"))
    assert org_of(owner).name in listing and org_of(outsider).name in listing
    assert "example.com" in page(browser.get("/sites/")) and "elsewhere.org" in page(browser.get("/sites/"))
    switched = browser.post(f"/orgs/{org_of(owner).pk}/switch/")
    assert switched.status_code == 302
    assert browser.session["organisation"] == org_of(owner).pk
    created = browser.post("/orgs/", {"name": "Side project"})
    new = Organisation.objects.get(name="Side project")
    assert (
        created["Location"] == f"/orgs/{new.pk}/"
        and Membership.objects.role_for(outsider.user, new) == "owner"
    )


@pytest.mark.parametrize("name", ["", "   ", "two\nlines", "x" * 201])
def test_organisation_names_are_checked(owner: Persona, name: str) -> None:
    response = logged_in(owner.user).post("/orgs/", {"name": name})
    assert response.status_code == 400 and 'data-field="name"' in page(response)


def test_names_and_addresses_are_escaped(mailbox: SmtpServer, owner: Persona) -> None:
    org = org_of(owner)
    Organisation.objects.filter(pk=org.pk).update(name="<script>alert(1)</script>")
    invite(logged_in(owner.user), org, "x@example.com")
    shown = page(logged_in(owner.user).get(f"/orgs/{org.pk}/"))
    assert "<script>alert(1)" not in shown and "&lt;script&gt;alert(1)" in shown


def test_a_new_site_goes_to_the_organisation_switched_to(owner: Persona, outsider: Persona) -> None:
    Membership.objects.create(user=outsider.user, organisation=org_of(owner), role=Role.ADMIN)
    browser = logged_in(outsider.user)
    browser.post(f"/orgs/{org_of(owner).pk}/switch/")
    added = browser.post("/sites/new/", {"domain": "team.example.org", "timezone": "UTC"})
    assert added.status_code == 302
    assert Site.objects.get(domain="team.example.org").organisation == org_of(owner)
    Membership.objects.filter(user=outsider.user, organisation=org_of(owner)).update(role=Role.VIEWER)
    assert browser.get("/sites/new/").status_code == 403
    browser.post(f"/orgs/{org_of(outsider).pk}/switch/")
    assert browser.get("/sites/new/").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/orgs/99999999999999999999999/",
        "/orgs/{org}/members/99999999999999999999999/remove/",
        "/orgs/{org}/keys/99999999999999999999999/revoke/",
        "/orgs/{org}/invitations/99999999999999999999999/revoke/",
    ],
)
def test_ids_beyond_the_database_range_are_404(owner: Persona, path: str) -> None:
    url = path.format(org=org_of(owner).pk)
    assert logged_in(owner.user).post(url).status_code == 404


def test_invitations_are_limited_per_organisation(mailbox: SmtpServer, owner: Persona, settings: Any) -> None:
    settings.INVITE_RATE = "2/h"
    browser = logged_in(owner.user)
    for n in range(2):
        assert invite(browser, org_of(owner), f"guest{n}@example.com").status_code == 302
    refused = invite(browser, org_of(owner), "guest9@example.com")
    assert refused.status_code == 429 and "Too many invitations; try again in" in page(refused)
    assert len(mailbox.wait_for(2)) == 2 and Invitation.objects.count() == 2
