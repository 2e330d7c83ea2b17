"""TOTP two-factor authentication: enrolling by QR code, logging in with a code, no replays, recovery
codes (hashed, shown once, each works once), turning it off with a code, and limits on guessing."""

from __future__ import annotations

import dataclasses
import importlib
import re
import time
from typing import Any

import pyotp
import pytest
from django.db import connection
from django.test import Client

from panel.accounts import totp, twofactor
from panel.accounts.models import RecoveryCode, TwoFactor, User
from tests.accounts_helpers import (  # noqa: F401  # fresh_counters: autouse fixture
    PASSWORD,
    at_once,
    fresh_counters,
    logged_in,
    page,
    redis_cache,
)
from tests.conftest import Persona


@dataclasses.dataclass
class Enrolled:
    authenticator: pyotp.TOTP
    codes: list[str]  # the recovery codes shown
    used: str  # the TOTP code that turned it on


def enrol(user: User) -> Enrolled:
    """Turn two-factor on through the pages, as the user would."""
    browser = logged_in(user)
    setup = page(browser.get("/account/two-factor/"))
    secret = re.search(r'<code id="secret">([A-Z2-7]+)</code>', setup)
    assert secret is not None
    authenticator = pyotp.TOTP(secret.group(1))
    used = authenticator.now()
    shown = browser.post("/account/two-factor/", {"code": used})
    assert shown.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page(shown))
    return Enrolled(authenticator, codes, used)


def password_step(email: str) -> Client:
    browser = Client()
    response = browser.post("/login/", {"username": email, "password": PASSWORD, "next": "/example.com/"})
    assert response.status_code == 302 and response["Location"] == "/login/code/"
    return browser


def a_later_code(authenticator: pyotp.TOTP) -> str:
    """The next step's code, still inside the accepted drift, and not yet used."""
    return authenticator.at(time.time() + totp.STEP_SECONDS)


def test_the_setup_page_draws_the_qr_code_inline(owner: Persona) -> None:
    response = logged_in(owner.user).get("/account/two-factor/")
    html = page(response)
    assert response.status_code == 200 and '<div class="qr" id="qr"><svg' in html
    assert "http://" not in html.split('id="qr"')[1].split("</div>")[0].replace("http://www.w3.org", "")
    assert "<img" not in html
    pending = TwoFactor.objects.get(user=owner.user)
    assert pending.confirmed_at is None and pending.secret in html


def test_a_wrong_code_does_not_turn_it_on(owner: Persona) -> None:
    browser = logged_in(owner.user)
    browser.get("/account/two-factor/")
    response = browser.post("/account/two-factor/", {"code": "000000"})
    assert response.status_code == 400 and 'data-field="code"' in page(response)
    assert not TwoFactor.objects.filter(user=owner.user, confirmed_at__isnull=False).exists()


def test_enrolling_shows_ten_recovery_codes_once_and_keeps_only_hashes(owner: Persona) -> None:
    codes = enrol(owner.user).codes
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = list(RecoveryCode.objects.filter(user=owner.user).values_list("code_hash", flat=True))
    assert sorted(stored) == sorted(totp.hash_recovery_code(c) for c in codes)
    account = page(logged_in(owner.user).get("/account/"))
    assert "10 recovery codes left" in account and codes[0] not in account


def test_login_asks_for_the_code_after_the_password(owner: Persona) -> None:
    authenticator = enrol(owner.user).authenticator
    browser = password_step(owner.user.email)
    assert browser.get("/example.com/")["Location"].startswith("/login/")  # not logged in yet
    wrong = browser.post("/login/code/", {"code": "123456" if authenticator.now() != "123456" else "654321"})
    assert wrong.status_code == 400 and "not right" in page(wrong)
    right = browser.post("/login/code/", {"code": a_later_code(authenticator)})
    assert right.status_code == 302 and right["Location"] == "/example.com/"
    assert browser.get("/example.com/").status_code == 200


def raw_secret(user: User) -> str:
    """The column as stored, read without the model field."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM accounts_twofactor WHERE user_id = %s", [user.pk])
        value: str = cursor.fetchone()[0]
    return value


def test_the_secret_is_sealed_in_the_database(owner: Persona) -> None:
    authenticator = enrol(owner.user).authenticator
    stored = raw_secret(owner.user)
    assert authenticator.secret not in stored and authenticator.secret.lower() not in stored.lower()
    assert TwoFactor.objects.get(user=owner.user).secret == authenticator.secret
    browser = password_step(owner.user.email)
    assert browser.post("/login/code/", {"code": a_later_code(authenticator)}).status_code == 302


def test_the_migration_seals_secrets_stored_in_clear(owner: Persona) -> None:
    authenticator = enrol(owner.user).authenticator
    with connection.cursor() as cursor:  # as a database from before sealing holds it
        cursor.execute("UPDATE accounts_twofactor SET secret = %s", [authenticator.secret])
    migration = importlib.import_module("panel.accounts.migrations.0003_seal_totp_secrets")
    from django.apps import apps

    with connection.schema_editor() as editor:
        migration.seal_existing(apps, editor)
        migration.seal_existing(apps, editor)  # a second run leaves sealed secrets alone
    assert authenticator.secret not in raw_secret(owner.user)
    browser = password_step(owner.user.email)
    assert browser.post("/login/code/", {"code": a_later_code(authenticator)}).status_code == 302


def test_a_code_cannot_be_replayed(owner: Persona) -> None:
    enrolled = enrol(owner.user)
    authenticator = enrolled.authenticator
    replay = password_step(owner.user.email).post("/login/code/", {"code": enrolled.used})
    assert replay.status_code == 400
    code = a_later_code(authenticator)
    assert password_step(owner.user.email).post("/login/code/", {"code": code}).status_code == 302
    assert password_step(owner.user.email).post("/login/code/", {"code": code}).status_code == 400


def test_a_recovery_code_works_once(owner: Persona) -> None:
    codes = enrol(owner.user).codes
    typed = codes[3].upper().replace("-", " ")  # as someone might type it
    assert password_step(owner.user.email).post("/login/code/", {"code": typed}).status_code == 302
    assert password_step(owner.user.email).post("/login/code/", {"code": codes[3]}).status_code == 400
    assert "9 recovery codes left" in page(logged_in(owner.user).get("/account/"))


def test_the_code_page_without_a_password_step_goes_back_to_login(db: None) -> None:
    response = Client().post("/login/code/", {"code": "123456"})
    assert response.status_code == 302 and response["Location"] == "/login/"


def test_code_guesses_are_limited(owner: Persona, settings: Any) -> None:
    settings.TWO_FACTOR_RATE = "3/5m"
    authenticator = enrol(owner.user).authenticator
    browser = password_step(owner.user.email)
    for _ in range(3):
        assert browser.post("/login/code/", {"code": "000000"}).status_code == 400
    refused = browser.post("/login/code/", {"code": a_later_code(authenticator)})
    assert refused.status_code == 429 and "Too many code attempts; try again in" in page(refused)


@pytest.mark.usefixtures("redis_cache")
def test_concurrent_code_guesses_are_checked_at_most_the_allowance(
    transactional_db: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TWO_FACTOR_RATE = "3/5m"
    user = User.objects.create_with_organisation("alice@a.test", PASSWORD)
    authenticator = enrol(user).authenticator
    session = password_step(user.email).cookies
    checked: list[str] = []
    real_check = twofactor.check_code

    def counting_check(who: User, code: str) -> bool:  # the real check, counted
        checked.append(code)
        return real_check(who, code)

    monkeypatch.setattr(twofactor, "check_code", counting_check)

    def guess(n: int) -> int:
        browser = Client()
        browser.cookies = session
        return int(
            browser.post("/login/code/", {"code": f"{n:06d}"}, REMOTE_ADDR=f"198.51.100.{n}").status_code
        )

    statuses = at_once(12, guess)
    assert len(checked) <= 3, f"{len(checked)} codes checked, allowance 3"
    assert statuses.count(400) == len(checked) and statuses.count(429) == 12 - len(checked)
    browser = Client()
    browser.cookies = session
    assert browser.post("/login/code/", {"code": a_later_code(authenticator)}).status_code == 429


def test_turning_it_off_takes_a_code(owner: Persona) -> None:
    authenticator = enrol(owner.user).authenticator
    browser = logged_in(owner.user)
    refused = browser.post("/account/two-factor/disable/", {"code": ""})
    assert refused.status_code == 400 and 'data-field="code"' in page(refused)
    assert browser.post("/account/two-factor/disable/", {"code": "000000"}).status_code == 400
    assert TwoFactor.objects.filter(user=owner.user).exists()
    done = browser.post("/account/two-factor/disable/", {"code": a_later_code(authenticator)})
    assert done.status_code == 302
    assert not TwoFactor.objects.filter(user=owner.user).exists()
    assert not RecoveryCode.objects.filter(user=owner.user).exists()
    plain = Client().post("/login/", {"username": owner.user.email, "password": PASSWORD})
    assert plain.status_code == 302 and plain["Location"] == "/sites/"


@pytest.mark.parametrize(
    ("offset_steps", "accepted"), [(-2, False), (-1, True), (0, True), (1, True), (2, False)]
)
def test_codes_are_accepted_one_step_either_side(offset_steps: int, accepted: bool) -> None:
    secret = totp.new_secret()
    now = 1_800_000_000.0
    code = pyotp.TOTP(secret).at(now + offset_steps * totp.STEP_SECONDS)
    step = totp.matching_step(secret, code, now)
    assert (step == int(now // 30) + offset_steps) if accepted else step is None


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_malformed_codes_match_nothing(typed: str) -> None:
    assert totp.matching_step(totp.new_secret(), typed, time.time()) is None


def test_recovery_codes_are_random_and_readable() -> None:
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", c) for c in codes)
    assert all(totp.looks_like_recovery_code(c.upper()) for c in codes)
