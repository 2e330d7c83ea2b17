"""Sign up and confirm the email address: the signed link mailed on sign-up, the reminder page, a resend.

Sign-up never tells whether an address has an account: both answers are "check your mail", and the
owner of an existing account gets a mail saying someone tried (or their confirmation link again).
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from panel.accounts import limits, mail
from panel.accounts.forms import SignupForm
from panel.accounts.invitation_views import invitation_named
from panel.accounts.models import User
from panel.accounts.roles import signed_in_user
from panel.accounts.tokens import TokenError, read_verification
from panel.sites.landing import landing

SIGNED_UP = "lantern.signup.sent"  # session: {"email": the address signed up with, "next": url}


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` parameter when it points into this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def signup(request: HttpRequest) -> HttpResponse:
    """Sign-up answers the same whether or not the address has an account (no login here: the mailed
    link confirms the address, then the user logs in); an existing user is mailed instead. A new
    account signing up from an invitation's page with the invited address is confirmed by that link:
    it is logged in and sent back to the invitation, to accept it."""
    if request.user.is_authenticated:
        return redirect("sites")
    form = SignupForm(
        request.POST if request.method == "POST" else None,
        initial={"email": request.GET.get("email", "")[:254]},
    )
    invitation = invitation_named(safe_next(request, ""))
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if invitation is not None and invitation.email.lower() == email:
            invited = _sign_up_invited(email, form.cleaned_data["password"])
            if invited is not None:
                login(request, invited)
                messages.success(
                    request, f"Your account is ready. {email} is confirmed: the invitation was mailed to it."
                )
                return redirect(safe_next(request, ""))
        if not _sign_up(request, email, form.cleaned_data["password"]):
            messages.error(request, "We could not send the mail just now; sign up again in a few minutes.")
        request.session[SIGNED_UP] = {"email": email, "next": safe_next(request, "")}
        return redirect("signup-sent")
    context = {"form": form, "next": safe_next(request, ""), "invitation": invitation}
    return render(request, "accounts/signup.html", context, status=400 if form.errors else 200)


def _sign_up_invited(email: str, password: str) -> User | None:
    """A new account, verified (the invitation link it came from was mailed to ``email``); None when
    the address has an account already, which then gets the usual answer and mail."""
    if User.objects.filter(email=email).exists():
        return None
    try:
        return User.objects.create_with_organisation(email, password, verified=True)
    except IntegrityError:  # signed up at this very moment by another request
        return None


def _sign_up(request: HttpRequest, email: str, password: str) -> bool:
    """A new unverified account mailed its confirmation link; for an address that has an account
    already, a mail to its owner (the link again if never confirmed). False when the mail failed."""
    existing = User.objects.filter(email=email).first()
    if existing is None:
        try:
            user = User.objects.create_with_organisation(email, password, verified=False)
        except IntegrityError:  # signed up at this very moment by another request
            existing = User.objects.get(email=email)
        else:
            limits.count(request, [_resend_counter(user)])
            return mail.send_verification(user)
    make_password(password)  # the time hashing takes, as for a new account: timing tells nothing
    if limits.take(request, [_resend_counter(existing)]):
        return True  # mailed enough this hour; the answer stays the same
    if not existing.email_verified:
        return mail.send_verification(existing)
    return mail.send_signup_attempt(existing)


def signup_sent(request: HttpRequest) -> HttpResponse:
    """After sign-up: check your mail, then log in."""
    sent = request.session.get(SIGNED_UP)
    if not isinstance(sent, dict):
        return redirect("signup")
    # A self-hoster without a mail server is told where the mail went (the file backend's folder).
    files = settings.EMAIL_BACKEND == "panel.accounts.mail_files.PrivateFileBackend"
    mail_folder = settings.EMAIL_FILE_PATH if files else ""
    context = {"email": sent["email"], "next": sent["next"], "mail_folder": mail_folder}
    return render(request, "accounts/signup_sent.html", context)


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
    """The mailed link: confirms the address it was sent to, whoever is logged in on this browser, then
    lands on what the user may open (``panel.sites.landing``), after logging in if need be."""
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
    if signed_in is not None and signed_in.pk == user.pk:
        return redirect(landing(request, user))
    return redirect(f"{reverse('login')}?next={quote(landing(request, user), safe='/')}")


def _link_failed(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "accounts/link_failed.html", {"message": message}, status=400)
