"""Deleting an account, and what becomes of the organisations it belongs to.

As on Plausible: an organisation the user owns alone (no other member) is deleted with the account,
with its sites and all their stats; one they own with other members must first be given to one of
them (transfer ownership) or emptied, so no one loses a dashboard they use; the others they just leave.

    plan = plan_for(user)
    if not plan.blocked:
        delete_account(user)  # raises Blocked if someone joined meanwhile
"""

from __future__ import annotations

import dataclasses

from django.db import transaction
from django.db.models import Count

from panel.accounts.models import Membership, Organisation, Role, User
from panel.apikeys.models import ApiKey
from panel.reports.full_export import delete_files_requested_by
from panel.sites.removal import delete_site_and_data


class Blocked(Exception):
    """The account owns an organisation with other members; the message names them."""


@dataclasses.dataclass(frozen=True)
class Plan:
    deleted: list[Organisation]  # owned alone: deleted, with their sites
    blocked: list[Organisation]  # owned with others: ownership must move first
    left: list[Organisation]  # the user is a member only: they leave

    def domains(self) -> list[str]:
        return sorted(site.domain for org in self.deleted for site in org.sites.all())


def plan_for(user: User) -> Plan:
    memberships = list(
        Membership.objects.filter(user=user)
        .select_related("organisation")
        .order_by("organisation__name", "organisation_id")
    )
    sizes = dict(
        Membership.objects.filter(organisation_id__in=[m.organisation_id for m in memberships])
        .values("organisation_id")
        .annotate(members=Count("id"))
        .values_list("organisation_id", "members")
    )
    deleted, blocked, left = [], [], []
    for membership in memberships:
        organisation = membership.organisation
        if membership.role != Role.OWNER:
            left.append(organisation)
        elif sizes[organisation.pk] > 1:
            blocked.append(organisation)
        else:
            deleted.append(organisation)
    return Plan(deleted, blocked, left)


def blocked_message(blocked: list[Organisation]) -> str:
    names = ", ".join(org.name for org in blocked)
    return (
        f"You own {names} with other members. Transfer its ownership to one of them (or remove them) "
        "first, so they keep its dashboards."
        if len(blocked) == 1
        else f"You own {names} with other members. Transfer their ownership to one of their members (or "
        "remove the others) first, so they keep their dashboards."
    )


def _still_alone(user: User, organisations: list[Organisation]) -> None:
    """Lock the organisations' memberships; raise Blocked if any has gained a member since the plan."""
    ids = [org.pk for org in organisations]
    members = Membership.objects.select_for_update().filter(organisation_id__in=ids)
    joined = {m.organisation_id for m in members if m.user_id != user.pk}
    if joined:
        raise Blocked(blocked_message([org for org in organisations if org.pk in joined]))


def delete_account(user: User) -> Plan:
    """Delete the user, the organisations they own alone with every site of them (and its stats in
    ClickHouse), their exports' files; revoke their API keys at ingest. Raises Blocked, having deleted
    nothing, when they own an organisation with others (the plan is checked again under lock)."""
    plan = plan_for(user)
    if plan.blocked:
        raise Blocked(blocked_message(plan.blocked))
    with transaction.atomic():
        _still_alone(user, plan.deleted)
        for organisation in plan.deleted:
            for site in organisation.sites.all():
                delete_site_and_data(site)  # a savepoint each; ClickHouse's rows go last in it
        delete_files_requested_by(user)
        ApiKey.objects.filter(user=user).revoke()  # tells ingest at commit, before the rows go
        Organisation.objects.filter(pk__in=[org.pk for org in plan.deleted]).delete()
        user.delete()
    return plan
