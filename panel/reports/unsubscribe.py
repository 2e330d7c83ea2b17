"""Signed unsubscribe links: whoever holds the link may turn that one report off, nothing more.

>>> token = make_token(site_id=1, user_id=2, kind="weekly")  # doctest: +SKIP
>>> read_token(token)  # doctest: +SKIP
Target(site_id=1, user_id=2, kind='weekly')
"""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.core import signing
from django.urls import reverse

from panel.reports.models import Kind

_SALT = "lantern.reports.unsubscribe"


@dataclasses.dataclass(frozen=True)
class Target:
    site_id: int
    user_id: int
    kind: str


def make_token(*, site_id: int, user_id: int, kind: str) -> str:
    return signing.dumps([site_id, user_id, kind], salt=_SALT, compress=True)


def read_token(token: str) -> Target | None:
    """The link's target, or None when the token was not signed by us or is malformed."""
    try:
        value = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 3):
        return None
    site_id, user_id, kind = value
    if not (isinstance(site_id, int) and isinstance(user_id, int) and kind in Kind.values):
        return None
    return Target(site_id, user_id, kind)


def unsubscribe_url(*, site_id: int, user_id: int, kind: str) -> str:
    token = make_token(site_id=site_id, user_id=user_id, kind=kind)
    return settings.BASE_URL + reverse("report-unsubscribe", args=[token])
