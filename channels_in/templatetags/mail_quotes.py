"""`{% reply_parts message as parts %}`: a mail's new text, with signature and quoted
history apart for the timeline to fold away (`channels_in.mail.quotes`)."""

from __future__ import annotations

from django import template

from channels_in.mail.quotes import ReplyParts, split_reply

register = template.Library()

# Only customers' mail quotes whole threads; agents' replies and chats are shown as written.
SPLIT_CHANNELS = frozenset({"email"})


@register.simple_tag
def reply_parts(message) -> ReplyParts:
    text = message.body_text or ""
    if message.channel in SPLIT_CHANNELS and message.author_kind == "customer":
        return split_reply(text)
    return ReplyParts(text)
