"""Transfer: when an agent hands a chat ticket to another agent or team (the ticket page's
own assignee / team fields, `tickets.services.update_ticket`), the visitor is told live who
answers now, and the chat's "agent joined" card follows the new agent."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from tickets.models import Channel, Team

from .live import after_commit_send, agent_card, frame, visitor_group
from .models import ChatConversation


def on_ticket_changed(sender: Any, *, ticket, event, changes=None, **kwargs: Any) -> None:
    """`tickets.signals.ticket_changed` receiver (inside the write's transaction)."""
    if ticket.channel != Channel.CHAT or event != "updated" or not changes:
        return
    data: dict[str, Any] = {}
    agent = None
    if "assignee_id" in changes:
        _old, new = changes["assignee_id"]
        agent = get_user_model().objects.filter(pk=new).first() if new else None
        if agent is not None:
            data["agent"] = agent_card(agent)
    if "team_id" in changes:
        _old, new = changes["team_id"]
        team = Team.objects.filter(pk=new).first() if new else None
        if team is not None:
            data["team"] = team.name
    if not data:
        return
    conversations = ChatConversation.objects.filter(ticket=ticket).select_related("visitor")
    for conversation in conversations:
        if agent is not None:
            # The next reply by this agent is no news: they were already introduced.
            ChatConversation.objects.filter(pk=conversation.pk).update(agent_joined=agent)
        after_commit_send(visitor_group(conversation.visitor.uid), frame("transferred", **data))
