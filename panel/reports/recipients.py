"""Who receives a site's reports: members subscribed to that kind, or unsubscribed-by-default roles.

>>> [user.email for user in recipients(site, "weekly")]  # doctest: +SKIP
['owner@example.com']
"""

from __future__ import annotations

from panel.accounts.models import Membership, User
from panel.reports.models import Subscription, subscribed_by_default
from panel.sites.models import Site


def recipients(site: Site, kind: str) -> list[User]:
    choices = {s.user_id: s for s in Subscription.objects.filter(site=site)}
    members = Membership.objects.filter(organisation_id=site.organisation_id, user__is_active=True)
    chosen = []
    for membership in members.select_related("user").order_by("user__email"):
        subscription = choices.get(membership.user_id)
        wanted = subscription.wants(kind) if subscription else subscribed_by_default(membership.role)
        if wanted:
            chosen.append(membership.user)
    return chosen


def set_subscription(site: Site, user: User, kind: str, *, on: bool) -> None:
    """Record a member's choice for one kind of report (the other keeps its default or choice)."""
    membership = Membership.objects.filter(organisation_id=site.organisation_id, user=user).first()
    default = subscribed_by_default(membership.role) if membership else False
    subscription, _ = Subscription.objects.get_or_create(
        site=site, user=user, defaults={"weekly": default, "monthly": default}
    )
    setattr(subscription, kind, on)
    subscription.save(update_fields=[kind, "updated_at"])
