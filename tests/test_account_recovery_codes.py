"""New recovery codes from the account page: only while two-factor is on, for the password or a current
code from the app (not a recovery code); ten fresh codes shown once, the old ones stop working."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from panel.accounts import totp
from panel.accounts.models import RecoveryCode
from tests.accounts_helpers import PASSWORD, fresh_counters, logged_in, page  # noqa: F401  # autouse
from tests.conftest import Persona
from tests.test_accounts_2fa import a_later_code, enrol, password_step

pytestmark = pytest.mark.django_db


def renew(browser: Client, secret: str) -> Any:
    return browser.post("/account/two-factor/recovery-codes/", {"codes-secret": secret})


def shown(response: Any) -> list[str]:
    return re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page(response))


def logs_in_with(email: str, code: str) -> bool:
    return password_step(email).post("/login/code/", {"code": code}).status_code == 302


@pytest.mark.parametrize("with_", ["password", "code"])
def test_new_codes_replace_the_old_ones(owner: Persona, with_: str) -> None:
    enrolled = enrol(owner.user)
    secret = PASSWORD if with_ == "password" else a_later_code(enrolled.authenticator)
    response = renew(logged_in(owner.user), secret)
    codes = shown(response)
    assert response.status_code == 200 and "<h1>New recovery codes</h1>" in page(response)
    assert len(codes) == 10 and not set(codes) & set(enrolled.codes)
    stored = set(RecoveryCode.objects.filter(user=owner.user).values_list("code_hash", flat=True))
    assert stored == {totp.hash_recovery_code(c) for c in codes}  # hashes only, the old ones gone
    assert not logs_in_with(owner.user.email, enrolled.codes[0])
    assert logs_in_with(owner.user.email, codes[0])
    assert "9 recovery codes left" in page(logged_in(owner.user).get("/account/"))


@pytest.mark.parametrize("kind", ["wrong password", "recovery code", "used code", "empty"])
def test_anything_else_is_refused_and_keeps_the_codes(owner: Persona, kind: str) -> None:
    enrolled = enrol(owner.user)
    secret = {
        "wrong password": "not my password",
        "recovery code": enrolled.codes[0],  # proves less than the password: refused, and not used up
        "used code": enrolled.used,
        "empty": "",
    }[kind]
    response = renew(logged_in(owner.user), secret)
    assert response.status_code == 400 and '<p class="error" data-field="secret">' in page(response)
    assert shown(response) == []
    assert RecoveryCode.objects.filter(user=owner.user, used_at__isnull=True).count() == 10
    assert logs_in_with(owner.user.email, enrolled.codes[0])  # the old codes still work


def test_without_two_factor_there_is_nothing_to_replace(owner: Persona) -> None:
    browser = logged_in(owner.user)
    assert 'action="/account/two-factor/recovery-codes/"' not in page(browser.get("/account/"))
    response = renew(browser, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert "no recovery codes to replace" in page(browser.get("/account/"))
    assert not RecoveryCode.objects.filter(user=owner.user).exists()


def test_guesses_are_limited(owner: Persona, settings: Any) -> None:
    settings.TWO_FACTOR_RATE = "3/5m"
    enrol(owner.user)
    browser = logged_in(owner.user)
    for _ in range(3):
        assert renew(browser, "not my password").status_code == 400
    refused = renew(browser, PASSWORD)
    assert refused.status_code == 429 and "Too many code attempts" in page(refused)
