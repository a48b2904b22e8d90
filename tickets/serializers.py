"""Shapes of the tickets API: one small input or output serializer per operation, no rules.

Validation here is only about the shape of the request (types, known choices, ids that exist);
whether a change is allowed is decided by `tickets.services`.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from helpdesk.api import OutputModelSerializer, StrictInputSerializer, UtcDateTimeField
from helpdesk.models import User

from .models import Attachment, Channel, Message, Priority, Status, Team, Ticket


class TicketFilterSerializer(serializers.Serializer):
    """Query parameters of the ticket list."""

    status = serializers.ChoiceField(choices=Status.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    assignee = serializers.CharField(
        required=False,
        help_text=_('A user id, "me" for the caller, or "none" for unassigned tickets.'),
    )
    customer = serializers.IntegerField(required=False, min_value=1)
    updated_after = UtcDateTimeField(
        required=False, help_text=_("ISO 8601; a time without an offset is read as UTC.")
    )
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text=_(
            "Full-text search over subjects, messages and internal notes, customer names, "
            "emails and handles, and tags, in Japanese and English; every word must match. "
            "Operators: status:open (or unsolved), priority:high, channel:line, tag:refund, "
            "assignee:me|none|<email>, from:@example.com, team:<name>, is:unassigned; "
            '"quoted words" must all match. With q the results come best match first, one '
            "page of at most page_size tickets, without a next cursor."
        ),
    )

    def validate_assignee(self, value: str) -> int | str:
        value = value.strip().lower()
        if value in {"me", "none"}:
            return value
        if value.isdecimal():
            return int(value)
        raise serializers.ValidationError(_('Give a user id, "me" or "none".'))


class TicketOutputSerializer(OutputModelSerializer):
    """One conversation with a customer, on the channel it came in on."""

    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = Ticket
        fields = [
            "id",
            "subject",
            "status",
            "priority",
            "channel",
            "customer",
            "assignee",
            "team",
            "tags",
            "created_at",
            "updated_at",
            # SLA fields: the next target due (kept by the sla app) and the measured times.
            "sla_target",
            "sla_due_at",
            "sla_breached",
            "first_replied_at",
            "solved_at",
        ]
        read_only_fields = fields


class TicketUpdateInputSerializer(StrictInputSerializer):
    """PATCH body: every field optional; `null` clears assignee or team."""

    status = serializers.ChoiceField(choices=Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    # Any existing user: whether they may own tickets is the service's call (400 if not).
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    tags = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text=_("Replaces all tags; names are trimmed and lower-cased, blanks dropped."),
    )
    updated_at = serializers.DateTimeField(
        required=False,
        help_text=_(
            "The ticket's updated_at as you last read it. If the ticket changed since, nothing "
            "is written and the answer is 409 with the ticket as it is now."
        ),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if not set(attrs) - {"updated_at"}:
            raise serializers.ValidationError(
                _("Nothing to change: send status, priority, assignee, team or tags.")
            )
        return attrs


class AttachmentOutputSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(
        help_text=_("Download link; send the same token or session as for the API.")
    )

    class Meta:
        model = Attachment
        fields = ["filename", "content_type", "size", "url"]
        read_only_fields = fields

    def get_url(self, attachment: Attachment) -> str:
        path = reverse("api:attachment-download", args=[attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class DeliveryOutputSerializer(serializers.Serializer):
    """The outbound delivery of an agent's reply."""

    # A plain field, not the model's choices: `tickets` does not import `channels_in`.
    status = serializers.CharField(help_text=_('"queued", "sent" or "failed".'))
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()


class MessageOutputSerializer(OutputModelSerializer):
    """A customer's message, an agent's reply or internal note, or a system note."""

    attachments = AttachmentOutputSerializer(many=True, read_only=True)
    delivery = serializers.SerializerMethodField(
        help_text=_("How the reply went out; null for notes and customers' messages.")
    )

    class Meta:
        model = Message
        fields = [
            "id",
            "author_kind",
            "internal",
            "body_text",
            "body_html",
            "attachments",
            "created_at",
            "delivery",
        ]
        read_only_fields = fields

    @extend_schema_field(DeliveryOutputSerializer(allow_null=True))
    def get_delivery(self, message: Message) -> dict[str, Any] | None:
        # The reverse one-to-one raises when there is no row; select_related cached that.
        delivery = getattr(message, "delivery", None)
        if delivery is None:
            return None
        return DeliveryOutputSerializer(delivery).data


class MessageCreateInputSerializer(StrictInputSerializer):
    """A reply to the customer (sent on the ticket's channel) or, with `internal`, a note."""

    body_text = serializers.CharField()
    internal = serializers.BooleanField(
        default=False, help_text=_("An internal note, never sent to the customer.")
    )
    status = serializers.ChoiceField(
        choices=Status.choices,
        required=False,
        help_text=_("The ticket's status afterwards; a public reply sets pending when left out."),
    )
