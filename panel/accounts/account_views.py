"""The account page: the address (changed by a link mailed to the new one), the password, two-factor
and organisations, and the way to delete the account (``closing_views``).

Every form here takes the current password, counted as a guess before it is checked
(``password_counters``, the login allowances); a wrong one is an error on that field, never a 500.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from panel.accounts import limits, mail, twofactor
from panel.accounts.account_forms import EmailChangeForm, NewPasswordForm, RecoveryCodesForm
from panel.accounts.forms import CodeForm
from panel.accounts.login_views import password_counters
from panel.accounts.models import Membership, User
from panel.accounts.roles import signed_in_user
from panel.accounts.tokens import TokenError, read_email_change
from panel.sites.models import Site


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def account_page(request: HttpRequest, user: User, status: int = 200, **forms: Form) -> HttpResponse:
    """The page with blank forms, but for those given (with their errors)."""
    context: dict[str, Any] = {
        "two_factor": twofactor.enabled_for(user),
        "codes_left": twofactor.recovery_codes_left(user),
        "memberships": Membership.objects.filter(user=user).select_related("organisation"),
        "sites": Site.objects.for_user(user).select_related("organisation").order_by("domain"),
        "email_form": EmailChangeForm(user=user, prefix="email"),
        "password_form": NewPasswordForm(user),
        "codes_form": RecoveryCodesForm(prefix="codes"),
        "disable_form": CodeForm(),
        **forms,
    }
    return render(request, "accounts/account.html", context, status=status)


def wrong_password(form: Form, field: str = "password") -> bool:
    """Whether the form refused the current password typed in ``field`` (a guess that failed)."""
    return form.has_error(field, "wrong_password") or form.has_error(field, "password_incorrect")


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return account_page(request, _user(request))


@login_required
@require_POST
def email_change(request: HttpRequest) -> HttpResponse:
    """Mail a link to the new address (or, when it has an account already, a note saying nothing
    changes: the page answers the same, so it tells no one which addresses have accounts)."""
    user = _user(request)
    mails = ("email-change", f"user:{user.pk}", settings.EMAIL_CHANGE_RATE)
    if wait := limits.over_limit(request, [mails]):
        return limits.too_many(request, "address changes", wait)
    guesses = password_counters(request, user)
    if wait := limits.take(request, guesses):
        return limits.too_many(request, "password attempts", wait)
    form = EmailChangeForm(request.POST, user=user, prefix="email")
    valid = form.is_valid()
    if not wrong_password(form):
        limits.give_back(request, guesses)
    if not valid:
        return account_page(request, user, status=400, email_form=form)
    limits.count(request, [mails])
    new_email = form.cleaned_data["email"]
    taken = User.objects.filter(email=new_email).exists()
    sent = mail.send_email_taken(new_email) if taken else mail.send_email_change(user, new_email)
    if sent:
        messages.success(
            request,
            f"We sent a link to {new_email}. Your address changes to it when you follow the link "
            "(within 24 hours); until then you log in with this one.",
        )
    else:
        messages.error(request, "We could not send the mail just now; try again in a few minutes.")
    return redirect("account")


@require_http_methods(["GET", "POST"])
def email_change_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The mailed link: GET asks (a mail scanner following links changes nothing), POST moves the
    account to the new address and tells the old one. Works whoever is signed in on this browser."""
    try:
        user_id, old_email, new_email = read_email_change(token)
    except TokenError as exc:
        return _link_failed(request, f"{exc} Ask for a new one on your account page.")
    user = User.objects.filter(pk=user_id, email=old_email).first()
    if user is None:
        return _link_failed(
            request, "This link was for an address change that is done or no longer possible."
        )
    taken = f"{new_email} cannot be used: it has a Lantern account of its own."
    if User.objects.filter(email=new_email).exists():
        return _link_failed(request, taken)
    if request.method != "POST":
        return render(request, "accounts/email_change_confirm.html", {"old": old_email, "new": new_email})
    try:
        with transaction.atomic():
            changed = User.objects.filter(pk=user.pk, email=old_email).update(
                email=new_email, email_verified_at=timezone.now()
            )
    except IntegrityError:  # the address got an account at this very moment
        return _link_failed(request, taken)
    if not changed:  # moved by another link at this very moment
        return _link_failed(
            request, "This link was for an address change that is done or no longer possible."
        )
    mail.send_email_changed(old_email, new_email)
    messages.success(request, f"Your address is now {new_email}.")
    signed_in = signed_in_user(request)
    return redirect("account" if signed_in is not None and signed_in.pk == user.pk else "login")


def _link_failed(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "accounts/link_failed.html", {"message": message}, status=400)


@login_required
@require_POST
def password_change(request: HttpRequest) -> HttpResponse:
    """A new password, given the current one; this browser stays signed in, every other one is
    signed out (Django's session hash)."""
    user = _user(request)
    guesses = password_counters(request, user)
    if wait := limits.take(request, guesses):
        return limits.too_many(request, "password attempts", wait)
    form = NewPasswordForm(user, request.POST)
    valid = form.is_valid()
    if not wrong_password(form, "old_password"):
        limits.give_back(request, guesses)
    if not valid:
        return account_page(request, user, status=400, password_form=form)
    form.save()
    update_session_auth_hash(request, form.user)
    messages.success(
        request, "Your password is changed. Other browsers signed in to your account are signed out."
    )
    return redirect("account")
