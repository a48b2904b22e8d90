"""An agent's reply as a mail the customer's client threads under their own message."""

from __future__ import annotations

import re
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils import formats, timezone, translation
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from tickets.models import AuthorKind, Message

REFERENCES_KEPT = 20  # enough to thread; long References lines upset some servers
_REPLY_PREFIX = re.compile(
    r"\A\s*((re|aw|sv|vs|antw|fw|fwd|wg|tr|返信|回复|答复)\s*[:：]\s*)+", re.I
)
_MESSAGE_ID = re.compile(r"\A<[^<>\s]+@[^<>\s]+>\Z")


def looks_like_message_id(value: str) -> bool:
    return bool(_MESSAGE_ID.match(value or ""))


def reply_subject(subject: str, ticket_id: int) -> str:
    """ "Re: <subject> [#id]" once, however many "Re:"/"AW:" the thread has collected."""
    token = f"[#{ticket_id}]"
    base = _REPLY_PREFIX.sub("", subject.replace(token, "")).strip()
    return f"Re: {base} {token}" if base else f"Re: {token}"


def build_reply(message: Message, *, recipient: str) -> EmailMultiAlternatives:
    """The mail for one public agent reply; its Message-ID is `message.external_id`."""
    ticket = message.ticket
    earlier = list(
        ticket.messages.filter(internal=False, created_at__lte=message.created_at)
        .exclude(pk=message.pk)
        .select_related("identity", "ticket__customer")
        .order_by("created_at", "id")
    )
    from_customer = [m for m in earlier if m.author_kind == AuthorKind.CUSTOMER]
    quoted = from_customer[-1] if from_customer else None
    message_id = message.external_id if looks_like_message_id(message.external_id) else ""
    headers = {"Message-ID": message_id or make_msgid(domain=_sender_domain())}
    # The customer's latest mail, even if they wrote through the web form since.
    answered = [m.external_id for m in from_customer if looks_like_message_id(m.external_id)]
    if answered:
        headers["In-Reply-To"] = answered[-1]
    references = [m.external_id for m in earlier if looks_like_message_id(m.external_id)]
    if references:
        headers["References"] = " ".join(references[-REFERENCES_KEPT:])
    language = ticket.customer.language or settings.LANGUAGE_CODE
    with translation.override(language):
        text = _body_text(message.body_text, quoted)
    mail = EmailMultiAlternatives(
        subject=reply_subject(ticket.subject, ticket.pk),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient],
        headers=headers,
        connection=get_connection(),
    )
    mail.encoding = "utf-8"
    mail.attach_alternative(_body_html(text), "text/html")
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            mail.attach(attachment.filename, handle.read(), attachment.content_type)
    return mail


def _sender_domain() -> str:
    return settings.SUPPORT_EMAIL.rpartition("@")[2] or "madoguchi.localhost"


def _body_text(reply: str, quoted: Message | None) -> str:
    if quoted is None or not quoted.body_text.strip():
        return reply.strip() + "\n"
    when = formats.date_format(timezone.localtime(quoted.created_at), "DATETIME_FORMAT")
    name = _author_name(quoted)
    intro = _("On %(date)s, %(name)s wrote:") % {"date": when, "name": name}
    quote = "\n".join(f"> {line}".rstrip() for line in quoted.body_text.strip().splitlines())
    return f"{reply.strip()}\n\n{intro}\n{quote}\n"


def _author_name(message: Message) -> str:
    identity = message.identity
    if identity and identity.display_name:
        return identity.display_name
    customer = message.ticket.customer
    return customer.name or (identity.handle if identity else "") or customer.email


def _body_html(text: str) -> str:
    """The same reply for HTML clients, with the quote as a blockquote they fold away."""
    lines = text.splitlines()
    split = next((i for i, line in enumerate(lines) if line.startswith(">")), len(lines))
    own = linebreaks(escape("\n".join(lines[:split]).rstrip()))
    quote = "\n".join(line[2:] if line.startswith("> ") else line[1:] for line in lines[split:])
    quoted = f"<blockquote>{linebreaks(escape(quote))}</blockquote>" if quote.strip() else ""
    return f'<html><body><div dir="auto">{own}{quoted}</div></body></html>'
