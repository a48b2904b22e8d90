"""Runs routing, assignment and automations when a ticket changes (tickets.signals).

Everything here runs inside the ticket write's transaction, so a failure rolls the customer's
message back with it: it only reads a few rows and writes the ticket. Whatever talks to the
network (auto-replies, webhooks) is queued to run after commit.

Loops: an automation's own ticket change sends `ticket_changed` again, which comes back here.
An automation never runs again inside the chain of changes it started (`_chain`), chains stop
at MAX_DEPTH, and a ticket takes at most MAX_RUNS_PER_HOUR automation runs an hour.
"""

from __future__ import annotations

import contextvars
import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tickets import realtime
from tickets.config_snapshot import remembered
from tickets.models import Message, Ticket
from tickets.signals import TicketEvent

from .assignment import choose_assignee
from .matching import automation_matches, has_keyword, normalize, routing_rule_matches
from .models import (
    Automation,
    AutomationEvent,
    AutomationRun,
    Product,
    RoutingRule,
    RunKind,
    RunOutcome,
    WebhookDelivery,
)
from .ticket_writes import render_text, write_ticket

log = logging.getLogger(__name__)

MAX_DEPTH = 3
MAX_RUNS_PER_HOUR = 20
# Reasons are stored in English and translated where the log is shown.
CAPPED = gettext_noop("Too many automation runs on this ticket within an hour.")

_chain: contextvars.ContextVar[tuple[int, ...]] = contextvars.ContextVar(
    "automation_chain", default=()
)
# While a new ticket is being routed, the team change that routing announces must not start
# assignment on its own: the creation step assigns once, after routing and automations.
_creating: contextvars.ContextVar[bool] = contextvars.ContextVar("creating", default=False)


def on_ticket_changed(
    sender: Any,
    *,
    ticket: Ticket,
    event: str,
    actor: Any = None,
    message: Message | None = None,
    changes: dict | None = None,
    **kwargs: Any,
) -> None:
    changes = changes or {}
    if len(_chain.get()) >= MAX_DEPTH:
        return
    if event == TicketEvent.CREATED:
        # A ticket an agent made (a split) already has the team and product the agent meant,
        # and the customer wrote nothing new: no routing and no auto-reply, but creation
        # automations and assignment still run.
        by_staff = actor is not None
        token = _creating.set(True)
        try:
            if not by_staff:
                route_ticket(ticket, message)
                tag_products(ticket, message)
            run_automations(ticket, AutomationEvent.CREATED, message, replies=not by_staff)
        finally:
            _creating.reset(token)
        if ticket.assignee_id is None and ticket.team_id:
            assign_ticket(ticket, event)
        return
    if event == TicketEvent.CUSTOMER_MESSAGE:
        run_automations(ticket, AutomationEvent.CUSTOMER_REPLIED, message)
    # Replies and notes carry status moves too (new → pending on an answer, solved → open
    # when the customer writes back): those count as "status changed" as well.
    if "status" in changes:
        run_automations(ticket, AutomationEvent.STATUS_CHANGED, None)
    if event == TicketEvent.UPDATED:
        # Moved to another team with nobody on it: that team's assignment takes over.
        moved = "team_id" in changes and ticket.team_id and ticket.assignee_id is None
        if moved and not _creating.get():
            assign_ticket(ticket, event)


# --- routing and assignment -------------------------------------------------------------------


def route_ticket(ticket: Ticket, message: Message | None) -> RoutingRule | None:
    """Give a new ticket the team and priority of the first routing rule that matches."""
    rules = remembered(
        "automations.routing_rules",
        lambda: list(RoutingRule.objects.filter(active=True).order_by("position", "id")),
    )
    for rule in rules:
        if routing_rule_matches(rule, ticket, message):
            team = rule.set_team if rule.set_team_id else False
            product = rule.set_product if rule.set_product_id else None
            write_ticket(
                ticket,
                team=team,
                priority=rule.set_priority or None,
                add_tags=[product.tag] if product else None,
            )
            _log(
                ticket,
                RunKind.ROUTING,
                rule.name,
                TicketEvent.CREATED,
                rule=rule,
                detail=_describe(
                    team=rule.set_team,
                    priority=rule.get_set_priority_display(),
                    product=product.name if product else None,
                ),
            )
            return rule
    return None


def tag_products(ticket: Ticket, message: Message | None) -> list[Product]:
    """Give a new ticket the tag of every active product whose keywords it mentions."""
    active = remembered(
        "automations.products",
        lambda: list(Product.objects.filter(active=True).exclude(keywords=[])),
    )
    products = [product for product in active if has_keyword(product.keywords, ticket, message)]
    if products:
        write_ticket(ticket, add_tags=[product.tag for product in products])
    return products


def assign_ticket(ticket: Ticket, event: str) -> None:
    agent, reason = choose_assignee(ticket)
    if agent is None:
        if reason:  # an empty reason: the team hands out nothing automatically
            _log(
                ticket,
                RunKind.ASSIGNMENT,
                str(ticket.team),
                event,
                outcome=RunOutcome.SKIPPED,
                detail=reason,
            )
        return
    write_ticket(ticket, assignee=agent)
    _log(ticket, RunKind.ASSIGNMENT, str(ticket.team), event, detail=agent.display_name)


# --- automations ------------------------------------------------------------------------------


def run_automations(
    ticket: Ticket, event: str, message: Message | None, *, replies: bool = True
) -> None:
    active = remembered(
        ("automations.automations", event),
        lambda: list(
            Automation.objects.filter(active=True, event=event)
            .select_related("set_team", "assign_to", "webhook")
            .order_by("position", "id")
        ),
    )
    automations = [automation for automation in active if automation.pk not in _chain.get()]
    if not automations:
        return
    tag_names = {normalize(name) for name in ticket.tags.values_list("name", flat=True)}
    matching = [a for a in automations if automation_matches(a, ticket, message, tag_names)]
    if not matching:
        return
    since = timezone.now() - timedelta(hours=1)
    recent = AutomationRun.objects.filter(
        ticket=ticket, kind=RunKind.AUTOMATION, outcome=RunOutcome.APPLIED, created_at__gte=since
    ).count()
    for automation in matching:
        if recent >= MAX_RUNS_PER_HOUR:
            _log(
                ticket,
                RunKind.AUTOMATION,
                automation.name,
                event,
                automation=automation,
                outcome=RunOutcome.SKIPPED,
                detail="too many runs on this ticket within an hour",
            )
            log.warning("automation cap reached on ticket %s", ticket.pk)
            return
        recent += 1
        apply_automation(automation, ticket, event, message, replies=replies)


def runs_capped(ticket: Ticket) -> bool:
    since = timezone.now() - timedelta(hours=1)
    recent = AutomationRun.objects.filter(
        ticket=ticket, kind=RunKind.AUTOMATION, outcome=RunOutcome.APPLIED, created_at__gte=since
    ).count()
    return recent >= MAX_RUNS_PER_HOUR


def apply_automation(
    automation: Automation,
    ticket: Ticket,
    event: str,
    message: Message | None,
    *,
    replies: bool = True,
) -> None:
    """Do every action of `automation` to `ticket` (inside the caller's transaction)."""
    token = _chain.set((*_chain.get(), automation.pk))
    try:
        _apply(automation, ticket, event, message, replies=replies)
    finally:
        _chain.reset(token)


def _apply(
    automation: Automation,
    ticket: Ticket,
    event: str,
    message: Message | None,
    *,
    replies: bool = True,
) -> None:
    detail = _describe(
        team=automation.set_team,
        priority=automation.get_set_priority_display(),
        status=automation.get_set_status_display(),
        assignee=automation.assign_to,
        tags=automation.add_tags,
    )
    # The run is logged first so a change that comes back here already counts against the cap.
    _log(ticket, RunKind.AUTOMATION, automation.name, event, automation=automation, detail=detail)
    assignee = automation.assign_to if automation.assign_to_id else False
    if assignee and not assignee.is_staff_member:
        assignee = False
    write_ticket(
        ticket,
        status=automation.set_status or None,
        priority=automation.set_priority or None,
        team=automation.set_team if automation.set_team_id else False,
        assignee=assignee,
        add_tags=automation.add_tags,
    )
    if automation.notify_text:
        realtime.publish(
            "automation.notify",
            ticket=ticket.pk,
            text=render_text(automation.notify_text, ticket),
            automation=automation.name,
        )
    if automation.reply_text and replies:
        _queue_auto_reply(automation, ticket, message)
    if automation.webhook_id and automation.webhook.active:
        _queue_webhook(automation, ticket, event)


def _queue_auto_reply(automation: Automation, ticket: Ticket, message: Message | None) -> None:
    from .tasks import send_auto_reply

    args = (automation.pk, ticket.pk, message.pk if message else None)
    # After commit: the inbound event is linked to the message (and marked automated) only
    # when the whole ingest transaction commits.
    transaction.on_commit(lambda: send_auto_reply.delay(*args))


def _queue_webhook(automation: Automation, ticket: Ticket, event: str) -> None:
    from .tasks import deliver_webhook

    text = (
        render_text(automation.notify_text, ticket)
        if automation.notify_text
        else (f"[{automation.name}] #{ticket.pk} {ticket.subject}")
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=automation.webhook,
        automation=automation,
        ticket=ticket,
        payload={
            "text": text,  # what a Slack incoming webhook shows
            "event": event,
            "automation": automation.name,
            "ticket": {
                "id": ticket.pk,
                "subject": ticket.subject,
                "status": ticket.status,
                "priority": ticket.priority,
                "channel": ticket.channel,
                "team": ticket.team.name if ticket.team_id else None,
                "assignee": ticket.assignee.email if ticket.assignee_id else None,
            },
        },
    )
    transaction.on_commit(lambda: deliver_webhook.delay(delivery.pk))


def _describe(**parts: Any) -> str:
    """What a run changed, for people reading the log (in the language active at the time)."""
    labels = {
        "team": _("Team"),
        "priority": _("Priority"),
        "status": _("Status"),
        "assignee": _("Assignee"),
        "tags": _("Tags"),
        "product": _("Product"),
    }
    shown = []
    for key, value in parts.items():
        if value in (None, "", []):
            continue
        if key == "tags":
            value = ", ".join(value)
        shown.append(f"{labels[key]}: {value}")
    return "; ".join(shown)[:500]


def _log(
    ticket: Ticket,
    kind: str,
    name: str,
    event: str,
    *,
    outcome: str = RunOutcome.APPLIED,
    automation: Automation | None = None,
    rule: RoutingRule | None = None,
    detail: str = "",
) -> AutomationRun:
    return AutomationRun.objects.create(
        ticket=ticket,
        kind=kind,
        name=name[:120],
        event=str(event)[:20],
        outcome=outcome,
        automation=automation,
        rule=rule,
        detail=detail[:500],
    )
