"""The agent's search box: `status:open tag:refund from:@example.com 配送` → filters and free text.

A pure function over a string, no database: the selector turns the result into a query. Anything
it does not understand is searched as text and reported back as a hint, never an error.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpdesk.search import MAX_QUERY_CHARS

from .models import UNSOLVED_STATUSES, Channel, Priority, Status

OPERATORS = ("status", "priority", "channel", "tag", "assignee", "from", "team", "is")
MAX_VALUE_CHARS = 100

# key:value, key:"quoted value", "a phrase", or a plain word. Keys are ASCII letters only, so
# "10:30" and "https://…" stay words.
_TOKEN = re.compile(
    r'(?P<key>[A-Za-z]+):(?:"(?P<quoted>[^"]*)"?|(?P<value>[^\s"]+))'
    r'|"(?P<phrase>[^"]*)"?'
    r"|(?P<word>[^\s\"]+)"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_STATUS_WORDS = {
    **{status.value: (status.value,) for status in Status},
    "unsolved": tuple(status.value for status in UNSOLVED_STATUSES),
    "onhold": (Status.ON_HOLD.value,),
    "hold": (Status.ON_HOLD.value,),
}


@dataclass
class TicketQuery:
    """What a search box string asks for. Empty tuples mean "no condition"."""

    text: str = ""
    statuses: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # every one must be on the ticket
    assignees: tuple[str, ...] = ()  # "me", "none" or an email / name
    senders: tuple[str, ...] = ()  # from: part of the customer's email, handle or name
    teams: tuple[str, ...] = ()
    hints: list[str] = field(default_factory=list)

    @property
    def has_filters(self) -> bool:
        return any(
            (
                self.statuses,
                self.priorities,
                self.channels,
                self.tags,
                self.assignees,
                self.senders,
                self.teams,
            )
        )

    @property
    def is_empty(self) -> bool:
        return not self.text and not self.has_filters


def search_box_text(raw: str) -> str:
    """The query as typed, safe to echo back (no control characters, bounded, trimmed)."""
    return " ".join(_CONTROL.sub(" ", raw or "")[: MAX_QUERY_CHARS * 4].split())


def parse_ticket_query(raw: str) -> TicketQuery:
    """Split a search box string into operator filters and free text."""
    # NFKC first: a Japanese IME types ｓｔａｔｕｓ：ｏｐｅｎ with full-width letters and colon.
    text = _CONTROL.sub(" ", unicodedata.normalize("NFKC", raw or "")).strip()
    query = TicketQuery()
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        query.hints.append(
            _("Only the first %(count)s characters were searched.") % {"count": MAX_QUERY_CHARS}
        )
    free: list[str] = []
    lists: dict[str, list[str]] = {name: [] for name in OPERATORS}
    for match in _TOKEN.finditer(text):
        if match.group("key") is None:
            free.append(match.group("phrase") or match.group("word") or "")
            continue
        key = match.group("key").lower()
        value = (
            match.group("quoted")
            if match.group("quoted") is not None
            else match.group("value") or ""
        ).strip()[:MAX_VALUE_CHARS]
        if key not in OPERATORS:
            if not value.startswith("//"):  # a pasted URL is text, not a mistyped operator
                query.hints.append(_unknown_operator(key))
            free.append(match.group())
        elif not value or not _accept(key, value, lists):
            query.hints.append(_unknown_value(key, value))
            free.append(match.group())
    query.text = " ".join(word for word in free if word.strip())
    query.statuses = _unique(lists["status"])
    query.priorities = _unique(lists["priority"])
    query.channels = _unique(lists["channel"])
    query.tags = _unique(lists["tag"])
    query.assignees = _unique(lists["assignee"] + lists["is"])
    query.senders = _unique(lists["from"])
    query.teams = _unique(lists["team"])
    return query


def _accept(key: str, value: str, lists: dict[str, list[str]]) -> bool:
    """Add the value(s) of one operator; False when a value is not one it knows."""
    values = [part.strip() for part in value.split(",") if part.strip()]
    if not values:
        return False
    for item in values:
        folded = item.casefold()
        if key == "status":
            statuses = _STATUS_WORDS.get(folded.replace("-", "_"))
            if statuses is None:
                return False
            lists[key].extend(statuses)
        elif key in ("priority", "channel"):
            known = Priority.values if key == "priority" else Channel.values
            if folded not in known:
                return False
            lists[key].append(folded)
        elif key == "is":
            if folded != "unassigned":
                return False
            lists[key].append("none")
        elif key == "assignee":
            lists[key].append(folded if folded in ("me", "none") else item)
        elif key == "tag":
            lists[key].append(folded)  # tags are stored trimmed and lower-cased
        else:
            lists[key].append(item)
    return True


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _unknown_operator(key: str) -> str:
    return _("“%(operator)s:” is not a search operator; it was searched as text.") % {
        "operator": key
    }


def _unknown_value(key: str, value: str) -> str:
    return _("“%(operator)s:%(value)s” is not a value we know; it was searched as text.") % {
        "operator": key,
        "value": value,
    }


# Listed in the empty state of a search, so an agent sees what else to try.
OPERATOR_HELP = (
    ("status:open", gettext_lazy("status (also unsolved)")),
    ("priority:high", gettext_lazy("priority")),
    ("channel:line", gettext_lazy("channel")),
    ("tag:refund", gettext_lazy("tag")),
    ("assignee:me", gettext_lazy("assignee: me, none or an email")),
    ("from:@example.com", gettext_lazy("customer email, handle or name")),
    ("team:support", gettext_lazy("team")),
    ("is:unassigned", gettext_lazy("no assignee")),
)
