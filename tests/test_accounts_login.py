"""Logging in and password resets: rate limits per IP and per account (429, never 500), mailed reset links."""

from __future__ import annotations

import ipaddress
import threading
from typing import Any, ClassVar

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client

from panel.accounts.models import User
from tests.accounts_helpers import (  # noqa: F401  # fresh_counters: autouse fixture
    PASSWORD,
    at_once,
    fresh_counters,
    link_in,
    page,
    redis_cache,
)
from tests.conftest import Persona
from tests.smtp import SmtpServer

pytestmark = pytest.mark.django_db


def log_in(browser: Client, email: str, password: str, **extra: Any) -> Any:
    return browser.post("/login/", {"username": email, "password": password}, **extra)


def test_it_logs_in_and_follows_a_local_next(owner: Persona) -> None:
    browser = Client()
    response = browser.post(
        "/login/", {"username": "OWNER@example.com", "password": PASSWORD, "next": "/example.com/"}
    )
    assert response.status_code == 302 and response["Location"] == "/example.com/"
    assert browser.get("/example.com/").status_code == 200


def test_it_never_redirects_to_another_host(owner: Persona) -> None:
    response = Client().post(
        "/login/", {"username": owner.user.email, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/sites/"


def test_failed_logins_per_account_are_limited(owner: Persona, settings: Any) -> None:
    settings.LOGIN_RATE_ACCOUNT = "3/15m"
    for n in range(3):  # from different addresses: the account's own counter stops them
        wrong = log_in(Client(), owner.user.email, "wrong guess", REMOTE_ADDR=f"198.51.100.{n}")
        assert wrong.status_code == 200 and "do not match" in page(wrong)
    refused = log_in(Client(), owner.user.email, PASSWORD, REMOTE_ADDR="198.51.100.9")
    assert refused.status_code == 429
    assert "Too many login attempts; try again in" in page(refused)
    assert 1 <= int(refused["Retry-After"]) <= 15 * 60
    other = User.objects.create_user("other@example.com", PASSWORD)
    assert log_in(Client(), other.email, PASSWORD).status_code == 302  # other accounts unaffected


def test_failed_logins_per_ip_are_limited(owner: Persona, settings: Any) -> None:
    settings.LOGIN_RATE_IP = "3/15m"
    for n in range(3):  # a different account each time: the address's counter stops them
        assert log_in(Client(), f"guess{n}@example.com", "wrong").status_code == 200
    refused = log_in(Client(), owner.user.email, PASSWORD)
    assert refused.status_code == 429 and "Too many login attempts" in page(refused)
    elsewhere = log_in(Client(), owner.user.email, PASSWORD, REMOTE_ADDR="203.0.113.50")
    assert elsewhere.status_code == 302


def test_a_forwarded_address_counts_only_from_a_trusted_proxy(owner: Persona, settings: Any) -> None:
    settings.LOGIN_RATE_IP = "2/15m"
    settings.TRUSTED_PROXIES = (ipaddress.ip_network("10.0.0.0/8"),)
    via_proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(2):
        log_in(Client(), "x@example.com", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.7", **via_proxy)
    same = log_in(Client(), owner.user.email, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.7", **via_proxy)
    assert same.status_code == 429
    other = log_in(Client(), owner.user.email, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.8", **via_proxy)
    assert other.status_code == 302
    untrusted = {"REMOTE_ADDR": "198.51.100.77"}  # its X-Forwarded-For is not believed: the peer counts
    for n in range(2):
        log_in(Client(), "x@example.com", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}", **untrusted)
    spoofed = log_in(Client(), owner.user.email, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99", **untrusted)
    assert spoofed.status_code == 429


class CountingArgon2(Argon2PasswordHasher):
    """The real Argon2 hasher, counting the passwords it checks."""

    checked: ClassVar[int] = 0
    lock: ClassVar[threading.Lock] = threading.Lock()

    def verify(self, password: str, encoded: str) -> bool:
        with CountingArgon2.lock:
            CountingArgon2.checked += 1
        return bool(super().verify(password, encoded))


def test_a_fullwidth_address_shares_the_accounts_counter(owner: Persona, settings: Any) -> None:
    settings.LOGIN_RATE_ACCOUNT = "3/15m"
    fullwidth = "\uff4fwner@example.com"  # a fullwidth o: Django's login form normalises it (NFKC) to owner@…
    assert log_in(Client(), fullwidth, PASSWORD).status_code == 302  # it is the same account
    for n in range(3):
        typed = fullwidth if n % 2 == 0 else "\uff2fWNER@example.com"
        assert log_in(Client(), typed, "wrong guess", REMOTE_ADDR=f"198.51.100.{n}").status_code == 200
    refused = log_in(Client(), owner.user.email, PASSWORD, REMOTE_ADDR="198.51.100.9")
    assert refused.status_code == 429 and "Too many login attempts" in page(refused)


@pytest.mark.usefixtures("redis_cache")
@pytest.mark.parametrize("rate", ["10/15m", "3/15m"])
def test_concurrent_wrong_passwords_are_checked_at_most_the_allowance(
    transactional_db: None, settings: Any, rate: str
) -> None:
    settings.LOGIN_RATE_ACCOUNT = rate
    settings.PASSWORD_HASHERS = ["tests.test_accounts_login.CountingArgon2"]
    user = User.objects.create_user("alice@a.test", PASSWORD)
    CountingArgon2.checked = 0

    def guess(n: int) -> int:
        return int(log_in(Client(), user.email, f"wrong {n}", REMOTE_ADDR=f"198.51.100.{n}").status_code)

    statuses = at_once(16, guess)
    allowance = int(rate.split("/")[0])
    assert CountingArgon2.checked <= allowance, (
        f"{CountingArgon2.checked} passwords checked, allowance {rate}"
    )
    assert (
        statuses.count(200) == CountingArgon2.checked and statuses.count(429) == 16 - CountingArgon2.checked
    )
    assert log_in(Client(), user.email, PASSWORD).status_code == 429  # the right one waits as well


def test_a_successful_login_leaves_the_allowance_to_failures(owner: Persona, settings: Any) -> None:
    settings.LOGIN_RATE_ACCOUNT = "2/15m"
    for _ in range(4):
        assert log_in(Client(), owner.user.email, PASSWORD).status_code == 302
    assert log_in(Client(), owner.user.email, "wrong").status_code == 200


@pytest.mark.parametrize(
    "form",
    [{}, {"username": "a" * 5000, "password": "x"}, {"username": "\x00", "password": "\x00"}],
)
def test_odd_login_forms_answer_without_error(db: None, form: dict[str, str]) -> None:
    response = Client().post("/login/", form)
    assert response.status_code == 200 and "do not match" in page(response)


def test_a_password_reset_goes_by_mail_and_works_once(mailbox: SmtpServer, owner: Persona) -> None:
    browser = Client()
    response = browser.post("/password-reset/", {"email": "Owner@Example.com"})
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    [message] = mailbox.wait_for(1)
    assert message["To"] == owner.user.email and message["Subject"] == "Reset your Lantern password"
    path = link_in(message)
    form_page = browser.get(path, follow=True)
    assert "Choose a new password" in page(form_page)
    set_url = form_page.redirect_chain[-1][0]
    new = "another fine passphrase"
    done = browser.post(set_url, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302 and done["Location"] == "/password-reset/done/"
    assert log_in(Client(), owner.user.email, new).status_code == 302
    assert log_in(Client(), owner.user.email, PASSWORD).status_code == 200
    again = Client().get(path, follow=True)
    assert "expired or was used already" in page(again)


def test_a_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(mailbox: SmtpServer) -> None:
    response = Client().post("/password-reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    assert mailbox.messages == []


def test_a_user_made_without_a_password_can_set_one(mailbox: SmtpServer) -> None:
    User.objects.create_with_organisation("ops@example.com")  # as ./dev manage createsite does
    Client().post("/password-reset/", {"email": "ops@example.com"})
    assert link_in(mailbox.wait_for(1)[0]).startswith("/password-reset/")


def test_reset_requests_are_limited_per_address(mailbox: SmtpServer, owner: Persona, settings: Any) -> None:
    settings.RESET_RATE_ACCOUNT = "2/h"
    for n in range(2):
        Client().post("/password-reset/", {"email": owner.user.email}, REMOTE_ADDR=f"198.51.100.{n}")
    refused = Client().post("/password-reset/", {"email": owner.user.email}, REMOTE_ADDR="198.51.100.7")
    assert refused.status_code == 429
    assert "Too many password reset requests; try again in" in page(refused)
    assert len(mailbox.wait_for(2)) == 2


def test_reset_requests_are_limited_per_ip(mailbox: SmtpServer, settings: Any) -> None:
    settings.RESET_RATE_IP = "2/h"
    for n in range(2):
        Client().post("/password-reset/", {"email": f"who{n}@example.com"})
    assert Client().post("/password-reset/", {"email": "who9@example.com"}).status_code == 429


def test_a_bad_reset_form_names_the_field(db: None) -> None:
    response = Client().post("/password-reset/", {"email": "not an address"})
    assert response.status_code == 400 and 'data-field="email"' in page(response)


def test_a_weak_new_password_is_refused(mailbox: SmtpServer, owner: Persona) -> None:
    browser = Client()
    browser.post("/password-reset/", {"email": owner.user.email})
    form_page = browser.get(link_in(mailbox.wait_for(1)[0]), follow=True)
    set_url = form_page.redirect_chain[-1][0]
    weak = browser.post(set_url, {"new_password1": "12345678901", "new_password2": "12345678901"})
    assert weak.status_code == 200 and 'data-field="new_password2"' in page(weak)


def test_a_reset_through_the_mail_confirms_the_address(mailbox: SmtpServer) -> None:
    user = User.objects.create_with_organisation("late@example.com", PASSWORD, verified=False)
    browser = Client()
    browser.post("/password-reset/", {"email": user.email})
    form_page = browser.get(link_in(mailbox.wait_for(1)[0]), follow=True)
    new = "another fine passphrase"
    browser.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    user.refresh_from_db()
    assert user.email_verified and user.check_password(new)
