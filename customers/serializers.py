"""Shapes of the customers API: read-only output, one serializer per nested object."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from helpdesk.api import OutputModelSerializer, StrictInputSerializer

from .models import Customer, CustomField, Identity, Order, OrderItem, Organization
from .privacy import MASK, mask_contact, sees_contact_details
from .selectors import RECENT_ORDERS


class CustomerSearchSerializer(serializers.Serializer):
    """Query parameters of the customer list."""

    q = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("Part of the name, email address or a channel handle."),
    )
    email = serializers.EmailField(required=False, help_text=_("Exact email address."))
    phone = serializers.CharField(required=False, help_text=_("Phone number, any punctuation."))
    handle = serializers.CharField(
        required=False, help_text=_("Exact channel handle (LINE user id, phone, address …).")
    )


class OrganizationOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name"]
        read_only_fields = fields


class IdentityOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Identity
        fields = ["kind", "handle", "display_name"]
        read_only_fields = fields


class OrderItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderItem
        fields = ["sku", "name", "quantity", "price"]


class OrderOutputSerializer(OutputModelSerializer):
    items = OrderItemSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "source",
            "external_id",
            "number",
            "ordered_at",
            "status",
            "total",
            "currency",
            "shipping_status",
            "carrier",
            "tracking_number",
            "tracking_url",
            "items",
        ]
        read_only_fields = fields


class OrderUpsertInputSerializer(StrictInputSerializer):
    """An order as a shop knows it; sending the same (source, external_id) again updates it."""

    source = serializers.SlugField(
        max_length=40, help_text=_("Where the order lives, e.g. shopify.")
    )
    external_id = serializers.CharField(max_length=100)
    number = serializers.CharField(max_length=100)
    ordered_at = serializers.DateTimeField()
    status = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    total = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, default=0)
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", default="JPY")
    shipping_status = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default=""
    )
    carrier = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    tracking_url = serializers.URLField(required=False, allow_blank=True, default="")
    items = OrderItemSerializer(many=True, required=False, default=list)


class CustomerOutputSerializer(OutputModelSerializer):
    """Someone we talk to, with the channel identities they write from and their orders.

    Light agents get email addresses and phone numbers masked, as on the pages.
    """

    def to_representation(self, instance: Customer) -> dict:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not sees_contact_details(request.user):
            data["email"] = mask_contact(data["email"], "email")
            data["phone"] = mask_contact(data["phone"], "phone")
            for identity in data["identities"]:
                identity["handle"] = mask_contact(identity["handle"], identity["kind"])
            # Looked up once per response (the context is shared by a list's items).
            if "_sensitive_keys" not in self.context:
                self.context["_sensitive_keys"] = set(
                    CustomField.objects.filter(sensitive=True).values_list("key", flat=True)
                )
            for key in self.context["_sensitive_keys"] & set(data["custom_fields"]):
                data["custom_fields"][key] = MASK
        return data

    organization = OrganizationOutputSerializer(read_only=True, allow_null=True)
    identities = IdentityOutputSerializer(many=True, read_only=True)
    orders = OrderOutputSerializer(
        many=True,
        read_only=True,
        source="recent_orders",
        help_text=_("Purchase history, newest first (the latest %(n)d).") % {"n": RECENT_ORDERS},
    )
    blocked = serializers.BooleanField(source="is_blocked", read_only=True)
    erased = serializers.BooleanField(source="is_erased", read_only=True)
    custom_fields = serializers.DictField(
        read_only=True,
        help_text=_(
            "Values of the admin-defined custom fields, by key (sensitive ones masked "
            "for light agents)."
        ),
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "name_kana",
            "email",
            "phone",
            "language",
            "organization",
            "tags",
            "vip",
            "blocked",
            "erased",
            "custom_fields",
            "identities",
            "orders",
            "created_at",
        ]
        read_only_fields = fields


class CustomerUpdateInputSerializer(StrictInputSerializer):
    """A partial update: only the keys sent change. `custom_fields` values are checked against
    their definitions; null clears one."""

    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    name_kana = serializers.CharField(max_length=200, required=False, allow_blank=True)
    language = serializers.CharField(max_length=10, required=False, allow_blank=True)
    time_zone = serializers.CharField(max_length=64, required=False, allow_blank=True)
    vip = serializers.BooleanField(required=False)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, max_length=50
    )
    custom_fields = serializers.DictField(
        child=serializers.JSONField(allow_null=True), required=False
    )
