"""A port through which other apps export, erase and expire the personal data they hold.

`customers` imports none of the other apps, yet a data subject request must cover tickets,
messages, attachments and raw inbound events. Each of those apps registers a handler in its
AppConfig.ready(); the customers services call every registered handler inside their own
transaction, so an erasure is all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .models import Customer


@dataclass
class ExportFile:
    """A file to put into the export zip under `path`; `open` is called while zipping."""

    path: str
    open: Callable[[], IO[bytes]]


@dataclass
class ExportPart:
    """One handler's share of an export: JSON-ready data under its name, plus files."""

    data: Any
    files: list[ExportFile] = field(default_factory=list)


@dataclass(frozen=True)
class ErasureSubject:
    """Who is being erased. `customer` is already anonymised and has no identities left;
    `contacts` are the addresses, numbers, handles and names it had, for finding copies of
    them in raw data (stored mail, webhook bodies)."""

    customer: Customer
    contacts: tuple[str, ...]


class PersonalDataHandler(Protocol):
    name: str

    def export(self, customer: Customer) -> ExportPart:
        """Everything this app holds about the customer."""

    def erase(self, subject: ErasureSubject) -> dict[str, int]:
        """Remove or anonymise it. Returns counts for the audit record. Runs inside the
        erasure's transaction: file deletions wait for the commit."""

    def expire(self, before: datetime) -> dict[str, int]:
        """Retention: redact the content of solved conversations last touched before `before`."""


_handlers: dict[str, PersonalDataHandler] = {}


def register_personal_data_handler(handler: PersonalDataHandler) -> None:
    _handlers[handler.name] = handler


def personal_data_handlers() -> Iterator[PersonalDataHandler]:
    return iter(sorted(_handlers.values(), key=lambda handler: handler.name))
