"""Follow-up care: "did the fix work?" some days after solve, and agents' own follow-ups.

An after-solve follow-up comes from the best matching template (team and channel, then team,
then channel, then any); reopening the ticket before it is due cancels it. The customer answers
through a signed link: "yes" closes the solved ticket, "no" reopens it with a note for the team.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from helpdesk.models import User
from tickets import outbound, realtime
from tickets import services as ticket_services
from tickets.models import Status, Ticket

from ..models import FollowUp, FollowUpKind, FollowUpStatus, FollowUpTemplate
from ..tokens import FOLLOWUP_SALT, make_token, new_nonce
from .common import RESOLVED_STATUSES, absolute_url, automation_actor, customer_language, is_spam

MAX_BODY_CHARS = 5000


class FollowUpError(Exception):
    """The answer cannot be taken; `str()` is a sentence for the customer."""


def template_for(ticket: Ticket) -> FollowUpTemplate | None:
    candidates = FollowUpTemplate.objects.filter(active=True).filter(
        Q(team__isnull=True) | Q(team_id=ticket.team_id),
        Q(channel="") | Q(channel=ticket.channel),
    )
    # Most specific first: a team's own template beats a channel-wide one beats the default.
    return min(
        candidates,
        key=lambda t: (t.team_id is None, t.channel == "", t.pk),
        default=None,
    )


def schedule_after_solve(*, ticket: Ticket, now: datetime | None = None) -> FollowUp | None:
    now = now or timezone.now()
    template = template_for(ticket)
    if template is None or ticket.customer.is_blocked or is_spam(ticket):
        return None
    if not outbound.can_send(ticket.channel):
        return None
    language = customer_language(ticket.customer)
    followup = (
        FollowUp.objects.select_for_update()
        .filter(ticket=ticket, kind=FollowUpKind.AFTER_SOLVE, status=FollowUpStatus.SCHEDULED)
        .first()
    ) or FollowUp(ticket=ticket, kind=FollowUpKind.AFTER_SOLVE, nonce=new_nonce())
    followup.template = template
    followup.language = language
    followup.body = template.body_ja if language == "ja" else template.body_en
    followup.due_at = now + timedelta(days=template.delay_days)
    followup.save()
    return followup


def cancel_after_solve(*, ticket: Ticket) -> None:
    FollowUp.objects.filter(
        ticket=ticket, kind=FollowUpKind.AFTER_SOLVE, status=FollowUpStatus.SCHEDULED
    ).update(status=FollowUpStatus.CANCELLED)


def schedule_personal(
    *, ticket: Ticket, actor: User, kind: str, due_at: datetime, body: str
) -> FollowUp:
    """An agent's own follow-up: a message to the customer, or a reminder for themselves."""
    if not actor.is_staff_member:
        raise PermissionDenied
    body = body.strip()
    if kind not in (FollowUpKind.SEND, FollowUpKind.REMIND):
        raise ValidationError(_("Choose what the follow-up should do."))
    if kind == FollowUpKind.SEND:
        if not body:
            raise ValidationError(_("Write the message the customer should get."))
        if not actor.can_reply_publicly:
            raise PermissionDenied(_("Light agents can add internal notes only."))
        if not outbound.can_send(ticket.channel):
            raise ValidationError(_("Replies on this channel cannot be sent yet."))
    if len(body) > MAX_BODY_CHARS:
        raise ValidationError(
            _("Please keep the text under %(count)s characters.") % {"count": MAX_BODY_CHARS}
        )
    if due_at <= timezone.now():
        raise ValidationError(_("Choose a time in the future."))
    if due_at > timezone.now() + timedelta(days=366):
        raise ValidationError(_("Choose a time within a year."))
    return FollowUp.objects.create(
        ticket=ticket, kind=kind, created_by=actor, body=body, due_at=due_at
    )


def cancel_followup(*, followup: FollowUp, actor: User) -> FollowUp:
    if not actor.is_staff_member:
        raise PermissionDenied
    updated = FollowUp.objects.filter(pk=followup.pk, status=FollowUpStatus.SCHEDULED).update(
        status=FollowUpStatus.CANCELLED
    )
    if not updated:
        raise ValidationError(_("This follow-up is no longer scheduled."))
    followup.refresh_from_db()
    return followup


def due_followups(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    now = now or timezone.now()
    due = FollowUp.objects.filter(status=FollowUpStatus.SCHEDULED, due_at__lte=now)
    return list(due.order_by("due_at").values_list("pk", flat=True)[:limit])


def send_followup(*, followup_id: int, now: datetime | None = None) -> FollowUp | None:
    """Carry out one due follow-up at most once."""
    now = now or timezone.now()
    with transaction.atomic():
        followup = (
            FollowUp.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("ticket__customer", "created_by")
            .filter(pk=followup_id, status=FollowUpStatus.SCHEDULED)
            .first()
        )
        if followup is None:
            return None
        try:
            _carry_out(followup)
        except (ValidationError, PermissionDenied) as exc:
            followup.status = FollowUpStatus.FAILED
            followup.error = (" ".join(getattr(exc, "messages", [])) or str(exc) or "-")[:500]
        else:
            if followup.status == FollowUpStatus.SCHEDULED:
                followup.status = FollowUpStatus.SENT
                followup.sent_at = now
        followup.save()
    return followup


def _carry_out(followup: FollowUp) -> None:
    ticket = followup.ticket
    if followup.kind == FollowUpKind.AFTER_SOLVE:
        if ticket.status not in RESOLVED_STATUSES or ticket.customer.is_blocked:
            followup.status = FollowUpStatus.CANCELLED
            return
        text, html = followup_message(followup)
        ticket_services.post_system_message(ticket=ticket, body_text=text, body_html=html)
    elif followup.kind == FollowUpKind.SEND:
        if followup.created_by is None:
            raise PermissionDenied(_("The agent who scheduled it no longer exists."))
        # As the agent wrote it, keeping the ticket's status.
        ticket_services.reply(
            ticket=ticket, author=followup.created_by, body_text=followup.body, status=ticket.status
        )
    else:
        author = followup.created_by or automation_actor()
        with translation.override(author.language or settings.LANGUAGE_CODE):
            note = _("Follow-up reminder for %(name)s") % {"name": author.display_name}
        ticket_services.reply(
            ticket=ticket,
            author=author,
            body_text=f"{note}\n{followup.body}".strip(),
            internal=True,
        )
        realtime.publish("followup.reminder", ticket=ticket.pk, user=author.pk)


def followup_url(followup: FollowUp, fixed: bool | None = None) -> str:
    url = absolute_url(
        "feedback:followup",
        token=make_token(pk=followup.pk, nonce=followup.nonce, salt=FOLLOWUP_SALT),
    )
    return url if fixed is None else f"{url}?fixed={'yes' if fixed else 'no'}"


def followup_message(followup: FollowUp) -> tuple[str, str]:
    with translation.override(followup.language or settings.LANGUAGE_CODE):
        intro = _("About your request #%(id)s “%(subject)s”:") % {
            "id": followup.ticket_id,
            "subject": followup.ticket.subject,
        }
        yes = _("Yes, it works now")
        no = _("No, I still need help")
    yes_url, no_url = followup_url(followup, True), followup_url(followup, False)
    text = f"{intro}\n\n{followup.body.strip()}\n\n{yes}:\n{yes_url}\n\n{no}:\n{no_url}\n"
    html = (
        f"<p>{escape(intro)}</p><p>{escape(followup.body.strip())}</p><ul>"
        f'<li><a href="{escape(yes_url)}">{escape(yes)}</a></li>'
        f'<li><a href="{escape(no_url)}">{escape(no)}</a></li></ul>'
    )
    return text, html


def answer_followup(*, followup: FollowUp, fixed: bool, now: datetime | None = None) -> FollowUp:
    """The customer's one answer: "fixed" closes a solved ticket, "not fixed" reopens it."""
    now = now or timezone.now()
    with transaction.atomic():
        followup = FollowUp.objects.select_for_update().select_related("ticket").get(pk=followup.pk)
        if followup.status == FollowUpStatus.ANSWERED:
            raise FollowUpError(_("Thank you, we already have your answer."))
        if followup.status != FollowUpStatus.SENT:
            raise FollowUpError(_("This link is no longer valid."))
        followup.fixed = fixed
        followup.answered_at = now
        followup.status = FollowUpStatus.ANSWERED
        followup.save(update_fields=["fixed", "answered_at", "status"])
        ticket = followup.ticket
        actor = automation_actor()
        if fixed:
            if ticket.status == Status.SOLVED:
                ticket_services.update_ticket(ticket=ticket, actor=actor, status=Status.CLOSED)
        else:
            if ticket.status in RESOLVED_STATUSES:
                ticket_services.update_ticket(ticket=ticket, actor=actor, status=Status.OPEN)
            with translation.override(settings.LANGUAGE_CODE):
                note = _("The customer answered the follow-up: the fix did not work.")
            ticket_services.reply(ticket=ticket, author=actor, body_text=note, internal=True)
    return followup
