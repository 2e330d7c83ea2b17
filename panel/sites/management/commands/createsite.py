"""./dev manage createsite DOMAIN --owner EMAIL [--timezone TZ]: add a site, creating the owner if new."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email

from panel.accounts.models import User
from panel.sites.models import Site, normalize_domain, validate_timezone


class Command(BaseCommand):
    help = "Add a site for DOMAIN owned by EMAIL (the user is created, without a password, if missing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("domain")
        parser.add_argument("--owner", required=True, help="the owner's email address")
        parser.add_argument(
            "--timezone", default="UTC", help="IANA timezone, e.g. Europe/Berlin (default UTC)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            domain = normalize_domain(options["domain"])
            validate_email(options["owner"])
            validate_timezone(options["timezone"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if Site.objects.filter(domain=domain).exists():
            raise CommandError(f"the site {domain} already exists")
        email = options["owner"].strip().lower()
        user = User.objects.filter(email=email).first() or User.objects.create_with_organisation(email)
        site = Site.objects.create(
            organisation=user.primary_organisation(), domain=domain, timezone=options["timezone"]
        )
        self.stdout.write(f"created site {site.domain} ({site.timezone}) owned by {user.email}")
