"""What each inbox row shows, worked out once in Python instead of in template filters.

A row used to cost ~1.5–2 ms in the template (includes for icons, humanize filters, display
lookups per row). Labels that are the same for many rows (status, priority, channel names) are
looked up once per page; times and SLA countdowns are formatted here. The rows arrive as
TicketRow values (tickets.inbox.ticket_rows), not models, and are turned into HTML by
tickets.inbox_html rather than by a template loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.humanize.templatetags.humanize import NaturalTimeFormatter, naturaltime
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import DateFormat, re_escaped, re_formatchars
from django.utils.formats import get_format
from django.utils.translation import gettext as _

from customers.privacy import mask_contact

from .models import UNSOLVED_STATUSES, Channel, Priority, Status, Ticket

SLA_SOON = timedelta(hours=1)
PREVIEW_CHARS = 180


def sla_target_labels() -> dict[str, str]:
    return {
        "first_reply": _("First reply"),
        "next_reply": _("Next reply"),
        "periodic_update": _("Update"),
        "resolution": _("Resolution"),
    }


class TicketRow:
    """One inbox row's columns as plain attributes (`pk`, `subject`, `status`, …,
    `customer__name`, `assignee__email`, `team__name`, `tag_names`, `message_count`, `preview`,
    `unread`): what `.values(*tickets.inbox.ROW_FIELDS)` gives, without model instances."""

    def __init__(self, values: dict) -> None:
        self.__dict__.update(values)
        self.id = values["pk"]

    @classmethod
    def from_ticket(cls, ticket: Ticket) -> TicketRow:
        """The same columns from a Ticket model (with its customer, assignee, team, tags)."""
        customer, assignee, team = ticket.customer, ticket.assignee, ticket.team
        return cls(
            {
                **{name: getattr(ticket, name) for name in _TICKET_FIELDS},
                "pk": ticket.pk,
                "customer__name": customer.name if customer else "",
                "customer__email": customer.email if customer else "",
                "assignee__name": assignee.name if assignee else None,
                "assignee__email": assignee.email if assignee else None,
                "team__name": team.name if team else None,
                "tag_names": [tag.name for tag in ticket.tags.all()],
                "message_count": getattr(ticket, "message_count", 0),
                "preview": getattr(ticket, "preview", "") or "",
                "unread": bool(getattr(ticket, "unread", False)),
            }
        )

    def __repr__(self) -> str:
        return f"<TicketRow #{self.pk}>"


_TICKET_FIELDS = (
    "subject",
    "status",
    "priority",
    "channel",
    "created_at",
    "updated_at",
    "sla_target",
    "sla_due_at",
    "sla_breached",
    "customer_id",
    "assignee_id",
    "team_id",
)


@dataclass(slots=True)
class Row:
    ticket: TicketRow
    customer_name: str
    customer_line: str
    assignee_name: str  # "" when unassigned
    team_name: str
    channel_label: str
    status_label: str
    priority_label: str
    time_label: str
    time_title: str
    sla_state: str  # "", "ok", "soon", "overdue"
    sla_label: str
    sla_title: str
    viewers: list[dict]
    unread: bool
    url: str
    stamp: int
    iso_time: str
    preview: str
    tags: list[str]


class RowList(list):
    """The page's rows; `{{ rows.html }}` renders them all (tickets.inbox_html)."""

    @property
    def html(self):
        from .inbox_html import rows_html

        return rows_html(self)


def build_rows(
    tickets: list[TicketRow] | list[Ticket],
    *,
    show_contact_details: bool,
    presence: dict[int, list[dict]],
) -> RowList:
    now = timezone.now()
    today = timezone.localdate()
    zone = timezone.get_current_timezone()
    channels, statuses, priorities = (
        {key: str(label) for key, label in Channel.choices},
        {key: str(label) for key, label in Status.choices},
        {key: str(label) for key, label in Priority.choices},
    )
    targets = sla_target_labels()
    formats = _Formats()
    # One reverse() for the page, not one per row.
    url_pattern = reverse("tickets:detail", args=[0]).replace("/0/", "/{}/")
    recent_cutoff = now - timedelta(days=1)
    ago: dict[int, str] = {}  # "5 minutes ago" once per page, not once per row
    rows = RowList()
    for ticket in tickets:
        if not isinstance(ticket, TicketRow):
            ticket = TicketRow.from_ticket(ticket)
        channel = channels.get(ticket.channel, ticket.channel)
        name, email = ticket.customer__name, ticket.customer__email
        if name:
            line = _contact(email, "email", show_contact_details) if email else channel
        else:
            # Customer.display_name, from the columns at hand.
            name = _contact(
                email or _("Customer #%(id)s") % {"id": ticket.customer_id},
                "",
                show_contact_details,
            )
            line = channel
        updated = ticket.updated_at
        local = updated.astimezone(zone)
        sla_state, sla_label, sla_title = _sla(ticket, now, targets, zone, formats)
        preview = ticket.preview or ""
        if len(preview) > PREVIEW_CHARS:
            preview = preview[: PREVIEW_CHARS - 1] + "…"
        assignee = ""
        if ticket.assignee_id is not None:
            assignee = ticket.assignee__name or ticket.assignee__email.split("@")[0]
        rows.append(
            Row(
                ticket=ticket,
                customer_name=name,
                customer_line=line,
                assignee_name=assignee,
                team_name=ticket.team__name or "",
                channel_label=channel,
                status_label=statuses.get(ticket.status, ticket.status),
                priority_label=priorities.get(ticket.priority, ticket.priority),
                time_label=_when(updated, local, now, recent_cutoff, today, formats, ago),
                time_title=formats.datetime(local),
                sla_state=sla_state,
                sla_label=sla_label,
                sla_title=sla_title,
                viewers=presence.get(ticket.pk, []),
                unread=bool(ticket.unread),
                url=url_pattern.format(ticket.pk),
                stamp=int(updated.timestamp()),
                iso_time=updated.isoformat(),
                preview=preview,
                tags=list(ticket.tag_names or ()),
            )
        )
    return rows


def _contact(value: str, kind: str, show: bool) -> str:
    return value if show else mask_contact(value, kind)


class _DateFormat:
    """django.utils.formats.date_format for one named format, with the format looked up and
    parsed once per page instead of once per call (~40 µs → ~5 µs a date)."""

    def __init__(self, name: str) -> None:
        pieces = re_formatchars.split(str(get_format(name)))
        self.pieces = [
            (bool(index % 2), piece if index % 2 else re_escaped.sub(r"\1", piece))
            for index, piece in enumerate(pieces)
            if piece
        ]

    def __call__(self, value: datetime) -> str:
        formatter = DateFormat(value)
        return "".join(
            str(getattr(formatter, piece)()) if code else piece for code, piece in self.pieces
        )


class _Formats:
    def __init__(self) -> None:
        self.datetime = _DateFormat("DATETIME_FORMAT")
        self.month_day = _DateFormat("MONTH_DAY_FORMAT")
        self.short_date = _DateFormat("SHORT_DATE_FORMAT")


_AGO = NaturalTimeFormatter.time_strings


def _when(moment: datetime, local: datetime, now, recent_cutoff, today, formats, ago) -> str:
    if moment > recent_cutoff:
        seconds = (now - moment).seconds
        if moment <= now and seconds < 60:
            # "now", "30 seconds ago": under a live load many rows moved within the minute.
            text = ago.get(-1000 - seconds)
            if text is None:
                text = ago[-1000 - seconds] = str(naturaltime(moment))
            return text
        if moment < now:
            # naturaltime's own wording for the past minutes and hours, looked up once for each
            # count on the page (a translated plural cost ~20 µs a row).
            minutes = seconds // 60
            key = minutes if minutes < 60 else -(minutes // 60)
            text = ago.get(key)
            if text is None:
                if minutes < 60:
                    text = str(_AGO["past-minute"] % {"count": minutes})
                else:
                    text = str(_AGO["past-hour"] % {"count": minutes // 60})
                ago[key] = text
            return text
        return naturaltime(moment)
    if local.year == today.year:
        return formats.month_day(local)
    return formats.short_date(local)


def _sla(ticket: TicketRow, now: datetime, targets: dict[str, str], zone, formats) -> tuple:
    """The countdown badge: red when overdue, amber under an hour; nothing once solved."""
    if ticket.status not in UNSOLVED_STATUSES or ticket.sla_due_at is None:
        return "", "", ""
    left = ticket.sla_due_at - now
    target = targets.get(ticket.sla_target, ticket.sla_target)
    due = formats.datetime(ticket.sla_due_at.astimezone(zone))
    if ticket.sla_breached or left <= timedelta(0):
        # Compact: the red badge and its title say "overdue"; the column is narrow.
        title = _("%(target)s was due %(due)s") % {"target": target, "due": due}
        return "overdue", "−" + _duration(-left), title
    title = _("%(target)s due %(due)s") % {"target": target, "due": due}
    return ("soon" if left < SLA_SOON else "ok"), _duration(left), title


def _duration(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return _("%(m)sm") % {"m": minutes}
    hours = minutes // 60
    if hours < 24:
        return _("%(h)sh %(m)sm") % {"h": hours, "m": minutes % 60}
    return _("%(d)sd %(h)sh") % {"d": hours // 24, "h": hours % 24}
