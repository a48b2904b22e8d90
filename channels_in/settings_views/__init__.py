"""Agent settings pages of the channels (mounted at /agent/settings/), one module each:
mailboxes, social accounts, held/failed inbound events, call logging, social listening.

Everything the URL conf and other apps import from `channels_in.settings_views` stays
importable from here.
"""

from .access import admin_required, settings_viewer_required
from .calls import call_log
from .inbound import inbound_release, inbound_retry
from .mailboxes import (
    mailbox_create,
    mailbox_delete,
    mailbox_edit,
    mailbox_list,
    mailbox_poll,
    mailbox_set_active,
    mailbox_test,
)
from .social import (
    social_create,
    social_edit,
    social_list,
    social_register_webhook,
    social_set_active,
    social_test,
)

__all__ = [
    "admin_required",
    "call_log",
    "inbound_release",
    "inbound_retry",
    "mailbox_create",
    "mailbox_delete",
    "mailbox_edit",
    "mailbox_list",
    "mailbox_poll",
    "mailbox_set_active",
    "mailbox_test",
    "settings_viewer_required",
    "social_create",
    "social_edit",
    "social_list",
    "social_register_webhook",
    "social_set_active",
    "social_test",
]
