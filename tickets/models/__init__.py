"""The unified inbox: every conversation on every channel is a Ticket with Messages.

The models live in three modules by responsibility; every name stays importable from
``tickets.models`` (migrations reference ``tickets.models.attachment_path``).
"""

from .agent_tools import (
    AssigneeAction,
    Macro,
    Notification,
    NotificationKind,
    SavedView,
    TicketSeen,
    ViewSort,
)
from .core import (
    UNSOLVED_STATUSES,
    Attachment,
    AuthorKind,
    Channel,
    Message,
    Priority,
    Status,
    Tag,
    Team,
    Ticket,
    TicketManager,
    attachment_path,
)
from .relations import FollowerSource, LinkKind, TicketFollower, TicketLink, TicketMerge

__all__ = [
    "UNSOLVED_STATUSES",
    "AssigneeAction",
    "Attachment",
    "AuthorKind",
    "Channel",
    "FollowerSource",
    "LinkKind",
    "Macro",
    "Message",
    "Notification",
    "NotificationKind",
    "Priority",
    "SavedView",
    "Status",
    "Tag",
    "Team",
    "Ticket",
    "TicketFollower",
    "TicketLink",
    "TicketManager",
    "TicketMerge",
    "TicketSeen",
    "ViewSort",
    "attachment_path",
]
