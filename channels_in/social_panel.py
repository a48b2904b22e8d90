"""The ticket-page sidebar panel: how this channel lets agents answer now, and "Log a call".

Its data is one jsonb value of the sidebar's single panel query (`panel_query`, see
tickets.panels); the rules are those of social_common.account_for_ticket and the senders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from customers.selectors.rows import loader
from tickets import panels
from tickets.models import AuthorKind, Message

from .models import InboundEvent, OutboundDelivery, SocialAccount, SocialKind
from .settings_forms import CallLogForm

WINDOWED = {"messenger": 24, "instagram": 24, "whatsapp": 24}


def panel_query() -> panels.PanelQuery:
    """What the panel reads for a social or phone ticket, as one jsonb value of the sidebar's
    single panel query (tickets.panels): the account the customer last wrote to, the accounts
    of the channel, the customer's last message and the last delivery. Null for any other
    channel. The ORM queries it replaces (up to six) cost ~2 ms of CPU each to build."""
    obj = panels.json_object_sql
    event, message = InboundEvent._meta.db_table, Message._meta.db_table
    account, delivery = SocialAccount._meta.db_table, OutboundDelivery._meta.db_table
    kinds = ", ".join(["%s"] * len(SocialKind.values))
    sql = (
        "(SELECT jsonb_build_object("  # noqa: S608 - names from models, values bound
        f'\'event_account\', (SELECT e.account_id FROM "{event}" e JOIN "{message}" m '
        "ON m.id = e.message_id WHERE m.ticket_id = %s AND e.kind = %s AND e.account_id <> '' "
        "ORDER BY e.received_at DESC LIMIT 1), "
        f"'accounts', (SELECT jsonb_agg({obj(SocialAccount, 'a')} ORDER BY a.id) "
        f'FROM "{account}" a WHERE a.kind = %s), '
        "'last_customer', (SELECT jsonb_build_array(m.id, m.created_at, m.external_id) "
        f'FROM "{message}" m WHERE m.ticket_id = %s AND m.author_kind = %s '
        "ORDER BY m.created_at DESC, m.id DESC LIMIT 1), "
        f"'last_delivery', (SELECT {obj(OutboundDelivery, 'd')} FROM \"{delivery}\" d "
        f'JOIN "{message}" m ON m.id = d.message_id WHERE m.ticket_id = %s AND d.kind = %s '
        "ORDER BY d.created_at DESC, d.id DESC LIMIT 1)"
        f") WHERE %s IN ({kinds}))"
    )
    T, CH = panels.TICKET_ID, panels.TICKET_CHANNEL
    params = (T, CH, CH, T, AuthorKind.CUSTOMER.value, T, CH, CH, *SocialKind.values)
    return panels.PanelQuery(sql, params)


@dataclass(frozen=True)
class _SocialFacts:
    account: SocialAccount | None  # what account_for_ticket returns; None when it refuses
    last: Message | None  # the customer's last message (id, created_at, external_id)
    last_delivery: OutboundDelivery | None


def _facts(ticket, data: dict | None) -> _SocialFacts:
    if data is None:
        return _SocialFacts(None, None, None)
    accounts = panels.instances(SocialAccount, data["accounts"])
    last = data["last_customer"]
    if last is not None:
        created_at = Message._meta.get_field("created_at").to_python(last[1])
        last = loader(Message)(["id", "created_at", "external_id"], [last[0], created_at, last[2]])
    deliveries = panels.instances(
        OutboundDelivery, [data["last_delivery"]] if data["last_delivery"] else []
    )
    return _SocialFacts(
        _pick_account(data["event_account"], accounts), last, deliveries[0] if deliveries else None
    )


def _pick_account(event_account: str | None, accounts: list[SocialAccount]) -> SocialAccount | None:
    """social_common.account_for_ticket on rows already read: the account of the customer's
    latest event (None when deactivated), else the only active one of the kind."""
    if event_account:
        found = next((a for a in accounts if str(a.pk) == event_account), None)
        if found is not None:
            return found if found.active else None
    active = [a for a in accounts if a.active]
    return active[0] if len(active) == 1 else None


def reply_constraint(ticket, facts: _SocialFacts) -> tuple[str, str]:
    """(level, sentence) describing what a reply on this ticket's channel can do now.

    level is "ok", "warn" or "blocked"; the same rules the senders enforce.
    """
    channel = ticket.channel
    # Only the windowed channels and X depend on the customer's last message.
    last = facts.last if channel in WINDOWED or channel == "x" else None
    if channel in WINDOWED and last is not None:
        closes = last.created_at + timedelta(hours=24)
        now = timezone.now()
        if now < closes:
            hours = max(int((closes - now) / timedelta(hours=1)), 0)
            return "ok", _("24-hour window open: about %(hours)s h left.") % {"hours": hours}
        account = facts.account
        if channel == "whatsapp":
            if account is not None and account.template_name:
                return "warn", _(
                    "24-hour window closed: the reply is sent in the template “%(name)s”."
                ) % {"name": account.template_name}
            return "blocked", _("24-hour window closed: send a template (none is configured).")
        if now < last.created_at + timedelta(days=7) and (
            account is None or account.use_human_agent_tag
        ):
            return "warn", _(
                "24-hour window closed: the reply is sent with the HUMAN_AGENT tag (up to 7 days)."
            )
        return "blocked", _("The messaging window is closed: reach the customer another way.")
    if channel == "x":
        if last is not None and last.external_id.startswith("x:tweet:"):
            return "warn", _(
                "The customer posted publicly: the reply is a public post (280 characters)."
            )
        return "ok", _("Direct message: the reply stays private.")
    if channel == "line":
        return "ok", _("Replies within a minute use the free reply token; later ones are pushed.")
    if channel == "phone":
        return "ok", _("Phone tickets take internal notes and call logs.")
    return "", ""


def render_panel(request, ticket, data: dict | None = panels.NOT_READ) -> str:
    if data is panels.NOT_READ:
        data = panels.panel_data(panel_query, ticket)
    social = ticket.channel in SocialKind.values
    facts = _facts(ticket, data if social else None)
    account = facts.account if social and ticket.channel != "phone" else None
    level, constraint = reply_constraint(ticket, facts)
    initial = {}
    if ticket.identity and ticket.identity.kind in ("phone", "sms"):
        initial["number"] = ticket.identity.handle
    return render_to_string(
        "channels_in/social/panel.html",
        {
            "ticket": ticket,
            "account": account,
            "constraint": constraint,
            "level": level,
            "last_delivery": facts.last_delivery,
            # Built only when the template's shellcache misses (forms deep-copy their fields).
            "call_form": SimpleLazyObject(lambda: CallLogForm(initial=initial, auto_id="call_%s")),
            "call_number": initial.get("number", ""),
        },
        request=request,
    )
