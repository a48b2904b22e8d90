"""The port through which tickets send replies without knowing any channel.

`channels_in` registers one sender per ticket channel in its AppConfig.ready(). A sender is
called inside the reply's transaction and must only record the delivery (a row) and schedule
it after commit; it must not talk to the network.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Message

Sender = Callable[["Message"], None]
_senders: dict[str, Sender] = {}


class NoSenderForChannel(LookupError):
    pass


def register_sender(channel: str, sender: Sender) -> None:
    _senders[channel] = sender


def can_send(channel: str) -> bool:
    return channel in _senders


def send(message: Message) -> None:
    try:
        sender = _senders[message.channel]
    except KeyError:
        raise NoSenderForChannel(message.channel) from None
    sender(message)
