"""Reads for the channel pages."""

from __future__ import annotations

from .models import MailAccount


def mail_accounts() -> list[MailAccount]:
    """Every mailbox for the settings list: one query, no password material."""
    return list(MailAccount.objects.defer("password_encrypted").order_by("name", "pk"))
