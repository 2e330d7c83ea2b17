"""Sign up and confirm the email address: the signed link mailed on sign-up, the reminder page, a resend."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from panel.accounts import limits, mail
from panel.accounts.forms import SignupForm
from panel.accounts.models import User
from panel.accounts.roles import signed_in_user
from panel.accounts.tokens import TokenError, read_verification


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` parameter when it points into this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("sites")
    form = SignupForm(
        request.POST if request.method == "POST" else None,
        initial={"email": request.GET.get("email", "")[:254]},
    )
    if request.method == "POST" and form.is_valid():
        user = User.objects.create_with_organisation(
            form.cleaned_data["email"], form.cleaned_data["password"], verified=False
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if not mail.send_verification(user):
            messages.error(request, "We could not send the confirmation mail just now; send it again below.")
        limits.count(request, [_resend_counter(user)])
        return redirect(safe_next(request, "/verify/"))
    context = {"form": form, "next": safe_next(request, "")}
    return render(request, "accounts/signup.html", context, status=400 if form.errors else 200)


def _resend_counter(user: User) -> limits.Counter:
    return ("verify-resend", f"user:{user.pk}", settings.VERIFY_RESEND_RATE)


def verify_needed(request: HttpRequest) -> HttpResponse:
    """The page an unverified user sees instead of dashboards and settings."""
    user = signed_in_user(request)
    if user is None:
        return redirect("login")
    if user.email_verified:
        return redirect("sites")
    return render(request, "accounts/verify_needed.html", {"email": user.email})


@require_POST
def verify_resend(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if user is None:
        return redirect("login")
    if user.email_verified:
        return redirect("sites")
    counter = _resend_counter(user)
    if wait := limits.over_limit(request, [counter]):
        return limits.too_many(request, "confirmation mails", wait)
    limits.count(request, [counter])
    if mail.send_verification(user):
        messages.success(request, f"We sent a new link to {user.email}.")
    else:
        messages.error(request, "We could not send the mail just now; try again in a minute.")
    return redirect("verify-email-needed")


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """The mailed link: confirms the address it was sent to, whoever is logged in on this browser."""
    try:
        user_id, email = read_verification(token)
    except TokenError as exc:
        return _link_failed(request, f"{exc} Log in and send yourself a new one.")
    user = User.objects.filter(pk=user_id, email=email).first()
    if user is None:
        return _link_failed(request, "This link is for an address that is no longer on any account.")
    user.mark_email_verified()
    messages.success(request, f"Thank you: {user.email} is confirmed.")
    signed_in = signed_in_user(request)
    return redirect("site-new" if signed_in is not None and signed_in.pk == user.pk else "login")


def _link_failed(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "accounts/link_failed.html", {"message": message}, status=400)
