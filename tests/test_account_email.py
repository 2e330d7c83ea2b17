"""Changing the account's address: the current password, then a link mailed to the new address (24
hours); the address changes only when the link is followed (GET asks, POST acts), and the old address
is told. An address with an account of its own gets a note instead, and the page answers the same."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import signing
from django.test import Client

from panel.accounts.models import User
from panel.accounts.tokens import email_change_token
from tests.accounts_helpers import PASSWORD, fresh_counters, link_in, logged_in, page  # noqa: F401  # autouse
from tests.conftest import Persona
from tests.smtp import SmtpServer, text_body

pytestmark = pytest.mark.django_db
NEW = "owner.new@example.org"


def ask(browser: Client, email: str = NEW, password: str = PASSWORD) -> Any:
    return browser.post("/account/email/", {"email-email": email, "email-password": password})


def can_log_in(email: str) -> bool:
    return Client().post("/login/", {"username": email, "password": PASSWORD}).status_code == 302


def test_the_new_address_gets_a_link_and_nothing_changes_yet(mailbox: SmtpServer, owner: Persona) -> None:
    browser = logged_in(owner.user)
    response = ask(browser, " Owner.New@Example.ORG ")
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert f"We sent a link to {NEW}" in page(browser.get("/account/"))
    [message] = mailbox.wait_for(1)
    assert message["To"] == NEW and "Confirm your new email" in message["Subject"]
    assert "owner@example.com" in text_body(message) and link_in(message).startswith("/account/email/")
    owner.user.refresh_from_db()
    assert owner.user.email == "owner@example.com" and can_log_in("owner@example.com")


def test_following_the_link_asks_then_moves_the_account_and_tells_the_old_address(
    mailbox: SmtpServer, owner: Persona
) -> None:
    browser = logged_in(owner.user)
    ask(browser)
    path = link_in(mailbox.wait_for(1)[0])
    question = browser.get(path)  # a mail scanner's GET changes nothing
    assert question.status_code == 200 and f"Use {NEW} for your Lantern account?" in page(question)
    assert User.objects.get(pk=owner.user.pk).email == "owner@example.com"
    done = browser.post(path)
    assert done.status_code == 302 and done["Location"] == "/account/"
    user = User.objects.get(pk=owner.user.pk)
    assert user.email == NEW and user.email_verified
    assert f"Your address is now {NEW}." in page(browser.get("/account/"))
    notice = mailbox.wait_for(2)[1]
    assert notice["To"] == "owner@example.com" and "was changed" in notice["Subject"]
    assert NEW in text_body(notice) and "/account/email/" not in text_body(notice)
    assert can_log_in(NEW) and not can_log_in("owner@example.com")


def test_the_link_works_without_being_signed_in_and_only_once(mailbox: SmtpServer, owner: Persona) -> None:
    ask(logged_in(owner.user))
    path = link_in(mailbox.wait_for(1)[0])
    stranger = Client()
    done = stranger.post(path)
    assert done.status_code == 302 and done["Location"] == "/login/"
    again = stranger.post(path)
    assert again.status_code == 400 and "done or no longer possible" in page(again)
    assert User.objects.get(pk=owner.user.pk).email == NEW


def test_a_second_link_dies_with_the_first_change(mailbox: SmtpServer, owner: Persona) -> None:
    browser = logged_in(owner.user)
    ask(browser)
    ask(browser, "third@example.org")
    first, second = (link_in(m) for m in mailbox.wait_for(2))
    assert Client().post(first).status_code == 302
    refused = Client().post(second)
    assert refused.status_code == 400 and User.objects.get(pk=owner.user.pk).email == NEW


def test_an_address_with_an_account_gets_a_note_and_the_page_answers_the_same(
    mailbox: SmtpServer, owner: Persona, outsider: Persona
) -> None:
    browser = logged_in(owner.user)
    taken = ask(browser, outsider.user.email)
    free = ask(browser, NEW)
    assert taken.status_code == free.status_code == 302 and taken["Location"] == free["Location"]
    messages = {m["To"]: m for m in mailbox.wait_for(2)}
    note = text_body(messages[outsider.user.email])
    assert "nothing was changed" in note and "/account/email/" not in note
    assert User.objects.get(pk=owner.user.pk).email == "owner@example.com"


def test_an_address_that_gets_an_account_before_the_link_is_followed(
    mailbox: SmtpServer, owner: Persona
) -> None:
    ask(logged_in(owner.user))
    path = link_in(mailbox.wait_for(1)[0])
    User.objects.create_with_organisation(NEW, PASSWORD)
    for response in (Client().get(path), Client().post(path)):
        assert response.status_code == 400 and "has a Lantern account of its own" in page(response)
    assert User.objects.get(pk=owner.user.pk).email == "owner@example.com"


def test_an_expired_or_forged_link_fails_clearly(owner: Persona, settings: Any) -> None:
    token = email_change_token(owner.user, NEW)
    forged = signing.dumps({"u": owner.user.pk, "e": owner.user.email, "n": "evil@example.org"}, salt="other")
    refused = Client().post(f"/account/email/{forged}/")
    assert refused.status_code == 400 and "not valid" in page(refused)
    settings.EMAIL_CHANGE_MAX_AGE = -1
    expired = Client().post(f"/account/email/{token}/")
    assert expired.status_code == 400 and "expired" in page(expired)
    assert User.objects.get(pk=owner.user.pk).email == "owner@example.com"


@pytest.mark.parametrize(
    ("email", "password", "field", "message"),
    [
        ("not an address", PASSWORD, "email", "Enter a valid email address."),
        ("", PASSWORD, "email", "This field is required."),
        ("OWNER@example.com", PASSWORD, "email", "this is already your address"),
        (NEW, "not my password", "password", "that is not your current password"),
        (NEW, "", "password", "This field is required."),
        ("x" * 250 + "@example.org", PASSWORD, "email", "at most 254 characters"),
    ],
)
def test_bad_input_is_named(
    owner: Persona, mailbox: SmtpServer, email: str, password: str, field: str, message: str
) -> None:
    response = ask(logged_in(owner.user), email, password)
    assert response.status_code == 400
    assert f'<p class="error" data-field="{field}">' in page(response) and message in page(response)
    assert mailbox.messages == [] and User.objects.get(pk=owner.user.pk).email == "owner@example.com"


def test_wrong_passwords_are_limited(owner: Persona, settings: Any) -> None:
    settings.LOGIN_RATE_ACCOUNT = "3/15m"
    browser = logged_in(owner.user)
    for _ in range(3):
        assert ask(browser, password="not my password").status_code == 400
    refused = ask(browser)
    assert refused.status_code == 429 and "Too many password attempts" in page(refused)


def test_mails_are_limited(owner: Persona, mailbox: SmtpServer, settings: Any) -> None:
    settings.EMAIL_CHANGE_RATE = "2/h"
    browser = logged_in(owner.user)
    assert [ask(browser, f"n{i}@example.org").status_code for i in range(3)] == [302, 302, 429]
    assert len(mailbox.wait_for(2)) == 2


def test_a_signed_out_visitor_is_sent_to_log_in(db: None) -> None:
    response = Client().post("/account/email/", {"email-email": NEW, "email-password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
