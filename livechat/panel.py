"""The ticket-page sidebar panel for chat tickets: who the visitor is, where, and whether
they are still there; its script talks over /ws/chat/agent/<ticket>/."""

from __future__ import annotations

from django.template.loader import render_to_string

from .live import visitor_is_online, visitor_panel
from .models import ChatConversation


def browser_of(user_agent: str) -> str:
    """A short, human name for the browser and system: enough for an agent, no library."""
    ua = user_agent
    browser = next(
        (
            name
            for key, name in (
                ("Edg/", "Edge"),
                ("OPR/", "Opera"),
                ("Firefox/", "Firefox"),
                ("Chrome/", "Chrome"),
                ("Safari/", "Safari"),
            )
            if key in ua
        ),
        "",
    )
    system = next(
        (
            name
            for key, name in (
                ("iPhone", "iPhone"),
                ("iPad", "iPad"),
                ("Android", "Android"),
                ("Windows", "Windows"),
                ("Mac OS X", "macOS"),
                ("Linux", "Linux"),
            )
            if key in ua
        ),
        "",
    )
    return " · ".join(filter(None, [browser, system]))


def render_chat_panel(request, ticket) -> str:
    if ticket.channel != "chat":
        return ""
    visitor = visitor_panel(ticket)
    conversation = (
        ChatConversation.objects.filter(ticket=ticket, visitor=visitor).first() if visitor else None
    )
    context = {
        "ended_by": conversation.ended_by if conversation and conversation.ended_at else "",
        "rating": conversation.rating if conversation else None,
        "rating_comment": conversation.rating_comment if conversation else "",
        "ticket": ticket,
        "visitor": visitor,
        "online": visitor_is_online(visitor) if visitor else False,
        "browser": browser_of(visitor.user_agent) if visitor else "",
    }
    return render_to_string("livechat/panel.html", context, request=request)
