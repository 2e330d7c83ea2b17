"""Changing the password in the app: the current one first (wrong guesses limited as at login), the new
one twice and Django's validators; this browser stays signed in, every other one is signed out."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from panel.accounts.models import User
from tests.accounts_helpers import PASSWORD, fresh_counters, logged_in, page  # noqa: F401  # autouse
from tests.conftest import Persona

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a different long passphrase"


def change(browser: Client, old: str = PASSWORD, new: str = NEW_PASSWORD, again: str | None = None) -> Any:
    data = {"old_password": old, "new_password1": new, "new_password2": new if again is None else again}
    return browser.post("/account/password/", data)


def logs_in(password: str) -> bool:
    return (
        Client().post("/login/", {"username": "owner@example.com", "password": password}).status_code == 302
    )


def test_the_new_password_works_and_other_browsers_are_signed_out(owner: Persona) -> None:
    browser, elsewhere = logged_in(owner.user), logged_in(owner.user)
    assert elsewhere.get("/account/").status_code == 200
    response = change(browser)
    assert response.status_code == 302 and response["Location"] == "/account/"
    account = browser.get("/account/")  # still signed in here
    assert account.status_code == 200 and "Your password is changed" in page(account)
    assert elsewhere.get("/account/")["Location"].startswith("/login/")
    assert logs_in(NEW_PASSWORD) and not logs_in(PASSWORD)


@pytest.mark.parametrize(
    ("old", "new", "again", "field", "message"),
    [
        ("not my password", NEW_PASSWORD, None, "old_password", "that is not your current password"),
        ("", NEW_PASSWORD, None, "old_password", "This field is required."),
        (PASSWORD, NEW_PASSWORD, "something else entirely", "new_password2", "fields didn\u2019t match"),
        (PASSWORD, "short", None, "new_password2", "too short"),
        (PASSWORD, "password123", None, "new_password2", "too common"),
        (PASSWORD, "", None, "new_password1", "This field is required."),
    ],
)
def test_bad_input_is_named_and_changes_nothing(
    owner: Persona, old: str, new: str, again: str | None, field: str, message: str
) -> None:
    response = change(logged_in(owner.user), old, new, again)
    html = page(response)
    assert response.status_code == 400 and f'<p class="error" data-field="{field}">' in html, html[-2000:]
    assert message in html
    assert User.objects.get(pk=owner.user.pk).check_password(PASSWORD)


def test_wrong_current_passwords_are_limited_but_typos_in_the_new_one_are_not(
    owner: Persona, settings: Any
) -> None:
    settings.LOGIN_RATE_ACCOUNT = "3/15m"
    browser = logged_in(owner.user)
    for _ in range(5):  # the current password right, the new one mistyped: no guess
        assert change(browser, again="a typo in the new passphrase").status_code == 400
    for _ in range(3):
        assert change(browser, old="not my password").status_code == 400
    refused = change(browser)
    assert refused.status_code == 429 and "Too many password attempts" in page(refused)
    assert User.objects.get(pk=owner.user.pk).check_password(PASSWORD)


def test_the_form_is_on_the_account_page_and_needs_a_session(owner: Persona) -> None:
    html = page(logged_in(owner.user).get("/account/"))
    assert 'action="/account/password/"' in html and 'name="old_password"' in html
    assert "Reset it by email" in html
    assert Client().post("/account/password/", {})["Location"].startswith("/login/")
