"""Secrets sealed at rest with a key derived from ``SECRET_KEY`` (HKDF-SHA256, then Fernet).

    secret = SealedCharField(max_length=255)   # the column holds a Fernet token, code sees clear text
    token = seal("JBSWY3DPEHPK3PXP")           # "gAAAAA..."; a new token each time
    unseal(token)                              # "JBSWY3DPEHPK3PXP"

Tokens sealed under a key now in ``SECRET_KEY_FALLBACKS`` still open (new ones use ``SECRET_KEY``).
A token no key opens raises ``UnsealError``: changing ``SECRET_KEY`` without keeping the old one as a
fallback makes two-factor secrets unreadable. A sealed column cannot be filtered on (each seal differs).
"""

from __future__ import annotations

import base64
import functools
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

_INFO = b"lantern: sealed secrets at rest, v1"


class UnsealError(ValueError):
    """No key (``SECRET_KEY`` or a fallback) opens the token."""


@functools.cache
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _keys() -> MultiFernet:
    return MultiFernet([_fernet(key) for key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]])


def seal(text: str) -> str:
    return _keys().encrypt(text.encode()).decode("ascii")


def unseal(token: str) -> str:
    try:
        return _keys().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        raise UnsealError(
            "a sealed secret does not open with SECRET_KEY or SECRET_KEY_FALLBACKS (was the key changed?)"
        ) from None


def is_sealed(value: str) -> bool:
    try:
        unseal(value)
    except UnsealError:
        return False
    return True


class SealedCharField(models.CharField):  # type: ignore[type-arg]
    """A text column stored sealed; reads give the clear text back."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return None if value is None else unseal(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return None if value is None else seal(str(value))
