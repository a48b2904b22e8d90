"""Who hears about an SLA warning or breach, and what they are told.

The assignee and the managers of the ticket's team (its members with the manager or admin
role — a team has no "lead" field of its own) get two things, each in their own language:
a row in the notification bell (kept, unread until seen) and a live notice on their socket.
The bell row is filed at most once per clock run, person and kind (SlaNotice's unique key), in
the tick's own transaction: a tick that crashes files nothing and the next one files it once.
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpdesk.models import Role, User
from tickets import notifications, realtime
from tickets.models import Notification, NotificationKind, Ticket

from .models import Metric, SlaClock, SlaNotice

MANAGER_ROLES = (Role.MANAGER, Role.ADMIN)

# Whole sentences per target, so each language can word them naturally.
WARNING_TEXT = {
    Metric.FIRST_REPLY: gettext_lazy("SLA first reply due in %(left)s on #%(id)s"),
    Metric.NEXT_REPLY: gettext_lazy("SLA next reply due in %(left)s on #%(id)s"),
    Metric.PERIODIC_UPDATE: gettext_lazy("SLA periodic update due in %(left)s on #%(id)s"),
    Metric.RESOLUTION: gettext_lazy("SLA resolution due in %(left)s on #%(id)s"),
}
BREACH_TEXT = {
    Metric.FIRST_REPLY: gettext_lazy("SLA first reply overdue on #%(id)s"),
    Metric.NEXT_REPLY: gettext_lazy("SLA next reply overdue on #%(id)s"),
    Metric.PERIODIC_UPDATE: gettext_lazy("SLA periodic update overdue on #%(id)s"),
    Metric.RESOLUTION: gettext_lazy("SLA resolution overdue on #%(id)s"),
}


def alert_recipients(ticket: Ticket) -> list[User]:
    """The assignee first, then the team's managers; each once, only active staff."""
    people: dict[int, User] = {}
    if ticket.assignee_id:
        assignee = User.objects.filter(pk=ticket.assignee_id, is_active=True).first()
        if assignee is not None and assignee.is_staff_member:
            people[assignee.pk] = assignee
    if ticket.team_id:
        managers = User.objects.filter(
            teams__id=ticket.team_id, is_active=True, role__in=MANAGER_ROLES
        ).order_by("pk")
        for manager in managers:
            people.setdefault(manager.pk, manager)
    return list(people.values())


def alert_text(*, ticket: Ticket, metric_label: str, breached: bool) -> str:
    values = {"id": ticket.pk, "subject": ticket.subject, "metric": metric_label}
    if breached:
        return _("SLA breached on #%(id)s “%(subject)s”: %(metric)s is overdue.") % values
    return _("SLA warning on #%(id)s “%(subject)s”: %(metric)s is due soon.") % values


def minutes_left(clock: SlaClock, now: dt.datetime) -> int | None:
    """Wall-clock minutes from now to the due time, rounded up (what a person plans with)."""
    if clock.due_at is None:
        return None
    return max(0, math.ceil((clock.due_at - now).total_seconds() / 60))


def notify_sla_alert(
    clock: SlaClock, *, breached: bool, now: dt.datetime | None = None
) -> list[int]:
    """File the bell rows and publish one `sla.alert` per recipient (after commit); returns
    the ids of the people alerted. Called by the tick while it holds the clock's row lock."""
    now = now or timezone.now()
    ticket = clock.ticket
    kind = NotificationKind.SLA_BREACH if breached else NotificationKind.SLA_WARNING
    recipients = alert_recipients(ticket)
    already = set(
        SlaNotice.objects.filter(clock=clock, kind=kind).values_list("user_id", flat=True)
    )
    fresh = [user for user in recipients if user.pk not in already]
    if not fresh:
        return []
    filed = notifications.notify(
        user_ids=[user.pk for user in fresh], kind=kind, ticket_id=ticket.pk
    )
    left = None if breached else minutes_left(clock, now)
    SlaNotice.objects.bulk_create(
        SlaNotice(
            clock=clock,
            user_id=notification.user_id,
            kind=kind,
            notification=notification,
            metric=clock.metric,
            due_at=clock.due_at,
            minutes_left=left,
        )
        for notification in filed
    )
    url = reverse("tickets:detail", args=[ticket.pk])
    for user in fresh:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            text = alert_text(
                ticket=ticket, metric_label=str(clock.get_metric_display()), breached=breached
            )
            dismiss = _("Dismiss")
        realtime.publish(
            "sla.alert",
            user=user.pk,
            ticket=ticket.pk,
            metric=clock.metric,
            breached=breached,
            text=text,
            dismiss=dismiss,
            url=url,
        )
    return [user.pk for user in fresh]


def summarize_notices(items: list[Notification]) -> dict[int, str]:
    """The bell's wording of SLA notifications, in the active language (one query)."""
    from .templatetags.sla_tags import duration_minutes

    tickets = {item.pk: item.ticket_id for item in items}
    texts = {}
    for notice in SlaNotice.objects.filter(notification_id__in=list(tickets)):
        if notice.kind == NotificationKind.SLA_BREACH:
            template, left = BREACH_TEXT.get(notice.metric), ""
        else:
            template = WARNING_TEXT.get(notice.metric)
            left = duration_minutes(notice.minutes_left or 0)
        if template is not None:
            texts[notice.notification_id] = str(template) % {
                "id": tickets[notice.notification_id],
                "left": left,
            }
    return texts
