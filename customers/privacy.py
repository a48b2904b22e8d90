"""Who may see and change what about a customer, and how contact details look when masked.

Light agents help without seeing how to reach the customer outside the helpdesk: their pages
show `y•••@example.jp` and `•••-5678` instead of the address and number.
"""

from __future__ import annotations

from helpdesk.models import Role, User

from .models import IdentityKind
from .redaction import redact_pii as redact_pii  # inbound paths call it from here
from .services import PHONE_KINDS

MASK = "•••"


def sees_contact_details(user: User) -> bool:
    return user.is_staff_member and user.role != Role.LIGHT_AGENT


def can_merge(user: User) -> bool:
    # Merging rewrites who a conversation belongs to: not for read-mostly light agents.
    return sees_contact_details(user)


def can_block(user: User) -> bool:
    return user.can_manage


def can_import_orders(user: User) -> bool:
    return user.can_manage


def can_read_audit(user: User) -> bool:
    return user.is_active and user.role == Role.ADMIN


def mask_email(address: str) -> str:
    """ "yamada@example.jp" → "y•••@example.jp": enough to tell two addresses apart."""
    local, at, domain = address.partition("@")
    if not at:
        return mask_phone(address) if _looks_like_phone(address) else MASK if address else ""
    return f"{local[:1]}{MASK}@{domain}"


def mask_phone(number: str) -> str:
    """ "+81 90-1234-5678" → "•••-5678": the last four digits, as on a receipt."""
    digits = [ch for ch in number if ch.isdecimal()]
    if not digits:
        return MASK if number else ""
    return f"{MASK}-{''.join(digits[-4:])}" if len(digits) > 4 else MASK


def mask_contact(value: str, kind: str = "") -> str:
    """Masks an email address or phone number; other handles (LINE ids …) stay readable.

    Without a kind the value decides: anything with an "@" is treated as an address, so a
    display name that fell back to an email address is masked too.
    """
    if not value:
        return ""
    if kind == IdentityKind.EMAIL or (not kind and "@" in value):
        return mask_email(value)
    if kind in PHONE_KINDS or (not kind and _looks_like_phone(value)):
        return mask_phone(value)
    return value


def _looks_like_phone(value: str) -> bool:
    digits = sum(ch.isdecimal() for ch in value)
    return digits >= 5 and all(ch.isdecimal() or ch in "+-() ." for ch in value.strip())


def can_export(user: User) -> bool:
    # A data subject access request hands out everything we hold: managers and admins.
    return user.can_manage


def can_erase(user: User) -> bool:
    # Irreversible: only admins (the privacy officer's role).
    return user.is_active and user.role == Role.ADMIN


def can_manage_shops(user: User) -> bool:
    return user.is_active and user.role == Role.ADMIN


def can_define_fields(user: User) -> bool:
    return user.is_active and user.role == Role.ADMIN
