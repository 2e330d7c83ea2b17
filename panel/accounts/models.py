"""Users log in by email; every site belongs to an organisation, and users reach it as members.

Roles rank viewer < admin < owner; each organisation has exactly one owner (a partial unique
constraint, and ownership only moves by ``Membership.objects.transfer_ownership``):

>>> Membership.objects.role_for(user, organisation)  # doctest: +SKIP
'admin'
>>> Membership.objects.has_role(user, organisation, "admin")  # doctest: +SKIP
True
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from panel.accounts.sealed import SealedCharField


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(
        self, email: str, password: str | None = None, *, verified: bool = True, **extra: Any
    ) -> User:
        """A user; ``verified=False`` for sign-ups, who must follow the link mailed to them first.

        Users made by an operator (``createsite``) or by tests count as verified."""
        if not email:
            raise ValueError("an email address is required")
        extra.setdefault("email_verified_at", timezone.now() if verified else None)
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        return self.create_user(email, password, is_staff=True, is_superuser=True, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        """Logging in finds the address however it is typed (addresses are stored lower-case)."""
        return self.get(email=(username or "").strip().lower())

    def login_address(self, username: str) -> str:
        """The address a login form's username finds: Django's form normalises it (NFKC), then
        ``get_by_natural_key`` looks it up lower-case, so ``ALICE@a.test`` with a fullwidth A is
        ``alice@a.test``.
        Per-account login limits count on this, whichever way the address is typed."""
        from django.contrib.auth.forms import UsernameField  # imports this model: not at the top

        field = UsernameField(required=False, max_length=self.model._meta.get_field("email").max_length)
        return str(field.to_python(username)).strip().lower()

    @transaction.atomic
    def create_with_organisation(
        self, email: str, password: str | None = None, *, verified: bool = True
    ) -> User:
        """A new user with an organisation of their own, which they own."""
        user = self.create_user(email, password, verified=verified)
        organisation = Organisation.objects.create(name=email.split("@")[0])
        Membership.objects.create(user=user, organisation=organisation, role=Membership.Role.OWNER)
        return user


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(auto_now_add=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()

    def __str__(self) -> str:
        return self.email

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def mark_email_verified(self) -> None:
        if self.email_verified_at is None:
            self.email_verified_at = timezone.now()
            self.save(update_fields=["email_verified_at"])

    def primary_organisation(self) -> Organisation:
        membership = self.memberships.select_related("organisation").order_by("id").first()
        if membership is None:
            organisation = Organisation.objects.create(name=self.email.split("@")[0])
            Membership.objects.create(user=self, organisation=organisation, role=Membership.Role.OWNER)
            return organisation
        return membership.organisation


class Organisation(models.Model):
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner"
    ADMIN = "admin"
    VIEWER = "viewer"


RANK = {Role.VIEWER: 1, Role.ADMIN: 2, Role.OWNER: 3}


def role_at_least(role: str | None, needed: str) -> bool:
    """Whether ``role`` (None: not a member) carries what ``needed`` may do.

    >>> role_at_least("owner", "admin"), role_at_least("viewer", "admin"), role_at_least(None, "viewer")
    (True, False, False)
    """
    return role is not None and RANK[Role(role)] >= RANK[Role(needed)]


class OwnershipError(Exception):
    """A change that would leave an organisation without exactly one owner."""


class MembershipQuerySet(models.QuerySet["Membership"]):
    def role_for(self, user: User, organisation: Organisation | int) -> str | None:
        """The user's role in the organisation, or None when they are not a member."""
        org_id = organisation if isinstance(organisation, int) else organisation.pk
        return self.filter(user=user, organisation_id=org_id).values_list("role", flat=True).first()

    def has_role(self, user: User, organisation: Organisation | int, needed: str) -> bool:
        return role_at_least(self.role_for(user, organisation), needed)

    @transaction.atomic
    def transfer_ownership(self, organisation: Organisation, to: Membership) -> None:
        """The member ``to`` becomes the owner; the old owner becomes an admin. One owner throughout."""
        members = {m.pk: m for m in self.select_for_update().filter(organisation=organisation)}
        target = members.get(to.pk)
        owner = next((m for m in members.values() if m.role == Role.OWNER), None)
        if target is None or owner is None:
            raise OwnershipError("the new owner must be a member of this organisation")
        if target.pk == owner.pk:
            raise OwnershipError("they already own this organisation")
        self.filter(pk=owner.pk).update(role=Role.ADMIN)
        self.filter(pk=target.pk).update(role=Role.OWNER)


class Membership(models.Model):
    Role = Role

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership"),
            models.UniqueConstraint(fields=["organisation"], condition=Q(role="owner"), name="one_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation} ({self.role})"


class Invitation(models.Model):
    """An email address invited into an organisation with a role; the mailed link is a signed token
    (``panel.accounts.tokens``) that expires after 48 hours, and works once."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=[(Role.ADMIN, "Admin"), (Role.VIEWER, "Viewer")])
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.email} to {self.organisation} ({self.role})"

    @property
    def pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class TwoFactor(models.Model):
    """A user's TOTP secret (sealed in the database, ``panel.accounts.sealed``); on once ``confirmed_at``
    is set. ``last_step`` is the 30-second time step of the last code accepted, so a code is never
    accepted twice."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="two_factor")
    secret = SealedCharField(max_length=255)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"two-factor for {self.user}"


class RecoveryCode(models.Model):
    """One-time codes for when the authenticator is lost, stored as SHA-256 hashes."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code of {self.user}"
