"""The account mails (verification, invitations, a change of address), rendered from templates and sent
through Django's mail API.

Links are absolute, built on ``BASE_URL``. A mail server that fails is logged and reported to the
caller as False, so a page can say so instead of failing.
"""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from panel.accounts.models import Invitation, User
from panel.accounts.tokens import email_change_token, invitation_token, verification_token

log = logging.getLogger(__name__)


def absolute(path: str) -> str:
    return f"{settings.BASE_URL}{path}"


def _send(subject: str, template: str, context: dict[str, object], to: str) -> bool:
    body = render_to_string(template, context)
    try:
        send_mail(subject, body, None, [to])
    except (smtplib.SMTPException, OSError):
        log.exception("could not send %r to %s", subject, to)
        return False
    return True


def send_verification(user: User) -> bool:
    link = absolute(reverse("verify-email", args=[verification_token(user)]))
    return _send("Confirm your email for Lantern", "accounts/email/verify.txt", {"link": link}, user.email)


def send_invitation(invitation: Invitation) -> bool:
    link = absolute(reverse("invitation", args=[invitation_token(invitation.pk)]))
    context = {"invitation": invitation, "link": link, "inviter": invitation.invited_by}
    subject = f"You are invited to {invitation.organisation.name} on Lantern"
    return _send(subject, "accounts/email/invitation.txt", context, invitation.email)


def send_signup_attempt(user: User) -> bool:
    """To an account's owner when someone signs up with their address: how to log in or reset."""
    context: dict[str, object] = {
        "login": absolute(reverse("login")),
        "reset": absolute(reverse("password_reset")),
    }
    return _send(
        "Someone tried to sign up for Lantern with your email",
        "accounts/email/signup_attempt.txt",
        context,
        user.email,
    )


def send_email_change(user: User, new_email: str) -> bool:
    """To the new address: the link that makes it the account's address."""
    link = absolute(reverse("email-change-confirm", args=[email_change_token(user, new_email)]))
    context: dict[str, object] = {"link": link, "old": user.email, "new": new_email}
    return _send("Confirm your new email for Lantern", "accounts/email/change_email.txt", context, new_email)


def send_email_taken(new_email: str) -> bool:
    """To an address that already has an account, instead of a link: nothing will change."""
    context: dict[str, object] = {"login": absolute(reverse("login"))}
    subject = "Someone tried to move a Lantern account to your email"
    return _send(subject, "accounts/email/change_email_taken.txt", context, new_email)


def send_email_changed(old_email: str, new_email: str) -> bool:
    """To the address an account had, once it has moved: what happened, and what to do if it was not them."""
    context: dict[str, object] = {"old": old_email, "new": new_email}
    return _send("Your Lantern email was changed", "accounts/email/email_changed.txt", context, old_email)
