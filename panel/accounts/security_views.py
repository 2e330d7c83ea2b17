"""Two-factor settings: enrol with a QR code, see recovery codes once, replace them, turn it off."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from panel.accounts import limits, totp, twofactor
from panel.accounts.account_forms import RecoveryCodesForm
from panel.accounts.account_views import account_page
from panel.accounts.forms import CodeForm
from panel.accounts.login_views import code_counters
from panel.accounts.models import User


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """GET: a QR code for a new secret; POST: the first code turns two-factor on."""
    user = _user(request)
    if twofactor.enabled_for(user):
        return redirect("account")
    pending = twofactor.pending_enrolment(user) or twofactor.start_enrolment(user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        codes = twofactor.confirm_enrolment(user, form.cleaned_data["code"])
        if codes is not None:
            return render(request, "accounts/recovery_codes.html", {"codes": codes})
        form.add_error("code", "that code is not right; check the time on your phone and try the next one")
    uri = totp.provisioning_uri(pending.secret, user.email)
    context = {
        "form": form,
        "qr": mark_safe(totp.qr_svg(uri)),  # noqa: S308  # SVG made by segno from our own URI
        "secret": pending.secret,
    }
    return render(request, "accounts/two_factor_setup.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    """Turning two-factor off takes a current code (or a recovery code)."""
    user = _user(request)
    counters = code_counters(request, user)
    if wait := limits.take(request, counters):  # before the code is checked, atomically
        return limits.too_many(request, "code attempts", wait)
    form = CodeForm(request.POST)
    if form.is_valid() and twofactor.check_code(user, form.cleaned_data["code"]):
        limits.give_back(request, counters)
        twofactor.disable(user)
        messages.success(request, "Two-factor authentication is off.")
        return redirect("account")
    if form.is_valid():
        form.add_error("code", "that code is not right, or was used already")
    return account_page(request, user, status=400, disable_form=form)


@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Ten new recovery codes, shown once, for the password or a current code from the app (not a
    recovery code); the old ones stop working. Only while two-factor is on."""
    user = _user(request)
    if not twofactor.enabled_for(user):
        messages.error(
            request, "Two-factor authentication is off, so there are no recovery codes to replace."
        )
        return redirect("account")
    counters = code_counters(request, user)
    if wait := limits.take(request, counters):  # before the secret is checked, atomically
        return limits.too_many(request, "code attempts", wait)
    form = RecoveryCodesForm(request.POST, prefix="codes")
    if form.is_valid():
        secret = form.cleaned_data["secret"]
        if user.check_password(secret) or twofactor.check_totp(user, secret):
            limits.give_back(request, counters)
            codes = twofactor.replace_recovery_codes(user)
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "replaced": True})
        form.add_error("secret", "that is neither your password nor a current code from your app")
    return account_page(request, user, status=400, codes_form=form)
