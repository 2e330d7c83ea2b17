"""Helpers for the account tests: people in organisations, links out of received mail, fresh counters.

teammate = member_of(owner.user.primary_organisation(), "team@example.com", "viewer")
path = link_in(mailbox.wait_for(1)[0])  # "/verify/…/", to follow with the test client
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import Client

from panel.accounts.models import Membership, Organisation, User
from tests.smtp import text_body

T = TypeVar("T")
PASSWORD = "a long enough passphrase"
_LINK = re.compile(r"http://127\.0\.0\.1:8000(/\S+)")


@pytest.fixture(autouse=True)
def fresh_counters() -> Iterator[None]:
    """Rate-limit counters live in the cache (this process's memory in tests): start and end clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def redis_cache(settings: Any, redis_url: str) -> None:
    """The counters in the real Redis (as in server mode), under a key prefix of this test's own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }


def at_once(count: int, call: Callable[[int], T]) -> list[T]:
    """``call(0)`` … ``call(count - 1)`` in as many threads, released together; their results in order.

    Each thread closes its own database connection when done (needs ``transactional_db``)."""
    barrier = threading.Barrier(count)
    results: list[T | None] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = call(index)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(result is not None for result in results), "a thread failed or hung"
    return [result for result in results if result is not None]


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
