"""Signed, expiring tokens for the links we mail: email verification, a change of address, invitations.

    >>> token = verification_token(user)  # doctest: +SKIP
    >>> read_verification(token) == user.pk  # doctest: +SKIP
    True

A token names what it is for (its salt) and carries the signing time; reading it past its age or with
a bad signature raises ``TokenError`` with a message for the user.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing

from panel.accounts.models import User

_VERIFY = "lantern.accounts.verify-email"
_INVITE = "lantern.accounts.invitation"
_CHANGE = "lantern.accounts.change-email"


class TokenError(Exception):
    """A link that is expired or not ours; the message says which, for the page."""


def _read(token: str, salt: str, max_age: int) -> dict[str, object]:
    try:
        value = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise TokenError("This link has expired.") from None
    except signing.BadSignature:
        raise TokenError("This link is not valid; check that it was copied whole.") from None
    if not isinstance(value, dict):
        raise TokenError("This link is not valid; check that it was copied whole.")
    return value


def verification_token(user: User) -> str:
    """For the address the user has now: changing the address voids older links."""
    return signing.dumps({"u": user.pk, "e": user.email}, salt=_VERIFY)


def read_verification(token: str) -> tuple[int, str]:
    """The user id and address a verification token was made for."""
    value = _read(token, _VERIFY, settings.EMAIL_VERIFY_MAX_AGE)
    return int(str(value.get("u", 0))), str(value.get("e", ""))


def invitation_token(invitation_id: int) -> str:
    return signing.dumps({"i": invitation_id}, salt=_INVITE)


def read_invitation(token: str) -> int:
    """The invitation's id; raises TokenError after 48 hours (``INVITATION_MAX_AGE``)."""
    value = _read(token, _INVITE, settings.INVITATION_MAX_AGE)
    return int(str(value.get("i", 0)))


def email_change_token(user: User, new_email: str) -> str:
    """For moving ``user`` from the address they have now to ``new_email``: once the address has
    changed (by this link or another), the link names an old address and does nothing."""
    return signing.dumps({"u": user.pk, "e": user.email, "n": new_email}, salt=_CHANGE)


def read_email_change(token: str) -> tuple[int, str, str]:
    """The user id, the address the change starts from and the new one; raises TokenError after
    ``EMAIL_CHANGE_MAX_AGE`` (24 hours)."""
    value = _read(token, _CHANGE, settings.EMAIL_CHANGE_MAX_AGE)
    return int(str(value.get("u", 0))), str(value.get("e", "")), str(value.get("n", ""))
