"""Logging in (password, then the TOTP code when two-factor is on) and password resets, rate-limited.

Failed attempts count per client IP and per account (``LOGIN_RATE_IP``, ``LOGIN_RATE_ACCOUNT``,
``TWO_FACTOR_RATE``); over the limit the answer is 429 with how long to wait. An attempt takes its
place in the counters before the password or code is checked (``limits.take``), so concurrent guesses
are never checked beyond the allowance; the account counter keys on the address as login finds it.
The password step of a two-factor user keeps only their id in the session until the code is right;
the login happens then.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse_lazy

from panel.accounts import limits, twofactor
from panel.accounts.forms import CodeForm
from panel.accounts.models import User
from panel.accounts.views import safe_next

PENDING = "lantern.2fa.pending"  # session: {"user": id, "next": url, "at": unix time}
PENDING_SECONDS = 300
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _login_counters(request: HttpRequest, email: str) -> list[limits.Counter]:
    return [
        ("login-ip", limits.client_ip(request), settings.LOGIN_RATE_IP),
        ("login-account", User.objects.login_address(email), settings.LOGIN_RATE_ACCOUNT),
    ]


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = AuthenticationForm(request, data=request.POST if request.method == "POST" else None)
    next_url = safe_next(request, settings.LOGIN_REDIRECT_URL)
    if request.method == "POST":
        counters = _login_counters(request, str(request.POST.get("username", "")))
        if wait := limits.take(request, counters):  # before the password is checked, atomically
            return limits.too_many(request, "login attempts", wait)
        if not form.is_valid():
            return render(request, "registration/login.html", {"form": form, "next": next_url})
        limits.give_back(request, counters)  # only failures use the allowance up
        user = form.get_user()
        assert isinstance(user, User)
        if twofactor.enabled_for(user):
            request.session[PENDING] = {"user": user.pk, "next": next_url, "at": int(time.time())}
            return redirect("login-code")
        login(request, user, backend=BACKEND)
        return redirect(next_url)
    return render(request, "registration/login.html", {"form": form, "next": next_url})


def _pending_user(request: HttpRequest) -> tuple[User | None, str]:
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None, ""
    user = User.objects.filter(pk=int(pending.get("user", 0)), is_active=True).first()
    return user, str(pending.get("next", ""))


def password_counters(request: HttpRequest, user: User) -> list[limits.Counter]:
    """Wrong current passwords typed by a signed-in user (changing their email or password, deleting the
    account), per client IP and per account, with the login allowances."""
    return [
        ("password-ip", limits.client_ip(request), settings.LOGIN_RATE_IP),
        ("password-account", f"user:{user.pk}", settings.LOGIN_RATE_ACCOUNT),
    ]


def code_counters(request: HttpRequest, user: User) -> list[limits.Counter]:
    """Wrong second-factor codes, per client IP and per account."""
    return [
        ("2fa-ip", limits.client_ip(request), settings.LOGIN_RATE_IP),
        ("2fa-account", f"user:{user.pk}", settings.TWO_FACTOR_RATE),
    ]


def login_code(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the authenticator app, or a recovery code."""
    user, next_url = _pending_user(request)
    if user is None:
        request.session.pop(PENDING, None)
        return redirect("login")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        counters = code_counters(request, user)
        if wait := limits.take(request, counters):  # before the code is checked, atomically
            return limits.too_many(request, "code attempts", wait)
        if form.is_valid() and twofactor.check_code(user, form.cleaned_data["code"]):
            limits.give_back(request, counters)
            request.session.pop(PENDING, None)
            login(request, user, backend=BACKEND)
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
        if form.is_valid():
            form.add_error("code", "that code is not right, or was used already; try the next one")
        return render(request, "registration/login_code.html", {"form": form}, status=400)
    return render(request, "registration/login_code.html", {"form": form})


class ResetForm(PasswordResetForm):
    """Also mails users made without a password (``createsite``), so they can set their first one."""

    def get_users(self, email: str) -> Iterator[User]:
        yield from User.objects.filter(email=email.strip().lower(), is_active=True)


def password_reset(request: HttpRequest) -> HttpResponseBase:
    """Django's reset view with our templates and links on BASE_URL, limited per IP and per address."""
    if request.method == "POST":
        counters = [
            ("reset-ip", limits.client_ip(request), settings.RESET_RATE_IP),
            (
                "reset-account",
                str(request.POST.get("email", "")).strip().lower()[:254],
                settings.RESET_RATE_ACCOUNT,
            ),
        ]
        if wait := limits.over_limit(request, counters):
            return limits.too_many(request, "password reset requests", wait)
        if ResetForm(request.POST).is_valid():
            limits.count(request, counters)
    view = auth_views.PasswordResetView.as_view(
        form_class=ResetForm,
        extra_email_context={"base_url": settings.BASE_URL},
        success_url=reverse_lazy("password_reset_done"),
    )
    response = view(request)
    if request.method == "POST" and response.status_code == 200:
        response.status_code = 400  # the form came back with an error
    return response


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    """Setting a new password through the mailed link also proves the address is theirs."""

    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:  # type: ignore[type-arg]
        response = super().form_valid(form)
        user = form.user
        if isinstance(user, User):
            user.mark_email_verified()
        return response
