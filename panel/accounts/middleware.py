"""A signed-in user who has not confirmed their email yet reaches only the pages that get them there.

Every other page redirects to the "verify your email" page (JSON endpoints answer 403), so a page
added later is covered without doing anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from panel.accounts.models import User

# URL names an unverified user may open: the reminder, the link, a resend, an invitation or a change
# of address (their links prove an address too), a password reset by mail, logging in and out, the
# API reference.
ALLOWED = frozenset(
    {
        "verify-email-needed",
        "verify-email",
        "verify-email-resend",
        "invitation",
        "email-change-confirm",
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
        "login",
        "login-code",
        "logout",
        "api-docs",
    }
)


class VerifiedEmailRequired:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not isinstance(user, User) or not user.is_authenticated or user.email_verified:
            return None
        match = request.resolver_match
        if match is not None and match.url_name in ALLOWED:
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"error": "confirm your email address first"}, status=403)
        return redirect("verify-email-needed")
