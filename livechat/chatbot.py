"""The answer-bot step of a chat channel (`ChatChannel.bot_enabled`).

The visitor's first message is put to the help center's answer bot (`knowledge.bot`, the one
the contact form uses). When it is confident, the visitor gets the article(s) in a `bot`
frame with "that answered it" and "talk to a person"; the chat waits for their choice before
it is offered to an agent. Without a confident answer, or once the visitor asks for a person
(or simply writes again), the chat goes to the queue at once. The exchange stays in the
ticket's timeline as system messages, so the agent who takes the chat sees what was offered.
"""

from __future__ import annotations

import logging
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tickets import realtime
from tickets.models import AuthorKind, Message, Ticket

from . import offers
from .errors import ChatError
from .live import after_commit_send, frame, visitor_group
from .models import BotOutcome, ChatBotTurn, ChatConversation, ChatVisitor

log = logging.getLogger(__name__)

MAX_ANSWERS = 3


def _language(visitor: ChatVisitor) -> str:
    return visitor.language if visitor.language in ("ja", "en") else settings.LANGUAGE_CODE[:2]


def _timeline(ticket: Ticket, text: str, *, internal: bool, key: str) -> Message:
    """A system message in the ticket's timeline. Written here rather than through
    `tickets.services.post_system_message`: that one *sends* the message on the ticket's
    channel, and the visitor already has the bot's answer (as a `bot` frame) or needs none."""
    message, created = Message.objects.get_or_create(
        channel=ticket.channel,
        external_id=f"chatbot:{key}",
        defaults={
            "ticket": ticket,
            "author_kind": AuthorKind.SYSTEM,
            "internal": internal,
            "body_text": text,
        },
    )
    if created:
        realtime.publish(
            "message.created",
            ticket=ticket.pk,
            message=message.pk,
            status=ticket.status,
            channel=ticket.channel,
        )
    return message


def after_visitor_message(
    visitor: ChatVisitor, message: Message, conversation: ChatConversation | None = None
) -> None:
    """Called for each new visitor message: the bot's turn on the first one of a
    conversation, else (or after it) the chat is offered to an agent if it waits.
    `conversation` (livechat.messages passes it) carries `bot_answered`, saving two queries."""
    if conversation is None:
        conversation = (
            ChatConversation.objects.filter(visitor=visitor, ticket_id=message.ticket_id)
            .select_related("ticket", "visitor__channel")
            .first()
        )
        if conversation is None:
            return
    known = getattr(conversation, "bot_answered", None)
    pending = (
        conversation.bot_turns.filter(outcome=BotOutcome.ANSWERED).first()
        if known is None or known
        else None
    )
    if pending is not None:
        # Writing again instead of taking the article: they want a person.
        _hand_off(pending, by_message=True)
    elif (
        visitor.channel.bot_enabled
        and conversation.first_message_id == message.pk
        and not conversation.bot_turns.exists()
        and _bot_answers(conversation, message)
    ):
        return
    ticket = message.ticket
    # Offered only while it waits (offers.offer_next checks again under the ticket's lock): an
    # assigned chat's every message used to open a transaction just to find that out.
    if pending is not None or (
        ticket.assignee_id is None and ticket.status in offers.WAITING_STATUSES
    ):
        offers.request_offer(message.ticket_id)


def _bot_answers(conversation: ChatConversation, message: Message) -> bool:
    """Put the question to the answer bot; True when it answered (the chat waits)."""
    if not apps.is_installed("knowledge") or not message.body_text.strip():
        return False
    from knowledge.bot import BotRejected, ask_bot  # lazy: the help center is optional
    from knowledge.models import BotSource

    visitor = conversation.visitor
    language = _language(visitor)
    try:
        reply = ask_bot(question=message.body_text, language=language, source=BotSource.WIDGET)
    except BotRejected:
        return False
    except Exception:  # noqa: BLE001 - a broken bot must not keep the visitor from a person
        log.exception("answer bot failed on chat ticket %s", conversation.ticket_id)
        return False
    answers = [answer.as_json() for answer in reply.answers[:MAX_ANSWERS]]
    confident = reply.confident
    turn = ChatBotTurn.objects.create(
        conversation=conversation,
        question=message,
        bot_token=reply.question.token,
        answers=answers if confident else [],
        outcome=BotOutcome.ANSWERED if confident else BotOutcome.NO_ANSWER,
        resolved_at=None if confident else timezone.now(),
    )
    if not confident:
        return False
    with translation.override(language):
        intro = _("These articles may answer your question:")
        lines = [intro] + [f"• {a['title']} — {settings.SITE_URL}{a['url']}" for a in answers]
        lines.append(_("If not, you can talk to a person."))
    _timeline(conversation.ticket, "\n".join(lines), internal=False, key=f"{turn.pk}:answer")
    after_commit_send(visitor_group(visitor.uid), bot_frame(turn, language))
    return True


def bot_frame(turn: ChatBotTurn, language: str) -> dict[str, Any]:
    with translation.override(language):
        text = _("These articles may answer your question:")
    return frame(
        "bot",
        turn=turn.pk,
        text=text,
        answers=[
            {key: answer.get(key) for key in ("id", "title", "url", "extract")}
            for answer in turn.answers
        ],
    )


def pending_turn(visitor: ChatVisitor) -> ChatBotTurn | None:
    return (
        ChatBotTurn.objects.filter(conversation__visitor=visitor, outcome=BotOutcome.ANSWERED)
        .select_related("conversation__ticket", "conversation__visitor")
        .order_by("-id")
        .first()
    )


def pending_frame(visitor: ChatVisitor) -> dict[str, Any] | None:
    """The bot's card again for a reloaded page, while the visitor has not chosen."""
    turn = pending_turn(visitor)
    return bot_frame(turn, _language(visitor)) if turn else None


def _resolve(turn: ChatBotTurn, outcome: str) -> bool:
    updated = ChatBotTurn.objects.filter(pk=turn.pk, outcome=BotOutcome.ANSWERED).update(
        outcome=outcome, resolved_at=timezone.now()
    )
    turn.refresh_from_db(fields=["outcome", "resolved_at"])
    return bool(updated)


def _hand_off(turn: ChatBotTurn, *, by_message: bool = False) -> None:
    if not _resolve(turn, BotOutcome.HANDED_OFF):
        return
    ticket = turn.conversation.ticket
    with translation.override(settings.LANGUAGE_CODE):
        text = (
            _("The visitor wrote again instead of taking the bot's answer: handed to a person.")
            if by_message
            else _("The visitor asked to talk to a person.")
        )
    _timeline(ticket, text, internal=True, key=f"{turn.pk}:handoff")
    after_commit_send(visitor_group(turn.conversation.visitor.uid), frame("handed_off"))
    offers.request_offer(ticket.pk)


def hand_off(visitor: ChatVisitor) -> None:
    """The `handoff` frame: "talk to a person"."""
    with transaction.atomic():
        turn = pending_turn(visitor)
        if turn is None:
            raise ChatError("no_bot", "there is no bot answer waiting")
        _hand_off(turn)


def answer_solved(visitor: ChatVisitor, *, article: Any) -> int:
    """The `bot_solved` frame: the visitor says this article answered their question. Counted
    as a deflection by the help center; the agents see it in the timeline."""
    if not isinstance(article, int) or isinstance(article, bool):
        raise ChatError("bad_article", "article must be the id of an offered article")
    with transaction.atomic():
        turn = pending_turn(visitor)
        if turn is None:
            raise ChatError("no_bot", "there is no bot answer waiting")
        offered = {answer.get("id"): answer for answer in turn.answers}
        if article not in offered:
            raise ChatError("bad_article", "that article was not offered")
        if not _resolve(turn, BotOutcome.SOLVED):
            raise ChatError("no_bot", "there is no bot answer waiting")
        from knowledge.bot import BotRejected, mark_solved
        from knowledge.models import BotQuestion

        try:
            mark_solved(token=turn.bot_token, article_id=article)
        except (BotRejected, BotQuestion.DoesNotExist):
            log.warning("bot question of turn %s could not be marked solved", turn.pk)
        with translation.override(settings.LANGUAGE_CODE):
            text = _("The visitor said the article “%(title)s” answered the question.") % {
                "title": offered[article].get("title", "")
            }
        _timeline(turn.conversation.ticket, text, internal=True, key=f"{turn.pk}:solved")
        after_commit_send(visitor_group(visitor.uid), frame("bot_done", article=article))
    return article
