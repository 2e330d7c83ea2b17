"""Two-factor state in the database: enrolment, checking a code once, recovery codes, turning it off.

two_factor = start_enrolment(user)           # a new secret, not yet on
codes = confirm_enrolment(user, "123456")    # on, with 10 recovery codes to show once (None: wrong code)
check_code(user, "654321")                   # a TOTP code (each time step once) or an unused recovery code
codes = replace_recovery_codes(user)         # 10 new codes; the old ones stop working
"""

from __future__ import annotations

import time

from django.db import transaction
from django.utils import timezone

from panel.accounts import totp
from panel.accounts.models import RecoveryCode, TwoFactor, User


def enabled_for(user: User) -> bool:
    return TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()


def start_enrolment(user: User) -> TwoFactor:
    """A fresh secret for a user without two-factor on (an unconfirmed one is replaced)."""
    TwoFactor.objects.filter(user=user, confirmed_at__isnull=True).delete()
    return TwoFactor.objects.create(user=user, secret=totp.new_secret())


def pending_enrolment(user: User) -> TwoFactor | None:
    return TwoFactor.objects.filter(user=user, confirmed_at__isnull=True).first()


def _accept_totp(two_factor: TwoFactor, code: str) -> bool:
    """Whether ``code`` is right and its step newer than the last accepted (claimed atomically)."""
    step = totp.matching_step(two_factor.secret, code, time.time())
    if step is None:
        return False
    claimed = TwoFactor.objects.filter(pk=two_factor.pk, last_step__lt=step).update(last_step=step)
    return claimed == 1


@transaction.atomic
def confirm_enrolment(user: User, code: str) -> list[str] | None:
    """Turn two-factor on when ``code`` matches the pending secret; returns the new recovery codes."""
    two_factor = pending_enrolment(user)
    if two_factor is None or not _accept_totp(two_factor, code):
        return None
    TwoFactor.objects.filter(pk=two_factor.pk).update(confirmed_at=timezone.now())
    return replace_recovery_codes(user)


@transaction.atomic
def replace_recovery_codes(user: User) -> list[str]:
    codes = totp.new_recovery_codes()
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=totp.hash_recovery_code(code)) for code in codes
    )
    return codes


def _use_recovery_code(user: User, code: str) -> bool:
    if not totp.looks_like_recovery_code(code):
        return False
    used = RecoveryCode.objects.filter(
        user=user, code_hash=totp.hash_recovery_code(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    return used > 0


def check_code(user: User, code: str) -> bool:
    """A second factor for a user with two-factor on: a fresh TOTP code or an unused recovery code."""
    two_factor = TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).first()
    if two_factor is None:
        return False
    return _accept_totp(two_factor, code) or _use_recovery_code(user, code)


def check_totp(user: User, code: str) -> bool:
    """A fresh code from the authenticator app (each time step once); recovery codes do not count."""
    two_factor = TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).first()
    return two_factor is not None and _accept_totp(two_factor, code.strip())


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


@transaction.atomic
def disable(user: User) -> None:
    TwoFactor.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
