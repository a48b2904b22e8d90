"""Pulling mail from IMAP and POP3 mailboxes into inbound events.

One poller per mailbox at a time (a PostgreSQL advisory lock); each mail is stored raw first,
then the checkpoint moves past it, then the after-import action runs on the server — so a crash
at any point re-reads at most the mails after the checkpoint, and those deduplicate by
Message-ID: nothing lost, nothing doubled.
"""

from .backfill import BackfillResult, backfill_mailbox
from .check import ConnectionCheck, test_connection
from .errors import MailboxError, describe_error
from .poll import PollResult, poll_mailbox

__all__ = [
    "BackfillResult",
    "ConnectionCheck",
    "MailboxError",
    "PollResult",
    "backfill_mailbox",
    "describe_error",
    "poll_mailbox",
    "test_connection",
]
