"""The end of a chat and what follows it: ending (by the visitor or an agent), the widget's
end-of-chat rating, the transcript by email, and the switch to email when nobody can answer.

Mail leaves as `ChatMail` rows (queued → sent / failed, attempts, retried by the queue): an
agent's reply to a visitor who left for email is composed like any email reply
(`channels_in.mail.compose.build_reply`: its Message-ID is the reply's own, so the customer's
answer threads into the same ticket); a transcript quotes the chat up to its message. (One
`OutboundDelivery` per message is the chat push itself, so these cannot be deliveries.)
"""

from __future__ import annotations

import logging
import smtplib
from email.utils import make_msgid
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tickets.models import AuthorKind, Message, Ticket

from . import live
from .errors import ChatError
from .live import frame, group_send, ticket_group, visitor_group
from .models import ChatConversation, ChatMail, ChatMailKind, ChatMailStatus, ChatVisitor

log = logging.getLogger(__name__)

TRANSCRIPTS_PER_HOUR = 3
RATING_VALUES = (1, 2, 3, 4, 5)
MAX_COMMENT_CHARS = 2000
ENDED_BY = ("visitor", "agent")


def latest_conversation(visitor: ChatVisitor) -> ChatConversation | None:
    return visitor.conversations.select_related("ticket").order_by("-id").first()


# --- ending ---------------------------------------------------------------------------------


def end_chat(conversation: ChatConversation, *, by: str) -> ChatConversation:
    """Close the chat for both sides. The ticket stays as it is (an agent solves it as any
    other); a later message from the visitor simply continues the conversation."""
    if by not in ENDED_BY:
        raise ValueError(by)
    updated = ChatConversation.objects.filter(pk=conversation.pk, ended_at__isnull=True).update(
        ended_at=timezone.now(), ended_by=by
    )
    conversation.refresh_from_db()
    open_chats = ChatConversation.objects.filter(ticket_id=conversation.ticket_id, ended_at=None)
    if updated and not open_chats.exists():
        from .offers import withdraw_offers  # the chat is over: nobody needs to take it

        withdraw_offers(conversation.ticket_id, note="ended")
    if updated:
        ended = frame(
            "ended", by=by, csat=csat_prompt(conversation.ticket), email=conversation.visitor.email
        )
        group_send(visitor_group(conversation.visitor.uid), ended)
        group_send(ticket_group(conversation.ticket_id), frame("ended", by=by))
    return conversation


def visitor_ends(visitor: ChatVisitor) -> ChatConversation:
    conversation = latest_conversation(visitor)
    if conversation is None:
        raise ChatError("no_chat", "there is no chat to end")
    return end_chat(conversation, by="visitor")


def agent_ends(ticket: Ticket) -> int:
    """The agent closes the chat on the ticket page: every visitor of the ticket hears it."""
    conversations = ChatConversation.objects.filter(ticket=ticket, ended_at__isnull=True)
    count = 0
    for conversation in conversations.select_related("visitor", "ticket"):
        end_chat(conversation, by="agent")
        count += 1
    return count


def reopen_if_ended(visitor: ChatVisitor) -> None:
    """A message after the end continues the chat: it is not ended any more."""
    visitor.conversations.filter(ended_at__isnull=False).update(ended_at=None, ended_by="")


# --- rating ---------------------------------------------------------------------------------


def _sent_survey(ticket: Ticket):
    if not apps.is_installed("feedback"):
        return None
    from feedback.models import Survey  # lazy: the feedback app is optional

    return Survey.objects.filter(ticket=ticket, status="sent").first()


def csat_prompt(ticket: Ticket) -> dict[str, Any]:
    """The rating buttons the widget shows at the end: the feedback survey's own choices when
    one was sent for this ticket, else a 1–5 scale the widget labels itself."""
    survey = _sent_survey(ticket)
    if survey is not None:
        from feedback.services.surveys import survey_choices

        return {
            "choices": [
                {"value": choice.value, "label": choice.label}
                for choice in survey_choices(survey=survey)
            ]
        }
    return {"choices": [{"value": value, "label": ""} for value in RATING_VALUES]}


def rate_chat(visitor: ChatVisitor, *, rating: Any, comment: Any = "") -> ChatConversation:
    """The visitor's end-of-chat rating: stored on the conversation, and recorded by the
    feedback app against its survey when one was sent for the ticket."""
    conversation = latest_conversation(visitor)
    if conversation is None or conversation.ended_at is None:
        raise ChatError("not_ended", "rate the chat after it has ended")
    allowed = [choice["value"] for choice in csat_prompt(conversation.ticket)["choices"]]
    if isinstance(rating, bool) or not isinstance(rating, int) or rating not in allowed:
        raise ChatError("bad_rating", "rating must be one of the offered values")
    if not isinstance(comment, str | type(None)):
        raise ChatError("bad_comment", "comment must be a string")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise ChatError("too_long", f"a comment may have at most {MAX_COMMENT_CHARS} characters")
    with transaction.atomic():
        ChatConversation.objects.filter(pk=conversation.pk).update(
            rating=rating, rating_comment=comment, rated_at=timezone.now()
        )
        if _sent_survey(conversation.ticket) is not None:
            from feedback.services.surveys import RatingError, record_rating_for_ticket

            try:
                with transaction.atomic():
                    record_rating_for_ticket(
                        ticket=conversation.ticket, rating=rating, comment=comment
                    )
            except RatingError as exc:  # expired or already answered: ours is still kept
                log.info("chat rating not recorded by feedback: %s", exc)
    conversation.refresh_from_db()
    return conversation


# --- email: transcript and offline follow-up -------------------------------------------------


class RetryLater(Exception):
    """A mail could not be sent now (server down, 4xx); the queue tries again."""


def _queue_mail(conversation: ChatConversation, message: Message, *, kind: str, recipient: str):
    chat_mail = ChatMail.objects.create(
        conversation=conversation, message=message, kind=kind, recipient=recipient
    )

    def schedule() -> None:
        from .tasks import send_chat_mail

        try:
            send_chat_mail.delay(chat_mail.pk)
        except Exception:  # noqa: BLE001 - kept queued; the row shows it was never sent
            log.warning("could not queue chat mail %s", chat_mail.pk, exc_info=True)

    transaction.on_commit(schedule)
    return chat_mail


def deliver_chat_mail(mail_id: int, *, final: bool = False) -> ChatMail | None:
    """Send one queued chat mail at most once; a temporary failure raises RetryLater (or,
    on the last attempt, marks it failed), a refused address fails it for good."""
    from channels_in.mail.compose import build_reply

    with transaction.atomic():
        chat_mail = (
            ChatMail.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("conversation__visitor", "message__ticket")
            .filter(pk=mail_id, status=ChatMailStatus.QUEUED)
            .first()
        )
        if chat_mail is None:  # sent already, or another worker is on it
            return None
        chat_mail.attempts += 1
        retry = ""
        try:
            if chat_mail.kind == ChatMailKind.REPLY:
                mail = build_reply(chat_mail.message, recipient=chat_mail.recipient)
            else:
                mail = build_transcript(chat_mail)
            mail.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            chat_mail.status, chat_mail.error = ChatMailStatus.FAILED, str(exc)[:2000]
        except (smtplib.SMTPException, OSError) as exc:
            chat_mail.error = str(exc)[:2000]
            if final:
                chat_mail.status = ChatMailStatus.FAILED
            else:
                retry = chat_mail.error
        else:
            chat_mail.status, chat_mail.error = ChatMailStatus.SENT, ""
            chat_mail.sent_at = timezone.now()
            chat_mail.mail_message_id = str(mail.extra_headers.get("Message-ID", ""))[:300]
        chat_mail.save()
    if retry:  # after the commit: the attempt and its error are kept
        raise RetryLater(retry)
    return chat_mail


def request_transcript(visitor: ChatVisitor, *, email: Any = "") -> ChatMail:
    """Mail the conversation so far to the visitor (an address typed now is kept)."""
    from .services import _clean_email, rate_limited, settle_customer

    raw = str(email or "").strip()
    clean = _clean_email(raw)
    if raw and not clean:
        raise ChatError("bad_email", "the email address is not valid")
    if clean and clean != visitor.email:
        visitor.email = clean
        visitor.save(update_fields=["email"])
        settle_customer(visitor)
    if not visitor.email:
        raise ChatError("email_required", "an email address is required")
    conversation = latest_conversation(visitor)
    last = _last_visible_message(conversation) if conversation else None
    if last is None:
        raise ChatError("no_chat", "there is nothing to send yet")
    if rate_limited("transcript", visitor.uid.hex, TRANSCRIPTS_PER_HOUR, window=3600):
        raise ChatError("rate_limited", "too many transcripts; try again later")
    return _queue_mail(conversation, last, kind=ChatMailKind.TRANSCRIPT, recipient=visitor.email)


def _last_visible_message(conversation: ChatConversation) -> Message | None:
    return (
        conversation.ticket.messages.filter(internal=False, id__gte=conversation.first_message_id)
        .exclude(author_kind=AuthorKind.SYSTEM)
        .order_by("-id")
        .first()
    )


def start_email_followup(visitor: ChatVisitor, message: Message) -> bool:
    """Nobody could answer this message live: from now on replies also go by email while the
    visitor is away, and the visitor gets the transcript (with a reply-to-this-mail thread)
    once. Returns True the first time."""
    conversation = ChatConversation.objects.filter(
        visitor=visitor, ticket_id=message.ticket_id
    ).first()
    if conversation is None or conversation.email_followup:
        return False
    ChatConversation.objects.filter(pk=conversation.pk).update(email_followup=True)
    if visitor.email:
        _queue_mail(conversation, message, kind=ChatMailKind.TRANSCRIPT, recipient=visitor.email)
    return True


def send_agent_reply(message: Message):
    """The `tickets.outbound` sender of chat tickets: always the live push (a delivery of
    kind chat); also an email when the chat turned into a mail conversation and the visitor is
    not in the widget now."""
    from .delivery import queue_live_delivery

    delivery = queue_live_delivery(message)
    if message.author_kind == AuthorKind.AGENT:
        for conversation in ChatConversation.objects.filter(
            ticket_id=message.ticket_id, email_followup=True
        ).select_related("visitor"):
            visitor = conversation.visitor
            if visitor.email and not live.visitor_is_online(visitor):
                _queue_mail(conversation, message, kind=ChatMailKind.REPLY, recipient=visitor.email)
    return delivery


def build_transcript(chat_mail: ChatMail) -> EmailMultiAlternatives:
    """The conversation up to the mail's message, as plain text; the subject carries the
    ticket number and References its mail ids, so an answer threads into the ticket."""
    from channels_in.mail.compose import reply_subject

    conversation, upto, recipient = chat_mail.conversation, chat_mail.message, chat_mail.recipient
    ticket = upto.ticket
    visitor = conversation.visitor
    messages = list(
        ticket.messages.filter(
            internal=False, id__gte=conversation.first_message_id, id__lte=upto.pk
        )
        .exclude(author_kind=AuthorKind.SYSTEM)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("id")
    )
    language = visitor.language if visitor.language in ("ja", "en") else settings.LANGUAGE_CODE
    zone = timezone.get_default_timezone()
    with translation.override(language):
        lines = [
            _("Here is the transcript of your chat with us."),
            _("To add something, reply to this email: it reaches the same conversation."),
            "",
        ]
        for message in messages:
            if message.author_kind == AuthorKind.CUSTOMER:
                who = visitor.name or _("You")
            else:
                who = message.author.display_name if message.author_id else _("Support")
            at = timezone.localtime(message.created_at, zone).strftime("%Y-%m-%d %H:%M")
            lines.append(f"[{at}] {who}:")
            lines.extend(f"  {line}" for line in (message.body_text or "").splitlines())
            for attachment in message.attachments.all():
                lines.append(f"  ({_('Attachment')}: {attachment.filename})")
            lines.append("")
        subject = reply_subject(f"{_('Chat transcript')}: {ticket.subject}", ticket.pk)
    domain = settings.SUPPORT_EMAIL.rpartition("@")[2] or "madoguchi.localhost"
    references = [
        m.external_id for m in messages if m.external_id.startswith("<") and "@" in m.external_id
    ]
    headers = {"Message-ID": make_msgid(domain=domain), "Auto-Submitted": "auto-generated"}
    if references:
        headers["References"] = " ".join(references[-20:])
    return EmailMultiAlternatives(
        subject=subject,
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient],
        headers=headers,
        connection=get_connection(),
    )
