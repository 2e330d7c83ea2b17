"""TOTP codes (RFC 6238, 30-second steps, six digits) and recovery codes: pure functions.

    >>> secret = new_secret()
    >>> matching_step(secret, pyotp.TOTP(secret).now(), time.time()) is not None  # doctest: +SKIP
    True

``matching_step`` accepts the step before and after the current one (clock drift) and returns which
step matched, so the caller can refuse a step it has already accepted (no replay).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import pyotp
import segno

STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name="Lantern")


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (no image from anywhere)."""
    return str(segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff"))


def normalise(code: str) -> str:
    """What the user typed, without spaces and dashes, lower-cased."""
    return "".join(code.split()).replace("-", "").lower()


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code equals ``code`` within the allowed drift, or None."""
    code = normalise(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now // STEP_SECONDS)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """Codes like ``k7pq-x2mr-c9tw``: 12 characters from 31, about 59 bits each."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return codes


def hash_recovery_code(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    text = normalise(code)
    return len(text) == 12 and all(c in _RECOVERY_ALPHABET for c in text)
