"""Following an invitation link: log in or sign up with the invited address, then accept.

Expired (48 hours), accepted, withdrawn or tampered links answer 400 with a page saying which.
Accepting also confirms the address, since the link was mailed to it.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from panel.accounts.models import Invitation, Membership, User
from panel.accounts.roles import signed_in_user, switch_organisation
from panel.accounts.tokens import TokenError, read_invitation


class InvitationError(Exception):
    pass


def _live_invitation(token: str, *, lock: bool = False) -> Invitation:
    try:
        invitation_id = read_invitation(token)
    except TokenError as exc:
        raise InvitationError(f"{exc} Ask for a new invitation.") from None
    invitations = Invitation.objects.select_related("organisation", "invited_by")
    invitation = (
        (invitations.select_for_update(of=("self",)) if lock else invitations)
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        raise InvitationError("This invitation no longer exists.")
    if invitation.revoked_at is not None:
        raise InvitationError("This invitation was withdrawn.")
    if invitation.accepted_at is not None:
        raise InvitationError("This invitation has been used already.")
    return invitation


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = _live_invitation(token)
    except InvitationError as exc:
        return render(request, "accounts/link_failed.html", {"message": str(exc)}, status=400)
    user = signed_in_user(request)
    context = {
        "invitation": invitation,
        "user_matches": user is not None and user.email == invitation.email,
        "here": reverse("invitation", args=[token]),
    }
    if request.method == "POST" and context["user_matches"] and user is not None:
        return _accept(request, token, user)
    return render(request, "accounts/invitation.html", context)


def _accept(request: HttpRequest, token: str, user: User) -> HttpResponse:
    with transaction.atomic():
        try:
            invitation = _live_invitation(token, lock=True)
        except InvitationError as exc:
            return render(request, "accounts/link_failed.html", {"message": str(exc)}, status=400)
        Membership.objects.get_or_create(
            user=user, organisation=invitation.organisation, defaults={"role": invitation.role}
        )
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
    user.mark_email_verified()
    switch_organisation(request, invitation.organisation)
    messages.success(request, f"Welcome to {invitation.organisation.name}.")
    return redirect("organisation", org_id=invitation.organisation_id)
