"""API keys belong to a user and reach the sites that user can see, within the key's scopes.

>>> key, raw = ApiKey.objects.issue(user, name="ci")  # doctest: +SKIP
>>> ApiKey.objects.for_raw_key(raw) == key  # doctest: +SKIP
True
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.db import models
from django.utils import timezone

from ingest.keys import KEY_PREFIX, hash_key, looks_like_key
from panel.accounts.models import User

SCOPES = ("stats:read", "events:write", "sites:write")
VISIBLE = 11  # "lk_" and eight characters stay visible in lists


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def for_raw_key(self, raw: str) -> ApiKey | None:
        """The live key matching ``raw``, or None."""
        if not looks_like_key(raw):
            return None
        return self.select_related("user").filter(key_hash=hash_key(raw), revoked_at__isnull=True).first()

    def issue(self, user: User, *, name: str = "", scopes: Iterable[str] = SCOPES) -> tuple[ApiKey, str]:
        """Create a key; returns it and the raw secret, which is never stored or shown again."""
        chosen = sorted(set(scopes))
        unknown = [s for s in chosen if s not in SCOPES]
        if unknown or not chosen:
            raise ValueError(f"scopes must be some of {', '.join(SCOPES)}")
        raw = KEY_PREFIX + secrets.token_urlsafe(36)
        key = self.create(
            user=user, name=name[:100], prefix=raw[:VISIBLE], key_hash=hash_key(raw), scopes=chosen
        )
        return key, raw


class ApiKey(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
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
        return scope in self.scopes

    def touch(self) -> None:
        """Record use, at most once a minute per key."""
        now = timezone.now()
        if self.last_used_at is None or (now - self.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now
