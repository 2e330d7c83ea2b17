"""./dev manage createapikey --owner EMAIL [--organisation ID] [--scope SCOPE]...: prints the key last."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from panel.accounts.models import User
from panel.apikeys.models import SCOPES, ApiKey


class Command(BaseCommand):
    help = "Create an API key for an existing user. Without --scope it carries every scope."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--owner", required=True, help="the email of the user the key acts for")
        parser.add_argument("--scope", action="append", choices=SCOPES, help="repeat for several scopes")
        parser.add_argument("--name", default="", help="a label to recognise the key by")
        parser.add_argument(
            "--organisation", type=int, help="the id of the organisation the key acts in (default: the first)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email=options["owner"].strip().lower()).first()
        if user is None:
            raise CommandError(f"no user with email {options['owner']!r} (create a site for them first)")
        organisation = user.primary_organisation()
        if options["organisation"] is not None:
            membership = user.memberships.select_related("organisation").filter(
                organisation_id=options["organisation"]
            )
            found = membership.first()
            if found is None:
                raise CommandError(f"{user.email} is not a member of organisation {options['organisation']}")
            organisation = found.organisation
        try:
            key, raw = ApiKey.objects.issue(
                user, organisation=organisation, name=options["name"], scopes=options["scope"] or SCOPES
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"created API key {key.prefix}… for {user.email} in {organisation.name}"
            f" (organisation {organisation.pk}) with scopes {', '.join(key.scopes)}"
        )
        self.stdout.write("it is shown only now; store it safely:")
        self.stdout.write(raw)
