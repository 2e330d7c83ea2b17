"""Organisations: the list and switching, renaming (the owner), members and roles, invitations,
removing (asked first), ownership transfer.

Every view with ``org_id`` goes through ``requires_role``: a non-member gets 404, a viewer trying to
manage gets 403. Owners and admins manage members; only the owner transfers ownership.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from panel.accounts import limits, mail
from panel.accounts.forms import InviteForm, OrganisationForm, RoleForm, TransferForm
from panel.accounts.models import (
    Invitation,
    Membership,
    Organisation,
    OwnershipError,
    Role,
    User,
    role_at_least,
)
from panel.accounts.roles import OrgRequest, current_organisation, requires_role, switch_organisation
from panel.apikeys.models import ApiKey, publish_revocation
from panel.confirm import confirm_page


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
def organisations(request: HttpRequest) -> HttpResponse:
    """The user's organisations; POST makes a new one, which they own."""
    user = _user(request)
    form = OrganisationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            organisation = Organisation.objects.create(name=form.cleaned_data["name"])
            Membership.objects.create(user=user, organisation=organisation, role=Role.OWNER)
        switch_organisation(request, organisation)
        return redirect("organisation", org_id=organisation.pk)
    context = {
        "memberships": Membership.objects.filter(user=user).select_related("organisation").order_by("id"),
        "current": current_organisation(request, user),
        "form": form,
    }
    return render(request, "accounts/organisations.html", context, status=400 if form.errors else 200)


@requires_role(Role.VIEWER)
@require_POST
def switch(request: OrgRequest, org_id: int) -> HttpResponse:
    switch_organisation(request, request.organisation)
    messages.success(request, f"Now working in {request.organisation.name}.")
    return redirect("sites")


def _members_page(
    request: OrgRequest,
    invite_form: InviteForm | None = None,
    transfer_form: TransferForm | None = None,
    rename_form: OrganisationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    organisation = request.organisation
    manages = role_at_least(request.membership.role, Role.ADMIN)
    context = {
        "organisation": organisation,
        "membership": request.membership,
        "manages": manages,
        "members": organisation.memberships.select_related("user").order_by("created_at"),
        "invitations": organisation.invitations.filter(accepted_at=None, revoked_at=None).order_by(
            "-created_at"
        )
        if manages
        else [],
        "invite_form": invite_form or InviteForm(organisation=organisation),
        "role_choices": RoleForm.base_fields["role"].choices,  # type: ignore[attr-defined]
        "transfer_form": transfer_form or TransferForm(organisation=organisation),
        "rename_form": rename_form or OrganisationForm(initial={"name": organisation.name}, prefix="rename"),
    }
    return render(request, "accounts/organisation.html", context, status=status)


@requires_role(Role.VIEWER)
def organisation(request: OrgRequest, org_id: int) -> HttpResponse:
    return _members_page(request)


@requires_role(Role.OWNER)
@require_POST
def rename(request: OrgRequest, org_id: int) -> HttpResponse:
    form = OrganisationForm(request.POST, prefix="rename")
    if not form.is_valid():
        return _members_page(request, rename_form=form, status=400)
    old_name = request.organisation.name
    request.organisation.name = form.cleaned_data["name"]
    request.organisation.save(update_fields=["name"])
    messages.success(request, f"{old_name} is now called {request.organisation.name}.")
    return redirect("organisation", org_id=org_id)


@requires_role(Role.ADMIN)
@require_POST
def invite(request: OrgRequest, org_id: int) -> HttpResponse:
    counter = ("invite", f"org:{request.organisation.pk}", settings.INVITE_RATE)
    if wait := limits.over_limit(request, [counter]):
        return limits.too_many(request, "invitations", wait)
    form = InviteForm(request.POST, organisation=request.organisation)
    if not form.is_valid():
        return _members_page(request, invite_form=form, status=400)
    limits.count(request, [counter])
    email = form.cleaned_data["email"]
    Invitation.objects.filter(organisation=request.organisation, email=email, accepted_at=None).update(
        revoked_at=timezone.now()
    )  # one live invitation per address: the newest
    invitation = Invitation.objects.create(
        organisation=request.organisation,
        email=email,
        role=form.cleaned_data["role"],
        invited_by=request.user,
    )
    if mail.send_invitation(invitation):
        messages.success(request, f"Invitation sent to {email}; it works for 48 hours.")
    else:
        messages.error(request, f"The invitation for {email} is saved but the mail could not be sent.")
    return redirect("organisation", org_id=org_id)


@requires_role(Role.ADMIN)
@require_POST
def revoke_invitation(request: OrgRequest, org_id: int, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=invitation_id, organisation=request.organisation)
    if invitation.pending:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        messages.success(request, f"The invitation for {invitation.email} is withdrawn.")
    return redirect("organisation", org_id=org_id)


@requires_role(Role.ADMIN)
@require_POST
def change_role(request: OrgRequest, org_id: int, member_id: int) -> HttpResponse:
    member = get_object_or_404(Membership, pk=member_id, organisation=request.organisation)
    form = RoleForm(request.POST)
    if member.role == Role.OWNER:
        messages.error(request, "The owner's role changes only by transferring ownership.")
        return redirect("organisation", org_id=org_id)
    if not form.is_valid():
        messages.error(request, "role: choose admin or viewer")
        return redirect("organisation", org_id=org_id)
    member.role = form.cleaned_data["role"]
    member.save(update_fields=["role"])
    publish_revocation()  # a demoted member's keys lose their writing scopes at ingest at once
    messages.success(request, f"{member.user.email} is now {member.role}.")
    return redirect("organisation", org_id=org_id)


@requires_role(Role.VIEWER)
@require_http_methods(["GET", "POST"])
def remove_member(request: OrgRequest, org_id: int, member_id: int) -> HttpResponse:
    """Owners and admins remove others; anyone but the owner may leave. GET asks, POST acts."""
    member = get_object_or_404(Membership, pk=member_id, organisation=request.organisation)
    leaving = member.pk == request.membership.pk
    if not leaving and not role_at_least(request.membership.role, Role.ADMIN):
        raise PermissionDenied("only owners and admins remove members")
    if member.role == Role.OWNER:
        messages.error(request, "The owner cannot be removed; transfer ownership first.")
        return redirect("organisation", org_id=org_id)
    if request.method != "POST":
        name = request.organisation.name
        return confirm_page(
            request,
            question=f"Leave {name}?" if leaving else f"Remove {member.user.email} from {name}?",
            consequence=(
                "You lose access to its sites, and your API keys for it are revoked. Only an invitation "
                "brings you back."
                if leaving
                else "They lose access to its sites, and their API keys for it are revoked. Only a new "
                "invitation brings them back."
            ),
            action="Leave" if leaving else "Remove member",
            cancel_url=reverse("organisation", args=[org_id]),
        )
    with transaction.atomic():
        ApiKey.objects.filter(user=member.user, organisation=request.organisation).revoke()
        member.delete()
    if leaving:
        messages.success(request, f"You left {request.organisation.name}.")
        return redirect("organisations")
    messages.success(request, f"{member.user.email} is no longer a member.")
    return redirect("organisation", org_id=org_id)


@requires_role(Role.OWNER)
@require_POST
def transfer(request: OrgRequest, org_id: int) -> HttpResponse:
    form = TransferForm(request.POST, organisation=request.organisation)
    if not form.is_valid():
        return _members_page(request, transfer_form=form, status=400)
    target: Membership = form.cleaned_data["member"]
    try:
        Membership.objects.transfer_ownership(request.organisation, target)
    except OwnershipError as exc:
        form.add_error("member", str(exc))
        return _members_page(request, transfer_form=form, status=400)
    messages.success(request, f"{target.user.email} now owns {request.organisation.name}; you are an admin.")
    return redirect("organisation", org_id=org_id)
