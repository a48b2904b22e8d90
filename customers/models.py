"""Who we talk to: customers, the channel identities they write from, their organizations."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdentityKind(models.TextChoices):
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat visitor")
    LINE = "line", "LINE"
    MESSENGER = "messenger", "Messenger"
    INSTAGRAM = "instagram", "Instagram"
    WHATSAPP = "whatsapp", "WhatsApp"
    X = "x", "X"
    TELEGRAM = "telegram", "Telegram"
    SMS = "sms", "SMS"
    PHONE = "phone", _("Phone")


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    domain = models.CharField(_("email domain"), max_length=200, blank=True, db_index=True)
    # Off by default: a colleague's request can hold things they told only us.
    shared_requests = models.BooleanField(
        _("members see each other's requests"),
        default=False,
        help_text=_(
            "In the help center's “My requests”, everyone in the organization sees its "
            "requests; only the requester can reply."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200, blank=True)
    # Furigana: how a Japanese name is read (ヤマダ タロウ), for sorting and for the phone.
    name_kana = models.CharField(_("name reading (kana)"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, db_index=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    # The help-center account of this customer, when they have one.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer",
    )
    tags = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    vip = models.BooleanField(_("VIP"), default=False)
    # Blocked customers (harassment, abuse): their messages are kept but open no tickets.
    blocked_at = models.DateTimeField(_("blocked at"), null=True, blank=True)
    blocked_reason = models.CharField(_("reason for blocking"), max_length=500, blank=True)
    # Values of the admin-defined custom fields, by the definition's key (see CustomField).
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    # Erasure (APPI / GDPR): the row stays so ticket statistics keep their customer, but
    # everything personal on it is gone. Irreversible.
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [GinIndex(fields=["custom_fields"], name="customer_custom_fields")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email or _("Customer #%(id)s") % {"id": self.pk}

    @property
    def is_blocked(self) -> bool:
        return self.blocked_at is not None

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


def identity_avatar_path(instance: Identity, filename: str) -> str:
    # Our own name: a new picture gets a new path, so a cached old one is never shown for it.
    return f"avatars/{instance.pk}/{filename}"


class Identity(models.Model):
    """One handle on one channel. Every inbound message resolves to a customer through this."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("channel"), max_length=20, choices=IdentityKind.choices)
    handle = models.CharField(_("handle"), max_length=320)
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    # The platform's profile picture, fetched once and re-encoded by `customers.avatars`
    # (a small square JPEG we serve ourselves: pages never load pictures from elsewhere).
    avatar = models.FileField(
        _("avatar"), upload_to=identity_avatar_path, max_length=300, blank=True, editable=False
    )
    # Where the picture came from: the same URL again is not fetched again.
    avatar_source = models.CharField(max_length=1000, blank=True, editable=False)
    avatar_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "handle"], name="identity_unique_per_channel")
        ]
        verbose_name_plural = _("identities")

    def __str__(self) -> str:
        return f"{self.kind}:{self.handle}"


class CustomerNote(models.Model):
    """An agent's note about the customer; pinned notes show on every ticket of theirs."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("note"))
    pinned = models.BooleanField(_("pinned"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pinned", "-created_at", "-id"]

    def __str__(self) -> str:
        return self.body[:60]


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
    # Where the order came from ("shopify", "csv", "api", a shop name) and its id there:
    # integrations upsert by (source, external_id).
    source = models.CharField(_("source"), max_length=40, default="manual")
    external_id = models.CharField(_("external id"), max_length=100)
    number = models.CharField(_("order number"), max_length=100)
    ordered_at = models.DateTimeField(_("ordered at"))
    status = models.CharField(_("status"), max_length=40, blank=True)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="JPY")
    shipping_status = models.CharField(_("shipping status"), max_length=60, blank=True)
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    tracking_url = models.URLField(_("tracking URL"), blank=True)
    # When the source last changed the order (Shopify `updated_at`, BASE `modified`): webhooks
    # arrive out of order and retries come late, so an older state never overwrites a newer one.
    source_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-ordered_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="order_unique_source_id")
        ]
        indexes = [models.Index(fields=["customer", "-ordered_at"], name="order_customer_recent")]

    def __str__(self) -> str:
        return self.number


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField(_("SKU"), max_length=100, blank=True)
    name = models.CharField(_("name"), max_length=300)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2, default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"


class CustomerMerge(models.Model):
    """The record of a merge: who folded which customer into which, and what moved."""

    into = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merges")
    merged_customer_id = models.BigIntegerField()
    # A snapshot, because the merged customer row no longer exists afterwards.
    merged_snapshot = models.JSONField(default=dict)
    moved = models.JSONField(default=dict)  # {"identities": 2, "tickets": 3, …}
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"customer {self.merged_customer_id} → {self.into_id}"


class AccessAction(models.TextChoices):
    VIEW = "view", _("View")
    EXPORT = "export", _("Export")
    MERGE = "merge", _("Merge")
    BLOCK = "block", _("Block")
    UNBLOCK = "unblock", _("Unblock")
    NOTE = "note", _("Note")
    IMPORT = "import", _("Order import")
    ERASE = "erase", _("Erasure")
    EDIT = "edit", _("Edit")


class CustomerAccess(models.Model):
    """One read or change of a customer's personal data by a staff member (APPI / GDPR audit).

    `customer_id` is a plain number, not a foreign key: the log must outlive merges and
    erasure unchanged, and a merge moves every row that points at the merged customer.
    """

    customer_id = models.BigIntegerField(_("customer"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("staff member"),
    )
    action = models.CharField(_("action"), max_length=10, choices=AccessAction.choices)
    at = models.DateTimeField(_("time"), default=timezone.now)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("customer access")
        verbose_name_plural = _("customer accesses")
        indexes = [
            models.Index(fields=["customer_id", "-at"], name="customeraccess_customer"),
            models.Index(fields=["actor", "-at"], name="customeraccess_actor"),
            models.Index(fields=["-at"], name="customeraccess_at"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.actor_id} {self.action} customer {self.customer_id} at {self.at:%Y-%m-%d %H:%M}"
        )


# --- custom fields ------------------------------------------------------------------------
class CustomFieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    CHECKBOX = "checkbox", _("Checkbox")


class CustomField(models.Model):
    """A field admins add to every customer (plan, birthday, member rank …).

    Values live in `Customer.custom_fields` under `key`, so reading a customer costs no extra
    query and filtering is one jsonb lookup.
    """

    key = models.SlugField(_("key"), max_length=50, unique=True)
    label = models.CharField(_("label"), max_length=100)
    kind = models.CharField(_("type"), max_length=10, choices=CustomFieldKind.choices)
    choices = ArrayField(
        models.CharField(max_length=100), default=list, blank=True, verbose_name=_("choices")
    )
    # Sensitive values are masked for light agents, like email addresses and phone numbers.
    sensitive = models.BooleanField(_("sensitive"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


# --- shop connections ---------------------------------------------------------------------
class ShopPlatform(models.TextChoices):
    SHOPIFY = "shopify", "Shopify"
    BASE = "base", "BASE"


class ShopConnection(models.Model):
    """A shop whose orders flow into purchase history: by webhook (Shopify) and by polling.

    Secrets are stored encrypted with `helpdesk.crypto`; `key` is the public, unguessable part
    of the webhook URL (`/webhooks/<platform>/<key>/`).
    """

    platform = models.CharField(_("platform"), max_length=20, choices=ShopPlatform.choices)
    name = models.CharField(_("name"), max_length=100)
    key = models.SlugField(max_length=40, unique=True)
    # Shopify: https://<shop>.myshopify.com; BASE: https://api.thebase.in. Configurable so
    # tests (and proxies) can point elsewhere.
    api_base_url = models.URLField(_("API base URL"), max_length=300)
    api_version = models.CharField(_("API version"), max_length=20, blank=True)
    access_token_encrypted = models.TextField(blank=True)
    # Shopify: the app's client secret that signs webhooks. BASE: the OAuth client secret.
    secret_encrypted = models.TextField(blank=True)
    client_id = models.CharField(_("client id"), max_length=200, blank=True)
    redirect_uri = models.URLField(_("redirect URI"), max_length=300, blank=True)
    refresh_token_encrypted = models.TextField(blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # Polling: orders placed since this moment are fetched on the next run.
    synced_until = models.DateTimeField(null=True, blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.get_platform_display()}: {self.name}"

    @property
    def source(self) -> str:
        """Order.source for this shop's orders: (source, external_id) stays unique per shop."""
        return f"{self.platform}:{self.pk}"[:40]


# --- tickets ↔ orders ---------------------------------------------------------------------
class TicketOrder(models.Model):
    """The order a ticket is about, picked by an agent on the ticket page.

    `ticket_id` is a plain number: customers imports none of the other apps (the tickets app
    reads this table through `customers.selectors.ticket_order`).
    """

    ticket_id = models.BigIntegerField(unique=True)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="ticket_links")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"ticket {self.ticket_id} → order {self.order_id}"
