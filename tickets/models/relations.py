"""Relations between tickets and people: merges, links and followers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .core import Ticket


class TicketMerge(models.Model):
    """The record of a merge: which ticket went into which, by whom, how many messages moved."""

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="merges")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    moved_messages = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.source_id} → #{self.target_id}"


class LinkKind(models.TextChoices):
    FOLLOW_UP = "follow_up", _("Follow-up")
    SPLIT = "split", _("Split")


class TicketLink(models.Model):
    """`ticket` came out of `origin`: a customer wrote again long after `origin` was closed
    (follow-up), or an agent split some of `origin`'s messages off into it (split)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    origin = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=20, choices=LinkKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moved_messages = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "origin", "kind"], name="ticket_link_unique")
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.kind} of #{self.origin_id}"


class FollowerSource(models.TextChoices):
    CC = "cc", _("Cc on the customer's mail")
    AGENT = "agent", _("Added by an agent")


class TicketFollower(models.Model):
    """Someone besides the requester who is kept in the loop: Cc'd on every public reply."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="followers")
    identity = models.ForeignKey(
        "customers.Identity", on_delete=models.CASCADE, related_name="followed_tickets"
    )
    source = models.CharField(max_length=10, choices=FollowerSource.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "identity"], name="ticket_follower_unique")
        ]

    def __str__(self) -> str:
        return f"{self.identity_id} follows {self.ticket_id}"
