"""Whether a routing rule or an automation's conditions hold for a ticket. Pure reads."""

from __future__ import annotations

import unicodedata

from tickets.models import Message, Ticket

from .models import Automation, RoutingRule


def normalize(text: str) -> str:
    """NFKC and case-folded, so ＲＥＦＵＮＤ, refund and Refund (and ｶﾀｶﾅ / カタカナ) meet."""
    return unicodedata.normalize("NFKC", text or "").casefold()


def has_keyword(keywords: list[str], ticket: Ticket, message: Message | None) -> bool:
    haystack = normalize(ticket.subject) + "\n" + normalize(message.body_text if message else "")
    return any(normalize(word) in haystack for word in keywords if word.strip())


def routing_rule_matches(rule: RoutingRule, ticket: Ticket, message: Message | None) -> bool:
    customer = ticket.customer
    if rule.channels and ticket.channel not in rule.channels:
        return False
    if rule.vip_only and not customer.vip:
        return False
    if rule.customer_tags and not set(map(normalize, rule.customer_tags)) & set(
        map(normalize, customer.tags)
    ):
        return False
    if rule.languages and _language(customer.language) not in rule.languages:
        return False
    return not rule.keywords or has_keyword(rule.keywords, ticket, message)


def automation_matches(
    automation: Automation, ticket: Ticket, message: Message | None, tag_names: set[str]
) -> bool:
    if automation.channels and ticket.channel not in automation.channels:
        return False
    if automation.statuses and ticket.status not in automation.statuses:
        return False
    if automation.priorities and ticket.priority not in automation.priorities:
        return False
    if automation.team_id and ticket.team_id != automation.team_id:
        return False
    if automation.tags and not {normalize(tag) for tag in automation.tags} & tag_names:
        return False
    if automation.without_tags and {normalize(tag) for tag in automation.without_tags} & tag_names:
        return False
    if automation.assignee_is == "unassigned" and ticket.assignee_id is not None:
        return False
    if automation.assignee_is == "assigned" and ticket.assignee_id is None:
        return False
    return not automation.keywords or has_keyword(automation.keywords, ticket, message)


def _language(code: str) -> str:
    """ "ja-JP" and "ja" are the same language to a rule."""
    return (code or "").split("-")[0].split("_")[0].lower()
