"""`{% identity_avatar identity "msg__avatar" %}`: the stored picture, else the initial."""

from __future__ import annotations

from django import template
from django.urls import reverse

register = template.Library()


def avatar_url(identity) -> str:
    if identity is None or not getattr(identity, "avatar", None):
        return ""
    version = int(identity.avatar_updated_at.timestamp()) if identity.avatar_updated_at else 0
    return f"{reverse('customers:identity-avatar', args=[identity.pk])}?v={version}"


@register.inclusion_tag("customers/_avatar.html")
def identity_avatar(identity, css: str = "", initial: str = "", size: int = 28):
    """A round picture of the identity, or the initial (`initial`) when it has none."""
    return {"url": avatar_url(identity), "css": css, "initial": initial, "size": size}


@register.simple_tag
def avatar_identity_of(identities):
    """The identity whose picture stands for the customer: the newest picture among
    `identities` (a list, or a customer's prefetched `identities.all`)."""
    with_picture = [i for i in identities or () if getattr(i, "avatar", None)]
    return max(with_picture, key=lambda i: i.avatar_updated_at or i.created_at, default=None)
