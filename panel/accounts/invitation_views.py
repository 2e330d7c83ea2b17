"""Following an invitation link: log in or sign up with the invited address, then accept.

Expired (48 hours), accepted, withdrawn or tampered links answer 400 with a page saying which.
The link was mailed to the invited address, so it confirms that address: accepting marks it verified,
and signing up from the invitation page with that address needs no confirmation mail
(``invitation_named`` finds the invitation in the sign-up's ``next``). Accepting asks whether the
organisation becomes the current one (where new sites go) and the message after it says which is.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from panel.accounts.models import Invitation, Membership, Organisation, Role, User
from panel.accounts.roles import current_organisation, signed_in_user, switch_organisation
from panel.accounts.tokens import TokenError, read_invitation
from panel.sites.landing import organisation_landing


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


def invitation_named(next_url: str) -> Invitation | None:
    """The live invitation whose page ``next_url`` is (where a sign-up came from), else None."""
    try:
        match = resolve(urlsplit(next_url).path)
    except Resolver404:
        return None
    if match.url_name != "invitation":
        return None
    try:
        return _live_invitation(str(match.kwargs["token"]))
    except InvitationError:
        return None


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = _live_invitation(token)
    except InvitationError as exc:
        return render(request, "accounts/link_failed.html", {"message": str(exc)}, status=400)
    user = signed_in_user(request)
    matches = user is not None and user.email == invitation.email
    if request.method == "POST" and user is not None and matches:
        return _accept(request, token, user, switch=request.POST.get("switch") == "on")
    context: dict[str, object] = {
        "invitation": invitation,
        "user_matches": matches,
        "here": reverse("invitation", args=[token]),
    }
    if user is not None and matches:
        context.update(
            current=current_organisation(request, user),
            elsewhere=_member_elsewhere(user, invitation.organisation),
            switch_by_default=invitation.role == Role.ADMIN,  # a viewer cannot add sites there
        )
    return render(request, "accounts/invitation.html", context)


def _member_elsewhere(user: User, organisation: Organisation) -> bool:
    """Whether the user is in another organisation too (else the one they join is their current one)."""
    return Membership.objects.filter(user=user).exclude(organisation=organisation).exists()


def _accept(request: HttpRequest, token: str, user: User, *, switch: bool) -> HttpResponse:
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
    joined = invitation.organisation
    elsewhere = _member_elsewhere(user, joined)
    if switch or not elsewhere:
        switch_organisation(request, joined)
        where = f"{joined.name} is now your current organisation: sites you add go there."
        if elsewhere:
            where += " Switch back on the Organisations page."
    else:
        where = (
            f"Your current organisation is still {current_organisation(request, user).name}: sites you "
            "add go there. Switch on the Organisations page."
        )
    messages.success(request, f"You joined {joined.name} as {invitation.role}. {where}")
    return redirect(organisation_landing(joined))
