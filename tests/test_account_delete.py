"""Deleting an account (``/account/delete/``): the page says what happens to each organisation; typing
the address and the password confirms. An organisation owned alone goes with the account, with its sites
and their events; one owned with other members must be handed over first; others are left. API keys stop
working, export files go, the browser is signed out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from analytics.deletion import site_row_counts
from panel.accounts import closing
from panel.accounts.models import Membership, Organisation, Role, User
from panel.apikeys.models import ApiKey
from panel.reports.full_export import export_dir
from panel.reports.models import SiteExport
from panel.sites.models import Site
from tests.accounts_helpers import PASSWORD, fresh_counters, logged_in, member_of, org_of, page  # noqa: F401
from tests.conftest import Persona, make_event, seed

pytestmark = pytest.mark.django_db
EMAIL = "owner@example.com"


def delete(browser: Client, confirm: str = EMAIL, password: str = PASSWORD) -> Any:
    return browser.post("/account/delete/", {"confirm": confirm, "password": password})


def stats(key: str, domain: str) -> int:
    answer = Client().get(
        "/api/v1/stats/aggregate", {"site_id": domain}, headers={"Authorization": f"Bearer {key}"}
    )
    return int(answer.status_code)


@pytest.fixture
def both(
    owner: Persona, outsider: Persona, events_table: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events on both sites; the owner is also a viewer of the outsider's organisation, with a key there."""
    monkeypatch.setenv("LANTERN_DATA_DIR", str(tmp_path))
    now = dt.datetime.now(dt.UTC)
    events = [make_event(site.id, timestamp=now, visitor_id=1) for site in (owner.site, outsider.site)]
    seed(events)  # with their visits, as ingest writes them
    Membership.objects.create(user=owner.user, organisation=org_of(outsider), role=Role.VIEWER)


def test_the_page_says_what_happens_and_asking_changes_nothing(
    owner: Persona, outsider: Persona, both: None
) -> None:
    response = logged_in(owner.user).get("/account/delete/")
    html = page(response)
    assert response.status_code == 200
    assert "You own <strong>owner</strong> alone: it is deleted with your account" in html
    assert '<strong class="wrap">example.com</strong> and all its stats' in html
    assert "You leave <strong>outsider</strong>" in html and 'id="delete-account"' in html
    assert User.objects.filter(email=EMAIL).exists() and Site.objects.filter(domain="example.com").exists()
    assert 'href="/account/delete/"' in page(logged_in(owner.user).get("/account/"))


def test_deleting_takes_what_was_owned_alone_and_leaves_the_rest(
    owner: Persona, outsider: Persona, both: None
) -> None:
    org_id, site_id = org_of(owner).pk, owner.site.id
    _key, viewer_key = ApiKey.objects.issue(owner.user, organisation=org_of(outsider), scopes=["stats:read"])
    assert stats(owner.key, "example.com") == stats(viewer_key, "elsewhere.org") == 200
    export_dir().mkdir(parents=True)
    (export_dir() / "asked-by-owner.zip").write_bytes(b"zip")
    SiteExport.objects.create(
        site=outsider.site, requested_by=owner.user, status="done", file_name="asked-by-owner.zip"
    )
    browser = logged_in(owner.user)
    response = delete(browser, " Owner@Example.com ")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert f"The account {EMAIL} is deleted" in page(browser.get("/login/"))
    assert browser.get("/sites/")["Location"].startswith("/login/")  # signed out
    assert not User.objects.filter(email=EMAIL).exists()
    assert (
        not Organisation.objects.filter(pk=org_id).exists() and not Site.objects.filter(pk=site_id).exists()
    )
    assert set(site_row_counts(site_id).values()) == {0}
    assert site_row_counts(outsider.site.id)["events"] == 1  # another organisation's data stays
    assert list(Membership.objects.filter(organisation=org_of(outsider)).values_list("role", flat=True)) == [
        "owner"
    ]
    assert stats(viewer_key, "elsewhere.org") == 401 and stats(owner.key, "example.com") == 401
    assert not (export_dir() / "asked-by-owner.zip").exists()
    assert stats(outsider.key, "elsewhere.org") == 200


def test_an_organisation_shared_with_others_must_be_handed_over_first(owner: Persona) -> None:
    org = org_of(owner)
    teammate = member_of(org, "teammate@example.com", Role.ADMIN)
    browser = logged_in(owner.user)
    html = page(browser.get("/account/delete/"))
    assert 'id="blocked"' in html and "Transfer its ownership" in html and 'id="delete-account"' not in html
    assert f'href="/orgs/{org.pk}/"' in html
    refused = delete(browser)
    assert refused.status_code == 400 and 'id="blocked"' in page(refused)
    assert User.objects.filter(email=EMAIL).exists() and Site.objects.filter(domain="example.com").exists()

    teammate_membership = Membership.objects.get(user=teammate, organisation=org)
    assert browser.post(f"/orgs/{org.pk}/transfer/", {"member": teammate_membership.pk}).status_code == 302
    html = page(browser.get("/account/delete/"))
    assert "You leave <strong>owner</strong>" in html  # now an admin there
    assert delete(browser).status_code == 302
    assert not User.objects.filter(email=EMAIL).exists()
    assert Site.objects.filter(domain="example.com", organisation=org).exists()  # kept by its new owner
    assert Membership.objects.role_for(teammate, org) == "owner"


def test_someone_joining_meanwhile_stops_the_deletion(
    owner: Persona, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = closing.plan_for(owner.user)  # planned while the owner was alone
    member_of(org_of(owner), "late@example.com", Role.VIEWER)
    monkeypatch.setattr(closing, "plan_for", lambda _user: stale)
    with pytest.raises(closing.Blocked, match="You own owner with other members"):
        closing.delete_account(owner.user)
    assert User.objects.filter(email=EMAIL).exists() and Site.objects.filter(domain="example.com").exists()


@pytest.mark.parametrize(
    ("confirm", "password", "field", "message"),
    [
        ("", PASSWORD, "confirm", "This field is required."),
        ("someone@example.com", PASSWORD, "confirm", f"type {EMAIL} exactly to confirm"),
        ("DELETE", PASSWORD, "confirm", f"type {EMAIL} exactly to confirm"),
        (EMAIL, "not my password", "password", "that is not your current password"),
        (EMAIL, "", "password", "This field is required."),
    ],
)
def test_bad_input_is_named_and_deletes_nothing(
    owner: Persona, confirm: str, password: str, field: str, message: str
) -> None:
    response = delete(logged_in(owner.user), confirm, password)
    html = page(response)
    assert (
        response.status_code == 400 and f'<p class="error" data-field="{field}">' in html and message in html
    )
    assert User.objects.filter(email=EMAIL).exists() and Site.objects.filter(domain="example.com").exists()


def test_wrong_passwords_are_limited(owner: Persona, settings: Any) -> None:
    settings.LOGIN_RATE_ACCOUNT = "3/15m"
    browser = logged_in(owner.user)
    for _ in range(3):
        assert delete(browser, password="not my password").status_code == 400
    refused = delete(browser)
    assert refused.status_code == 429 and User.objects.filter(email=EMAIL).exists()


def test_a_signed_out_visitor_is_sent_to_log_in(db: None) -> None:
    assert Client().get("/account/delete/")["Location"].startswith("/login/")
    assert Client().post("/account/delete/", {"confirm": EMAIL})["Location"].startswith("/login/")
