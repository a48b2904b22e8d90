"""`manage.py create_api_token USER`: the API token of a staff user, created on first use."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rest_framework.authtoken.models import Token

from helpdesk.models import User


class Command(BaseCommand):
    help = (
        "Print the REST API token of a staff user (by email), creating it if needed; "
        "--reset replaces it, so the old token stops working."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user", help="Email address of an active staff user.")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Rotate: revoke the current token, issue a new one.",
        )

    def handle(self, *args: Any, user: str, reset: bool, **options: Any) -> None:
        account = User.objects.filter(email__iexact=user.strip()).first()
        if account is None:
            raise CommandError(f"No user with the email address {user!r}.")
        if not account.is_active:
            raise CommandError(f"{account.email} is deactivated; API tokens are for active staff.")
        if not account.is_staff_member:
            raise CommandError(
                f"{account.email} has the role {account.role!r}; API tokens are for staff only."
            )
        with transaction.atomic():
            revoked = reset and Token.objects.filter(user=account).delete()[0] > 0
            token, created = Token.objects.get_or_create(user=account)
        if revoked:
            note = f"New token for {account.email}; the previous one no longer works."
        elif created:
            note = f"Created a token for {account.email}."
        else:
            note = f"Existing token for {account.email} (use --reset to rotate it)."
        # The key alone on stdout, so `TOKEN=$(manage.py create_api_token …)` works; the note
        # goes to stderr, in green rather than stderr's default error red.
        self.stderr.write(note, style_func=self.style.SUCCESS)
        self.stdout.write(token.key)
