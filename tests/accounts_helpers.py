"""Helpers for the account tests: people in organisations, links out of received mail, fresh counters.

teammate = member_of(owner.user.primary_organisation(), "team@example.com", "viewer")
path = link_in(mailbox.wait_for(1)[0])  # "/verify/…/", to follow with the test client
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from panel.accounts.models import Membership, Organisation, User
from tests.smtp import text_body

PASSWORD = "a long enough passphrase"
_LINK = re.compile(r"http://127\.0\.0\.1:8000(/\S+)")


@pytest.fixture(autouse=True)
def fresh_counters() -> Iterator[None]:
    """Rate-limit counters live in the cache (this process's memory in tests): start and end clean."""
    cache.clear()
    yield
    cache.clear()


def member_of(organisation: Organisation, email: str, role: str) -> User:
    """A user (with an organisation of their own, and no password) who is also in ``organisation``."""
    user = User.objects.create_with_organisation(email)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def org_of(persona: Any) -> Organisation:
    """The organisation a conftest persona owns."""
    organisation: Organisation = persona.user.primary_organisation()
    return organisation


def logged_in(user: User) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def link_in(message: EmailMessage) -> str:
    """The path of the one Lantern link in a mail's text."""
    links = _LINK.findall(text_body(message))
    assert len(links) == 1, links
    return str(links[0])


def verification_link_on_disk(mail_dir: Path, timeout_s: float = 20.0) -> str:
    """The verification link in a mail written to ``mail_dir`` (embedded mode without EMAIL_HOST)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for file in sorted(mail_dir.glob("*")):
            found = re.search(r"(http://127\.0\.0\.1:\d+/verify/\S+/)", file.read_text())
            if found:
                return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no verification mail in {mail_dir}")


def page(response: object) -> str:
    return bytes(getattr(response, "content", b"")).decode()
