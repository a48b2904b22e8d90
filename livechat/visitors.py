"""Who a chat visitor is: their signed token, a shop's verified identity, the pre-chat
profile, and the customer their conversation is filed under."""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from customers.models import Customer, Identity, IdentityKind
from customers.services import customer_merge, identity_resolve
from helpdesk import crypto

from .errors import ChatError
from .models import ChatChannel, ChatVisitor, FieldMode

log = logging.getLogger(__name__)

TOKEN_SALT = "livechat.visitor"


def visitor_token(visitor: ChatVisitor) -> str:
    return signing.dumps({"c": visitor.channel_id, "v": visitor.uid.hex}, salt=TOKEN_SALT)


def visitor_from_token(channel: ChatChannel, token: str) -> ChatVisitor | None:
    """The visitor a token was issued to on this channel; None for anything else."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("c") != channel.pk:
        return None
    return ChatVisitor.objects.filter(channel=channel, uid=data.get("v")).first()


def identity_signature(secret: str, user_id: str) -> str:
    """What the shop's server computes: hex HMAC-SHA256 of the user id with the secret."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def verify_identity(channel: ChatChannel, user_id: str, signature: str) -> bool:
    try:
        secret = channel.get_secret()
    except crypto.DecryptionError:
        log.error("chat channel %s: the identity secret cannot be decrypted", channel.pk)
        return False
    if not secret or not user_id or not isinstance(signature, str):
        return False
    return hmac.compare_digest(identity_signature(secret, user_id), signature.lower())


def active_channel(key: str) -> ChatChannel:
    channel = ChatChannel.objects.filter(public_key=str(key)[:40], active=True).first()
    if channel is None:
        raise ChatError("unknown_channel", "no active chat channel has this key")
    return channel


def check_origin(channel: ChatChannel, origin: str) -> None:
    if not channel.allows_origin(origin):
        raise ChatError("origin_not_allowed", "this site may not use the chat channel")


def visitor_handle(visitor: ChatVisitor) -> str:
    if visitor.external_user_id:
        return f"u:{visitor.channel_id}:{visitor.external_user_id}"
    return f"v:{visitor.uid.hex}"


def page_fields(page: Any) -> dict[str, str]:
    if not isinstance(page, dict):
        return {}
    url = str(page.get("url") or "")[:1000]
    if not url.startswith(("http://", "https://")):
        url = ""
    return {"page_url": url, "page_title": str(page.get("title") or "")[:300]}


def clean_email(value: Any) -> str:
    email = str(value or "").strip()[:254]
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email.lower()


def update_profile(visitor: ChatVisitor, *, name: Any, email: Any, page: Any = None) -> None:
    """The pre-chat form (or a later "leave your email"): validate against the channel."""
    name = " ".join(str(name or "").split())[:200]
    raw_email = str(email or "").strip()
    clean = clean_email(raw_email)
    channel = visitor.channel
    if raw_email and not clean:
        raise ChatError("bad_email", "the email address is not valid")
    if channel.ask_name == FieldMode.REQUIRED and not (name or visitor.name):
        raise ChatError("name_required", "a name is required")
    if channel.ask_email == FieldMode.REQUIRED and not (clean or visitor.email):
        raise ChatError("email_required", "an email address is required")
    visitor.name = name or visitor.name
    visitor.email = clean or visitor.email
    for field, value in page_fields(page).items():
        setattr(visitor, field, value)
    visitor.save()
    settle_customer(visitor)


def needs_profile(visitor: ChatVisitor, *, offline: bool = False) -> bool:
    """The pre-chat form must be filled in first. Nobody online: the answer comes by email,
    so an email address is needed whatever the channel asks for."""
    channel = visitor.channel
    email_required = channel.ask_email == FieldMode.REQUIRED or offline
    return (channel.ask_name == FieldMode.REQUIRED and not visitor.name) or (
        email_required and not visitor.email
    )


def settle_customer(visitor: ChatVisitor) -> None:
    """Join the visitor's conversation to the customer they turned out to be.

    Only a customer made for an anonymous visitor (nothing but anonymous chat identities) is
    folded into another: an email typed into the widget is not proof enough to merge a known
    customer away, but it is enough to file an anonymous chat under that address.
    """
    identity = (
        Identity.objects.filter(kind=IdentityKind.CHAT, handle=visitor_handle(visitor))
        .select_related("customer")
        .first()
    )
    anonymous = (
        Identity.objects.filter(kind=IdentityKind.CHAT, handle=f"v:{visitor.uid.hex}")
        .select_related("customer")
        .first()
    )
    target: Customer | None = identity.customer if identity else None
    if visitor.email:
        target = identity_resolve(
            kind=IdentityKind.EMAIL, handle=visitor.email, display_name=visitor.name
        ).customer
    if target is not None and visitor.name and not target.name:
        Customer.objects.filter(pk=target.pk).update(name=visitor.name[:200])
    if identity is None and target is not None:
        # Known before the first message: it is filed under that customer from the start.
        identity, _ = Identity.objects.get_or_create(
            kind=IdentityKind.CHAT,
            handle=visitor_handle(visitor),
            defaults={"customer": target, "display_name": visitor.name[:200]},
        )
    merged: set[int] = set()
    for candidate in (anonymous, identity):
        if candidate is None or target is None or candidate.pk in merged:
            continue
        merged.add(candidate.pk)
        candidate.refresh_from_db(fields=["customer"])  # an earlier merge may have moved it
        if candidate.customer_id != target.pk and _only_anonymous(candidate.customer):
            customer_merge(source=candidate.customer, into=target)
    current = identity or anonymous
    if current is not None and visitor.identity_id != current.pk:
        ChatVisitor.objects.filter(pk=visitor.pk).update(identity=current)
        visitor.identity = current


def _only_anonymous(customer: Customer) -> bool:
    kinds = customer.identities.values_list("kind", "handle")
    return all(kind == IdentityKind.CHAT and handle.startswith("v:") for kind, handle in kinds)
