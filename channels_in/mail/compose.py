"""An agent's reply as a mail the customer's client threads under their own message."""

from __future__ import annotations

import re
from collections.abc import Sequence
from email.utils import formataddr, make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils import formats, timezone, translation
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt

from helpdesk.html import sanitize_html
from tickets.models import AuthorKind, Message

from .followers import copied_on
from .quotes import split_reply

REFERENCES_KEPT = 20  # enough to thread; long References lines upset some servers
# Japanese mobile carriers' mail: the phones there still read ISO-2022-JP best.
JAPANESE_MOBILE_DOMAINS = (
    "docomo.ne.jp",
    "ezweb.ne.jp",
    "au.com",
    "softbank.ne.jp",
    "i.softbank.jp",
    "disney.ne.jp",
    "ymobile.ne.jp",
    "y-mobile.ne.jp",
    "willcom.com",
    "pdx.ne.jp",
    "emnet.ne.jp",
    "rakuten.jp",
)
# The agent's text is Markdown-ish (bold, lists, links): raw HTML in it stays text, and
# single line breaks stay line breaks, as the agent typed them.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
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


def build_reply(
    message: Message, *, recipient: str, cc: Sequence[str] | None = None
) -> EmailMultiAlternatives:
    """The mail for one public agent reply; its Message-ID is `message.external_id`.

    `cc` is what the delivery row recorded; None asks the ticket's followers now.
    """
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
    if message.author_kind == AuthorKind.SYSTEM:
        # RFC 3834: automatic mail says so, and asks Exchange not to answer it either.
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
    language = ticket.customer.language or settings.LANGUAGE_CODE
    with translation.override(language):
        text = _body_text(message.body_text, quoted)
        html = _body_html(message, quoted)
        sender = from_address(message)
    subject = reply_subject(ticket.subject, ticket.pk)
    mail = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=sender,
        to=[recipient],
        cc=list(cc) if cc is not None else copied_on(message, recipient=recipient),
        headers=headers,
        connection=get_connection(),
    )
    mail.encoding = mail_encoding(recipient, language=language, texts=(subject, text, html, sender))
    mail.attach_alternative(html, "text/html")
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            mail.attach(attachment.filename, handle.read(), attachment.content_type)
    return mail


def from_address(message: Message) -> str:
    """ "Agent name via Support <support@…>": the customer sees who answered, and replies
    still reach the shared address."""
    support_name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    address = address or settings.SUPPORT_EMAIL
    author = message.author
    if author is None or not getattr(settings, "MAIL_FROM_AGENT_NAME", True):
        return formataddr((support_name, address)) if support_name else address
    name = author.display_name
    if support_name:
        name = _("%(agent)s via %(support)s") % {"agent": name, "support": support_name}
    return formataddr((name, address))


def mail_encoding(recipient: str, *, language: str, texts: tuple[str, ...]) -> str:
    """UTF-8, or ISO-2022-JP for Japanese recipients when `MAIL_ISO2022JP` asks for it
    ("japanese": Japanese customers and .jp addresses; "mobile": Japanese mobile carriers)
    and every character fits (no emoji, no ①)."""
    mode = getattr(settings, "MAIL_ISO2022JP", "off")
    domain = recipient.rpartition("@")[2].lower()
    mobile = any(domain == d or domain.endswith("." + d) for d in JAPANESE_MOBILE_DOMAINS)
    wanted = (mode == "mobile" and mobile) or (
        mode == "japanese" and (mobile or language == "ja" or domain.endswith(".jp"))
    )
    if not wanted:
        return "utf-8"
    try:
        for text in texts:
            text.encode("iso2022_jp")
    except UnicodeEncodeError:
        return "utf-8"
    return "iso-2022-jp"


def _sender_domain() -> str:
    return settings.SUPPORT_EMAIL.rpartition("@")[2] or "madoguchi.localhost"


def _quoted_text(quoted: Message | None) -> str:
    """The customer's new words only: their own quote of our earlier mail is already in the
    thread, and quoting it again would grow every reply by the whole history."""
    if quoted is None:
        return ""
    return split_reply(quoted.body_text).visible.strip()


def _body_text(reply: str, quoted: Message | None) -> str:
    quote_source = _quoted_text(quoted)
    if not quote_source:
        return reply.strip() + "\n"
    when = formats.date_format(timezone.localtime(quoted.created_at), "DATETIME_FORMAT")
    name = _author_name(quoted)
    intro = _("On %(date)s, %(name)s wrote:") % {"date": when, "name": name}
    quote = "\n".join(f"> {line}".rstrip() for line in quote_source.splitlines())
    return f"{reply.strip()}\n\n{intro}\n{quote}\n"


def _author_name(message: Message) -> str:
    identity = message.identity
    if identity and identity.display_name:
        return identity.display_name
    customer = message.ticket.customer
    return customer.name or (identity.handle if identity else "") or customer.email


def _body_html(message: Message, quoted: Message | None) -> str:
    """The reply for HTML clients: the agent's Markdown-ish text rendered and sanitized,
    the customer's mail under it as a blockquote they fold away.

    A system message (CSAT survey, follow-up) that stored its own HTML is sent as that HTML:
    its one-click links are real links there, which rendering the text would not make. It was
    sanitized when stored and is sanitized again here, so a row edited later cannot smuggle in
    markup either.
    """
    if message.author_kind == AuthorKind.SYSTEM and message.body_html.strip():
        own = sanitize_html(message.body_html)
        return f'<html><body><div dir="auto">{own}</div></body></html>'
    own = sanitize_html(_markdown.render(message.body_text.strip()))
    quote = ""
    quote_source = _quoted_text(quoted)
    if quote_source:
        when = formats.date_format(timezone.localtime(quoted.created_at), "DATETIME_FORMAT")
        intro = _("On %(date)s, %(name)s wrote:") % {"date": when, "name": _author_name(quoted)}
        quote = f"<p>{escape(intro)}</p><blockquote>{linebreaks(escape(quote_source))}</blockquote>"
    return f'<html><body><div dir="auto">{own}{quote}</div></body></html>'
