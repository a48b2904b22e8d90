"""`manage.py backfill_mailbox ACCOUNT_ID --since YYYY-MM-DD [--until YYYY-MM-DD]`."""

from __future__ import annotations

from argparse import ArgumentTypeError
from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from channels_in import mailbox
from channels_in.models import MailAccount


class Command(BaseCommand):
    help = (
        "Import again the mail of an IMAP mailbox that arrived in a date range (both days "
        "included). Mail already stored is recognised by its Message-ID and not duplicated; "
        "the poller's checkpoint and the server's folders are left as they are."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("account_id", type=int, metavar="ACCOUNT_ID")
        parser.add_argument("--since", required=True, type=_day, metavar="YYYY-MM-DD")
        parser.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="default: today")

    def handle(
        self, *args: object, account_id: int, since: date, until: date | None, **options: object
    ) -> None:
        account = MailAccount.objects.filter(pk=account_id).first()
        if account is None:
            raise CommandError(_("No mailbox with id %(id)s.") % {"id": account_id})
        try:
            result = mailbox.backfill_mailbox(account, since, until)
        except Exception as exc:  # noqa: BLE001 - say it the way the settings page does
            raise CommandError(mailbox.describe_error(exc, account)) from exc
        self.stdout.write(
            _("%(found)d mails in the range, %(imported)d new, %(known)d already imported.")
            % {
                "found": result.found,
                "imported": result.imported,
                "known": result.found - result.imported,
            }
        )


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ArgumentTypeError(
            _("%(value)s is not a date (YYYY-MM-DD).") % {"value": value}
        ) from None
