"""Who hears about an SLA warning or breach, and what they are told.

The assignee and the managers of the ticket's team (its members with the manager or admin
role — a team has no "lead" field of its own) get a nudge on their own agent socket, written
in each one's language. The inbox's notification bell only knows @mentions (tickets has no
public way to file other kinds), so this is a live alert, not a row in the bell.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from helpdesk.models import Role, User
from tickets import realtime
from tickets.models import Ticket

from .models import SlaClock

MANAGER_ROLES = (Role.MANAGER, Role.ADMIN)


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


def notify_sla_alert(clock: SlaClock, *, breached: bool) -> list[int]:
    """Publish one `sla.alert` per recipient (after commit); returns their ids."""
    ticket = clock.ticket
    url = reverse("tickets:detail", args=[ticket.pk])
    sent = []
    for user in alert_recipients(ticket):
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
        sent.append(user.pk)
    return sent
