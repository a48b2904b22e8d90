"""What every social adapter shares: the webhook contract, account lookup, the reply window.

An adapter (one module per provider under `adapters/`) subclasses `SocialAdapter` and fills in
the provider's specifics. The webhook view (`webhooks.py`) drives the inbound half:
`handshake` → `verify` → `event_keys` (one stored InboundEvent per provider event, keyed by the
provider's own id) → later, on the ingest queue, `parse`. The outbound half is `check_reply`
(inside the agent's reply transaction: refuse early with a sentence the agent sees) and
`deliver` (on the deliver queue).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets.inbound import IncomingAttachment, IncomingMessage
from tickets.models import AuthorKind, Message, Ticket

from . import social_http
from .models import InboundEvent, OutboundDelivery, SocialAccount
from .registry import MalformedPayload, PermanentDeliveryError

log = logging.getLogger(__name__)

# The header naming which provider event inside a stored webhook body an InboundEvent is.
EVENT_HEADER = "madoguchi-event"


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str


class SocialAdapter:
    kind: str = ""
    # Headers worth keeping beside the raw body (signatures, content type, delivery ids).
    kept_headers: tuple[str, ...] = ("Content-Type",)

    # --- inbound, in the web process ---------------------------------------------------

    def handshake(self, request: HttpRequest, account: SocialAccount) -> HttpResponse | None:
        """Answer a provider's GET verification; None means "GET is not used here"."""
        return None

    def verify(self, request: HttpRequest, body: bytes, account: SocialAccount) -> bool:
        raise NotImplementedError

    def event_keys(self, request: HttpRequest, body: bytes) -> list[str]:
        """The provider's ids of the events in this body. Raises MalformedPayload."""
        try:
            return [key for key, _item in self.keyed_events(decode_json(body))]
        except SHAPE_ERRORS as exc:
            raise _unexpected_shape(exc) from exc

    def events(self, data) -> Iterable[tuple[str, object]]:
        """(provider event id, event) for every event in a decoded body."""
        raise NotImplementedError

    def keyed_events(self, data) -> Iterable[tuple[str, object]]:
        """`events` with keys unique within the body: two events that claim one id (test
        fixtures do) stay two events, told apart by their content, the same way on every
        redelivery."""
        seen: set[str] = set()
        for key, item in self.events(data):
            if key in seen:
                key = f"{key}:{hash_key(item)}"
            seen.add(key)
            yield key, item

    def ack(self, stored: int, duplicates: int) -> HttpResponse:
        return JsonResponse({"ok": True, "stored": stored, "duplicates": duplicates})

    # --- inbound, on the ingest queue ----------------------------------------------------

    def parse(self, event: InboundEvent) -> list[IncomingMessage]:
        account = account_of(event)
        wanted = event.headers.get(EVENT_HEADER, "")
        try:
            for key, item in self.keyed_events(self.decode_stored(event)):
                if key == wanted:
                    return self.parse_item(item, account, event)
        except SHAPE_ERRORS as exc:
            raise _unexpected_shape(exc) from exc
        raise MalformedPayload(f"event {wanted!r} is not in the stored body")

    def decode_stored(self, event: InboundEvent):
        return decode_json(bytes(event.payload))

    def parse_item(self, item, account: SocialAccount, event: InboundEvent):
        raise NotImplementedError

    # --- outbound ------------------------------------------------------------------------

    def check_reply(self, message: Message) -> None:
        """Raise ValidationError (shown to the agent, nothing is sent) when the platform
        cannot take this reply now. Called inside the reply's transaction."""
        try:
            account_for_ticket(message.ticket, self.kind)
        except PermanentDeliveryError as exc:
            refuse(str(exc))

    def deliver(self, delivery: OutboundDelivery) -> str:
        raise NotImplementedError

    def test_connection(self, account: SocialAccount) -> ConnectionCheck:
        raise NotImplementedError


# --- helpers ---------------------------------------------------------------------------------


# A signed body whose fields have types the provider's documentation does not allow (a list
# where an object belongs, …) trips these while being read: malformed, not worth retrying.
SHAPE_ERRORS = (TypeError, AttributeError, KeyError, IndexError)


def _unexpected_shape(exc: Exception) -> MalformedPayload:
    return MalformedPayload(f"unexpected shape: {exc.__class__.__name__}: {exc}")


def decode_json(body: bytes):
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedPayload(f"the body is not JSON: {exc}") from exc


def hash_key(item) -> str:
    """A stable key for an event the provider gives no id (sorted JSON of the event)."""
    raw = json.dumps(item, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def hmac_sha256(secret: str, data: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha256).digest()


def same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def account_of(event: InboundEvent) -> SocialAccount:
    try:
        return SocialAccount.objects.get(pk=int(event.account_id), kind=event.kind)
    except (ValueError, SocialAccount.DoesNotExist):
        raise MalformedPayload(f"the {event.kind} account {event.account_id!r} is gone") from None


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def access_token(account: SocialAccount) -> str:
    token = account.get_access_token()
    if not token:
        raise PermanentDeliveryError(
            _("The account “%(name)s” has no access token: add it in Settings → Social accounts.")
            % {"name": account.name}
        )
    return token


def from_millis(value) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def from_seconds(value) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def location_text(name: str, address: str, latitude, longitude) -> str:
    lines = [_("Location: %(name)s") % {"name": name or _("(no name)")}]
    if address:
        lines.append(address)
    if latitude is not None and longitude is not None:
        lines.append(f"https://www.openstreetmap.org/?mlat={latitude}&mlon={longitude}&zoom=17")
    return "\n".join(lines)


def fetched_attachment(
    url: str,
    *,
    filename: str = "",
    stem: str = "attachment",
    content_type: str = "",
    headers: dict | None = None,
    auth: tuple[str, str] | None = None,
) -> tuple[IncomingAttachment | None, str]:
    """Download one media file. Returns (attachment, note); a file over the size limit gives
    no attachment and a note for the message body instead of failing the whole event."""
    try:
        got = social_http.download(url, headers=headers, auth=auth)
    except social_http.MediaTooLarge:
        return None, _("(A file was too large to download: %(name)s)") % {"name": filename or stem}
    kind = content_type or got.content_type or "application/octet-stream"
    name = filename or f"{stem}{social_http.extension_for(kind)}"
    return IncomingAttachment(filename=name, content_type=kind, content=got.content), ""


# --- outbound: which account, which window ----------------------------------------------------


def account_for_ticket(ticket: Ticket, kind: str) -> SocialAccount:
    """The account the customer last wrote to on this ticket, else the only one of its kind."""
    account_ids = (
        InboundEvent.objects.filter(kind=kind, message__ticket=ticket)
        .exclude(account_id="")
        .order_by("-received_at")
        .values_list("account_id", flat=True)
    )
    for account_id in account_ids[:1]:
        account = SocialAccount.objects.filter(pk=account_id, kind=kind).first()
        if account is not None:
            if not account.active:
                raise PermanentDeliveryError(
                    _("The account “%(name)s” is deactivated: activate it to reply.")
                    % {"name": account.name}
                )
            return account
    active = list(SocialAccount.objects.filter(kind=kind, active=True)[:2])
    if len(active) == 1:
        return active[0]
    raise PermanentDeliveryError(
        _("No active %(channel)s account to reply from: connect one in Settings.")
        % {"channel": kind}
    )


def last_customer_message(ticket: Ticket) -> Message | None:
    return (
        Message.objects.filter(ticket=ticket, author_kind=AuthorKind.CUSTOMER)
        .order_by("-created_at", "-id")
        .first()
    )


def inbound_event_of(message: Message | None) -> InboundEvent | None:
    if message is None:
        return None
    return InboundEvent.objects.filter(message=message).order_by("-received_at").first()


def hours_since_customer(ticket: Ticket) -> float | None:
    last = last_customer_message(ticket)
    if last is None:
        return None
    return (timezone.now() - last.created_at) / timedelta(hours=1)


def refuse(text: str) -> None:
    raise ValidationError(text)


def split_text(text: str, limit: int) -> list[str]:
    """Split a long reply into provider-sized pieces, preferring line breaks."""
    text = text.strip()
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n")
    if text:
        pieces.append(text)
    return pieces


# --- receipts --------------------------------------------------------------------------------

_RECEIPT_RANK = {"": 0, "delivered": 1, "read": 2, "undelivered": 3}


def record_receipt(
    *, kind: str, provider_id: str, receipt: str, at: datetime | None = None, error: str = ""
) -> int:
    """Note a provider's delivered / read / undelivered report on our delivery row.

    Receipts arrive out of order and more than once: a state never goes back ("read" stays
    read when a late "delivered" comes). Returns how many deliveries changed.
    """
    from django.db.models import Q

    from tickets import realtime

    from .models import DeliveryReceipt, DeliveryStatus

    if not provider_id:
        return 0
    matches = (
        Q(provider_id=provider_id)
        | Q(provider_id__startswith=f"{provider_id} ")
        | Q(provider_id__endswith=f" {provider_id}")
        | Q(provider_id__contains=f" {provider_id} ")
    )
    changed = 0
    deliveries = OutboundDelivery.objects.select_for_update().filter(matches, kind=kind)
    for delivery in deliveries:
        if _RECEIPT_RANK.get(receipt, 0) <= _RECEIPT_RANK.get(delivery.receipt, 0):
            continue
        delivery.receipt = receipt
        delivery.receipt_at = at or timezone.now()
        if receipt == DeliveryReceipt.UNDELIVERED:
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = error or _("The platform could not deliver the message.")
        delivery.save(update_fields=["receipt", "receipt_at", "status", "last_error"])
        realtime.publish(
            "delivery.updated",
            ticket=delivery.message.ticket_id,
            message=delivery.message_id,
            status=delivery.status,
            receipt=delivery.receipt,
        )
        changed += 1
    return changed


def sender_for(kind: str):
    """The `tickets.outbound` sender of a social channel: refuse now what the platform would
    refuse (closed window, over-long public post), else record the delivery."""
    from . import registry, services

    def send(message: Message) -> None:
        adapter = registry.adapter_for(kind)
        adapter.check_reply(message)
        services.queue_delivery(message, kind=kind)

    return send
