"""Channel kind → adapter. Adding a channel is adding one module under adapters/."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tickets.inbound import IncomingMessage

    from .models import InboundEvent, OutboundDelivery


class Adapter(Protocol):
    kind: str

    def parse(self, event: InboundEvent) -> list[IncomingMessage]:
        """Turn a stored raw event into messages. Raise on malformed input; never half-parse."""

    def deliver(self, delivery: OutboundDelivery) -> str:
        """Send one delivery; return the provider's id. Raise to have it retried."""


class MalformedPayload(ValueError):
    """The raw event can never become a message (not a mail, no sender): retrying cannot help.

    The event stays stored as failed with this reason; an admin can fix the adapter and
    `replay_inbound` it.
    """


class PermanentDeliveryError(Exception):
    """The provider refused for good (bad address, blocked): retrying cannot help."""


_adapters: dict[str, Adapter] = {}


def register(adapter: Adapter) -> None:
    _adapters[adapter.kind] = adapter


def adapter_for(kind: str) -> Adapter:
    try:
        return _adapters[kind]
    except KeyError:
        raise LookupError(f"no adapter for channel {kind!r}") from None
