"""API keys belong to a user within one organisation: a key reaches that organisation's sites, within
its scopes, while its user is still a member (``sites:write`` also needs them to be owner or admin).

>>> key, raw = ApiKey.objects.issue(user, organisation=org, name="ci")  # doctest: +SKIP
>>> ApiKey.objects.for_raw_key(raw) == key  # doctest: +SKIP
True
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import models, transaction
from django.utils import timezone

from ingest import revocations
from ingest.keys import KEY_PREFIX, hash_key, looks_like_key
from panel.accounts.models import Membership, Organisation, Role, User, role_at_least

if TYPE_CHECKING:
    from panel.sites.models import SiteQuerySet

SCOPES = ("stats:read", "events:write", "sites:write")
# What each role may put on a key: viewers only read; writing needs an owner or admin.
SCOPE_ROLE = {"stats:read": Role.VIEWER, "events:write": Role.ADMIN, "sites:write": Role.ADMIN}
VISIBLE = 11  # "lk_" and eight characters stay visible in lists


def publish_revocation() -> None:
    """Tell ingest, in every process, once the current transaction commits, that access was taken
    away (a key revoked, a member removed or their role changed): its cached grants load again."""
    transaction.on_commit(revocations.shared().bump)


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def for_raw_key(self, raw: str) -> ApiKey | None:
        """The live key matching ``raw``, or None."""
        if not looks_like_key(raw):
            return None
        return self.select_related("user").filter(key_hash=hash_key(raw), revoked_at__isnull=True).first()

    def for_organisation(self, organisation: Organisation) -> ApiKeyQuerySet:
        """The organisation's live keys, newest first."""
        return self.filter(organisation=organisation, revoked_at__isnull=True).order_by("-created_at")

    def revoke(self) -> int:
        """Revoke the live keys of this queryset, for the Stats API at once and for ingest from its
        next request; returns how many."""
        revoked = self.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        publish_revocation()
        return revoked

    def issue(
        self,
        user: User,
        *,
        organisation: Organisation | None = None,
        name: str = "",
        scopes: Iterable[str] = SCOPES,
    ) -> tuple[ApiKey, str]:
        """Create a key (in the user's first organisation unless told); returns it and the raw secret,
        which is never stored or shown again. Raises ValueError for a scope the user's role may not give.
        """
        organisation = organisation or user.primary_organisation()
        chosen = sorted(set(scopes))
        unknown = [s for s in chosen if s not in SCOPES]
        if unknown or not chosen:
            raise ValueError(f"scopes must be some of {', '.join(SCOPES)}")
        role = Membership.objects.role_for(user, organisation)
        refused = [s for s in chosen if not role_at_least(role, SCOPE_ROLE[s])]
        if refused:
            raise ValueError(f"{', '.join(refused)} needs an owner or admin of {organisation}")
        raw = KEY_PREFIX + secrets.token_urlsafe(36)
        key = self.create(
            user=user,
            organisation=organisation,
            name=name[:100],
            prefix=raw[:VISIBLE],
            key_hash=hash_key(raw),
            scopes=chosen,
        )
        return key, raw


class ApiKey(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=VISIBLE)
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.prefix}… ({', '.join(self.scopes)})"

    def has_scope(self, scope: str) -> bool:
        """Whether the key carries ``scope`` and its user's role still allows it."""
        if scope not in self.scopes:
            return False
        return Membership.objects.has_role(self.user, self.organisation_id, SCOPE_ROLE[scope])

    def sites(self) -> SiteQuerySet:
        """The sites this key reaches: its organisation's, while its user is a member there."""
        from panel.sites.models import Site

        return Site.objects.filter(
            organisation_id=self.organisation_id, organisation__memberships__user_id=self.user_id
        )

    def revoke(self) -> None:
        """Revoke this key (see ``ApiKeyQuerySet.revoke``)."""
        ApiKey.objects.filter(pk=self.pk).revoke()
        self.refresh_from_db(fields=["revoked_at"])

    def touch(self) -> None:
        """Record use, at most once a minute per key."""
        now = timezone.now()
        if self.last_used_at is None or (now - self.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now
