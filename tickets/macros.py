"""Macros: reusable replies with placeholders, plus the ticket changes they bring.

Placeholders are a closed list substituted by a regular expression, never a template engine: a
macro author cannot reach anything but the values below. Japanese replies write the honorific
themselves (`{{customer.name}}様`); a customer without a name becomes お客様 / "customer".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers import selectors as customer_selectors
from helpdesk.models import User

from .models import AssigneeAction, Macro, Priority, Status, Team, Ticket

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+(?:\.[a-z_]+)?)\s*\}\}")
PLACEHOLDERS = (
    ("customer.name", gettext_lazy("Customer's name (お客 when unknown, so 様 still reads well)")),
    ("customer.first_name", gettext_lazy("First word of the customer's name")),
    ("customer.email", gettext_lazy("Customer's email address")),
    ("ticket.id", gettext_lazy("Ticket number")),
    ("ticket.subject", gettext_lazy("Ticket subject")),
    ("agent.name", gettext_lazy("Your name")),
    ("order.number", gettext_lazy("Latest order number")),
    ("order.status", gettext_lazy("Latest order status")),
    ("order.shipping_status", gettext_lazy("Latest order shipping status")),
    ("order.tracking_number", gettext_lazy("Latest order tracking number")),
    ("order.tracking_url", gettext_lazy("Latest order tracking link")),
)
KNOWN_PLACEHOLDERS = frozenset(name for name, _label in PLACEHOLDERS)
MAX_TAGS = 20


@dataclass
class RenderedMacro:
    macro: Macro
    body: str
    warnings: list[str] = field(default_factory=list)


def reply_language(ticket: Ticket) -> str:
    """The language a reply on this ticket is written in: the customer's, else the default
    language of the deployment (tickets has no per-channel language of its own)."""
    return ticket.customer.language or settings.LANGUAGE_CODE


def render_macro(*, macro: Macro, ticket: Ticket, agent: User) -> RenderedMacro:
    """The macro's text for this ticket and agent — its ja/en variant in the customer's
    language when there is one — with a warning per value that is missing."""
    text = macro.body_for(reply_language(ticket))
    values = _placeholder_values(ticket, agent, needs_order="order." in text)
    warnings: list[str] = []

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        if name not in KNOWN_PLACEHOLDERS:
            warnings.append(
                _("Unknown placeholder {{%(name)s}} was left as written.") % {"name": name}
            )
            return match.group(0)
        value = values.get(name, "")
        if not value:
            warnings.append(_("No value for {{%(name)s}} on this ticket.") % {"name": name})
        return value

    body = PLACEHOLDER.sub(substitute, text)
    return RenderedMacro(macro=macro, body=body, warnings=list(dict.fromkeys(warnings)))


def _placeholder_values(ticket: Ticket, agent: User, *, needs_order: bool) -> dict[str, str]:
    customer = ticket.customer
    name = customer.name.strip()
    values = {
        # "お客" + the 様 the author wrote reads as お客様; English replies rarely use 様.
        "customer.name": name or _("valued customer"),
        "customer.first_name": name.split()[0] if name else _("valued customer"),
        "customer.email": customer.email,
        "ticket.id": str(ticket.pk),
        "ticket.subject": ticket.subject,
        "agent.name": agent.display_name,
    }
    if needs_order:
        orders = customer_selectors.customer_panel(customer=customer).recent_orders
        if orders:
            order = orders[0]
            values.update(
                {
                    "order.number": order.number,
                    "order.status": order.status,
                    "order.shipping_status": order.shipping_status,
                    "order.tracking_number": order.tracking_number,
                    "order.tracking_url": order.tracking_url,
                }
            )
    return values


# ---------------------------------------------------------------- reads


def macros_for(viewer: User, *, query: str = "") -> QuerySet[Macro]:
    """Active macros the agent may use: shared ones and their own, most used first."""
    macros = Macro.objects.filter(active=True).filter(Q(shared=True) | Q(owner=viewer))
    if query.strip():
        text = query.strip()
        macros = macros.filter(
            Q(name__icontains=text)
            | Q(body__icontains=text)
            | Q(body_ja__icontains=text)
            | Q(body_en__icontains=text)
        )
    return macros.select_related("team", "assignee").order_by("-usage_count", "name", "id")


def macro_for(*, macro_id: int, viewer: User) -> Macro:
    return get_object_or_404(macros_for(viewer), pk=macro_id)


def manageable_macros(viewer: User) -> QuerySet[Macro]:
    """What the macros page lists: everything for admins/managers, else one's own."""
    macros = Macro.objects.select_related("owner", "team", "assignee")
    if viewer.can_manage:
        return macros.order_by("-shared", "name", "id")
    return macros.filter(owner=viewer).order_by("name", "id")


def may_edit_macro(macro: Macro, user: User) -> bool:
    return user.can_manage or (macro.owner_id == user.pk and not macro.shared)


# ---------------------------------------------------------------- writes


def macro_save(
    *,
    actor: User,
    macro: Macro | None = None,
    name: str,
    body: str,
    body_ja: str = "",
    body_en: str = "",
    internal: bool = False,
    shared: bool = False,
    set_status: str = "",
    set_priority: str = "",
    add_tags: Sequence[str] = (),
    assignee_action: str = "",
    assignee: User | None = None,
    team: Team | None = None,
    active: bool = True,
) -> Macro:
    """Create (macro=None) or change a macro. Shared macros are the admins' and managers'."""
    if not actor.is_staff_member:
        raise PermissionDenied
    if shared and not actor.can_manage:
        raise PermissionDenied(_("Only managers and admins can share macros with everyone."))
    if macro is not None and not may_edit_macro(macro, actor):
        raise PermissionDenied(_("Only managers and admins can change shared macros."))
    name = " ".join(name.split())[:120]
    if not name:
        raise ValidationError(_("Give the macro a name."))
    if set_status and set_status not in Status.values:
        raise ValidationError(_("Unknown status."))
    if set_priority and set_priority not in Priority.values:
        raise ValidationError(_("Unknown priority."))
    if assignee_action not in AssigneeAction.values:
        raise ValidationError(_("Unknown assignee action."))
    if assignee_action == AssigneeAction.USER and (
        assignee is None or not assignee.is_staff_member
    ):
        raise ValidationError(_("Choose the agent the macro assigns to."))
    tags = sorted({t.strip().lower()[:60] for t in add_tags if t.strip()})
    if len(tags) > MAX_TAGS:
        raise ValidationError(_("A macro can add at most %(n)s tags.") % {"n": MAX_TAGS})
    unknown = sorted(
        set(PLACEHOLDER.findall("\n".join((body, body_ja, body_en)))) - KNOWN_PLACEHOLDERS
    )
    if unknown:
        raise ValidationError(
            _("Unknown placeholder: %(names)s.")
            % {"names": ", ".join(f"{{{{{n}}}}}" for n in unknown)}
        )
    macro = macro or Macro(owner=actor)
    macro.name, macro.body, macro.internal, macro.shared = name, body.strip(), internal, shared
    macro.body_ja, macro.body_en = body_ja.strip(), body_en.strip()
    macro.set_status, macro.set_priority, macro.add_tags = set_status, set_priority, tags
    macro.assignee_action = assignee_action
    macro.assignee = assignee if assignee_action == AssigneeAction.USER else None
    macro.team, macro.active = team, active
    if not macro.has_text and not macro.has_actions:
        raise ValidationError(_("A macro needs reply text or at least one action."))
    macro.full_clean()
    macro.save()
    return macro


def macro_delete(*, macro: Macro, actor: User) -> None:
    if not may_edit_macro(macro, actor):
        raise PermissionDenied(_("Only managers and admins can change shared macros."))
    macro.delete()


def apply_macro_actions(*, ticket: Ticket, macros: Sequence[Macro], actor: User) -> Ticket:
    """Apply the ticket changes of these macros (in order; later ones win) and count the use.

    Status is left to the caller when a reply carries it (the composer's "submit as").
    """
    from .services import update_ticket

    changes: dict = {}
    tags: list[str] | None = None
    for macro in macros:
        if macro.set_status:
            changes["status"] = macro.set_status
        if macro.set_priority:
            changes["priority"] = macro.set_priority
        if macro.team_id:
            changes["team"] = macro.team
        if macro.assignee_action == AssigneeAction.ACTOR:
            changes["assignee"] = actor
        elif macro.assignee_action == AssigneeAction.NONE:
            changes["assignee"] = None
        elif macro.assignee_action == AssigneeAction.USER and macro.assignee_id:
            changes["assignee"] = macro.assignee
        if macro.add_tags:
            tags = tags if tags is not None else list(ticket.tags.values_list("name", flat=True))
            tags.extend(macro.add_tags)
    with transaction.atomic():
        Macro.objects.filter(pk__in=[m.pk for m in macros]).update(usage_count=F("usage_count") + 1)
        if changes or tags is not None:
            ticket = update_ticket(ticket=ticket, actor=actor, tags=tags, **changes)
    return ticket
