"""``/account/delete/``: what deleting the account does to each organisation (``closing``), then the
deletion, confirmed by typing the account's address and its password. GET changes nothing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from panel.accounts import limits
from panel.accounts.account_forms import DeleteAccountForm
from panel.accounts.account_views import wrong_password
from panel.accounts.closing import Blocked, blocked_message, delete_account, plan_for
from panel.accounts.login_views import password_counters
from panel.accounts.models import User


def _page(request: HttpRequest, user: User, form: DeleteAccountForm, status: int = 200) -> HttpResponse:
    plan = plan_for(user)
    context = {
        "plan": plan,
        "domains": plan.domains(),
        "blocked_message": blocked_message(plan.blocked) if plan.blocked else "",
        "form": form,
    }
    return render(request, "accounts/delete_account.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if request.method != "POST":
        return _page(request, user, DeleteAccountForm(user=user))
    guesses = password_counters(request, user)
    if wait := limits.take(request, guesses):
        return limits.too_many(request, "password attempts", wait)
    form = DeleteAccountForm(request.POST, user=user)
    valid = form.is_valid()
    if not wrong_password(form):
        limits.give_back(request, guesses)
    if not valid:
        return _page(request, user, form, status=400)
    email = user.email
    try:
        delete_account(user)
    except Blocked as exc:
        form.add_error(None, str(exc))
        return _page(request, user, form, status=400)
    logout(request)
    messages.success(request, f"The account {email} is deleted, with everything listed on that page.")
    return redirect("login")
