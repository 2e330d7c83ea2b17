"""Sign-up with email verification: the mailed link, the gate before it is followed, resending, bad links."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.core import signing
from django.test import Client

from panel.accounts.models import User
from tests.accounts_helpers import PASSWORD, fresh_counters, link_in, page  # noqa: F401  # autouse fixture
from tests.conftest import Persona
from tests.services import free_port
from tests.smtp import SmtpServer, text_body

pytestmark = pytest.mark.django_db


NEW_PASSWORD = "correct horse battery"


def sign_up(browser: Client, email: str = "new@example.com", password: str = NEW_PASSWORD) -> Any:
    """Sign up; the answer is "check your mail" (no login), whether or not the address is taken."""
    response = browser.post("/register/", {"email": email, "password": password})
    assert response.status_code == 302 and response["Location"] == "/register/sent/"
    return response


def signed_up_and_logged_in(browser: Client, email: str = "new@example.com") -> None:
    sign_up(browser, email)
    assert browser.post("/login/", {"username": email, "password": NEW_PASSWORD}).status_code == 302


def test_it_mails_a_link_that_confirms_the_address(mailbox: SmtpServer) -> None:
    browser = Client()
    sign_up(browser, "New@Example.com")
    assert "We sent a mail to <strong>new@example.com</strong>" in page(browser.get("/register/sent/"))
    assert browser.get("/sites/").status_code == 302  # not logged in by signing up
    user = User.objects.get(email="new@example.com")
    assert user.password.startswith("argon2") and not user.email_verified
    [message] = mailbox.wait_for(1)
    assert message["To"] == "new@example.com" and "Confirm your email" in message["Subject"]
    response = browser.get(link_in(message))
    assert response.status_code == 302 and response["Location"] == "/login/?next=/sites/new/"
    user.refresh_from_db()
    assert user.email_verified
    logged_in = browser.post(
        "/login/", {"username": "new@example.com", "password": NEW_PASSWORD, "next": "/sites/new/"}
    )
    assert logged_in["Location"] == "/sites/new/" and browser.get("/sites/").status_code == 200


@pytest.mark.parametrize("path", ["/sites/", "/sites/new/", "/account/", "/orgs/", "/example.com/"])
def test_an_unverified_user_sees_only_the_verify_page(mailbox: SmtpServer, owner: Persona, path: str) -> None:
    browser = Client()
    signed_up_and_logged_in(browser)
    response = browser.get(path)
    assert response.status_code == 302 and response["Location"] == "/verify/"
    assert "Verify your email" in page(browser.get("/verify/"))


def test_an_unverified_session_gets_no_json(mailbox: SmtpServer, owner: Persona) -> None:
    browser = Client()
    signed_up_and_logged_in(browser)
    response = browser.get("/api/v1/stats/aggregate", {"site_id": "example.com"})
    assert response.status_code == 403 and "confirm your email" in response.json()["error"]


def test_the_link_works_without_being_logged_in(mailbox: SmtpServer) -> None:
    sign_up(Client())
    response = Client().get(link_in(mailbox.wait_for(1)[0]))
    assert response.status_code == 302 and response["Location"] == "/login/?next=/sites/new/"
    assert User.objects.get(email="new@example.com").email_verified


def test_resending_is_rate_limited(mailbox: SmtpServer, settings: Any) -> None:
    browser = Client()
    signed_up_and_logged_in(browser)  # the sign-up mail counts as the first of VERIFY_RESEND_RATE (3/h)
    for _ in range(2):
        assert browser.post("/verify/resend/")["Location"] == "/verify/"
    mails = mailbox.wait_for(3)
    refused = browser.post("/verify/resend/")
    assert refused.status_code == 429
    assert "Too many confirmation mails; try again in" in page(refused)
    assert len(mailbox.messages) == len(mails) == 3
    # every link mailed works
    assert Client().get(link_in(mails[2])).status_code == 302


def test_an_expired_link_fails_clearly(mailbox: SmtpServer, settings: Any) -> None:
    sign_up(Client())
    settings.EMAIL_VERIFY_MAX_AGE = -1
    response = Client().get(link_in(mailbox.wait_for(1)[0]))
    assert response.status_code == 400 and "This link has expired." in page(response)
    assert not User.objects.get(email="new@example.com").email_verified


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        signing.dumps({"u": 1, "e": "new@example.com"}, salt="another purpose"),
        signing.dumps(["not", "a", "dict"], salt="lantern.accounts.verify-email"),
    ],
)
def test_a_forged_link_fails_clearly(db: None, token: str) -> None:
    response = Client().get(f"/verify/{token}/")
    assert response.status_code == 400 and "not valid" in page(response)


def test_a_link_for_an_old_address_does_nothing(mailbox: SmtpServer) -> None:
    sign_up(Client())
    path = link_in(mailbox.wait_for(1)[0])
    User.objects.filter(email="new@example.com").update(email="changed@example.com")
    response = Client().get(path)
    assert response.status_code == 400
    assert not User.objects.get(email="changed@example.com").email_verified


def test_the_signup_form_has_csrf_protection(db: None) -> None:
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/register/", {"email": "x@example.com", "password": "correct horse battery"})
    assert response.status_code == 403
    assert not User.objects.filter(email="x@example.com").exists()


def test_a_mail_server_that_is_down_does_not_fail_the_sign_up(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    browser = Client()
    sign_up(browser)
    assert "We could not send the mail just now" in page(browser.get("/register/sent/"))
    assert (
        browser.post("/login/", {"username": "new@example.com", "password": NEW_PASSWORD}).status_code == 302
    )
    refused = browser.post("/verify/resend/", follow=True)
    assert "We could not send the mail just now" in page(refused)


def test_signing_up_with_a_taken_address_answers_the_same_and_mails_its_owner(
    mailbox: SmtpServer, owner: Persona
) -> None:
    fresh, taken = Client(), Client()
    new = sign_up(fresh, "new@example.com")
    again = sign_up(taken, "Owner@Example.com", "another long passphrase")
    assert (again.status_code, again["Location"]) == (new.status_code, new["Location"])
    shown_new = page(fresh.get("/register/sent/")).replace("new@example.com", "ADDRESS")
    shown_taken = page(taken.get("/register/sent/")).replace("owner@example.com", "ADDRESS")
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub("", shown_new) == strip.sub("", shown_taken)
    for browser in (fresh, taken):
        assert browser.get("/sites/").status_code == 302  # neither is logged in
    messages = {message["To"]: message for message in mailbox.wait_for(2)}
    attempt = messages["owner@example.com"]
    assert attempt["Subject"] == "Someone tried to sign up for Lantern with your email"
    assert "/login/" in text_body(attempt) and "/password-reset/" in text_body(attempt)
    assert "Confirm your email" in messages["new@example.com"]["Subject"]
    assert User.objects.filter(email="owner@example.com").count() == 1
    assert Client().login(username="owner@example.com", password=PASSWORD)  # their password unchanged


def test_mails_to_a_taken_address_are_limited(mailbox: SmtpServer, owner: Persona, settings: Any) -> None:
    settings.VERIFY_RESEND_RATE = "2/h"
    for _ in range(4):
        sign_up(Client(), "owner@example.com", "another long passphrase")
    assert len(mailbox.wait_for(2)) == 2
    time.sleep(0.5)
    assert len(mailbox.messages) == 2
