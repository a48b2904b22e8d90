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

from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

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


def raw_bytes_mention(column: str, contact: str) -> RawSQL:
    """A filter: the bytea `column` holds `contact`, whatever the letter case.

    Mail and webhooks carry addresses as the sender typed them ("Taro.Yamada@Example.JP")
    while identities keep them folded, so an exact byte search misses them. PostgreSQL's
    `escape` encoding turns a bytea into ASCII text (bytes ≥ 0x80 become \\nnn, a backslash is
    doubled), which lower() can fold without decoding a payload of unknown charset; the needle
    goes through the same encoding so non-ASCII names still match byte for byte.
    Use as `Model.objects.filter(raw_bytes_mention("payload", contact))`; `column` is ours,
    never outside text, and the contact is a bound parameter.
    """
    if not column.isidentifier():
        raise ValueError(f"not a column name: {column!r}")
    return RawSQL(  # noqa: S611 - the column is checked above, the contact is a parameter
        "position(lower(encode(%s::bytea, 'escape')) in "
        f"lower(encode(\"{column}\", 'escape'))) > 0",
        [contact.encode()],
        output_field=BooleanField(),
    )


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
