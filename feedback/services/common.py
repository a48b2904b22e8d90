"""Small pieces every feedback service shares: who acts for automations, language, links."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from customers.models import Customer
from helpdesk.models import Role, User
from tickets.models import Status, Ticket

RESOLVED_STATUSES = frozenset({Status.SOLVED, Status.CLOSED})
SPAM_TAG = "spam"
# An address on the reserved .invalid domain: no mail (a password reset, say) can ever reach
# it, so nobody can take the account over; it has no usable password either.
AUTOMATION_EMAIL = "automation@madoguchi.invalid"


def automation_actor() -> User:
    """The staff account automations act as, so the ticket's history names no real agent.

    A light agent: `update_ticket` and internal notes accept it, it cannot answer customers
    itself, and it is not offered in the assignee list.
    """
    user, created = User.objects.get_or_create(
        email=AUTOMATION_EMAIL,
        defaults={"name": "Madoguchi (automation)", "role": Role.LIGHT_AGENT},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def customer_language(customer: Customer) -> str:
    language = (customer.language or "").lower()[:2]
    codes = {code for code, _name in settings.LANGUAGES}
    return language if language in codes else settings.LANGUAGE_CODE


def absolute_url(name: str, **kwargs: object) -> str:
    return settings.SITE_URL + reverse(name, kwargs=kwargs)


def is_spam(ticket: Ticket) -> bool:
    return ticket.tags.filter(name=SPAM_TAG).exists()


def within_rate(key: str, limit: int, *, seconds: int = 3600) -> bool:
    """True while `key` has been counted at most `limit` times in its window (Redis, atomic)."""
    cache.add(key, 0, timeout=seconds)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # the key expired between add and incr: a fresh window
        cache.set(key, 1, timeout=seconds)
        return True
