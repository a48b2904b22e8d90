"""Routing rules, products and skills, automatic assignment, webhooks and event automations."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tickets.models import Channel, Priority, Status, Team


def _labels(values: list[str], choices) -> list[str]:
    names = dict(choices)
    return [str(names.get(value, value)) for value in values]


def _choices_list(choices, verbose: str) -> ArrayField:
    return ArrayField(
        models.CharField(max_length=20, choices=choices),
        verbose_name=verbose,
        default=list,
        blank=True,
    )


class OrderedRule(models.Model):
    """What routing rules and automations share: a name, an order among their kind, an on/off
    switch and the channels they apply to (empty: every channel)."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    channels = _choices_list(Channel.choices, _("channels"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def channel_labels(self) -> list[str]:
        return _labels(self.channels, Channel.choices)


class Product(models.Model):
    """A product (or service) agents can be skilled in. A ticket is about a product when it
    carries the product's tag: a routing rule, the product's own keywords on a new ticket, or
    an agent adding the tag by hand puts it there, and views, search and bulk edits already
    understand tags."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    tag = models.CharField(
        _("tag"),
        max_length=60,
        unique=True,
        help_text=_("Tickets with this tag are about this product."),
    )
    keywords = ArrayField(
        models.CharField(max_length=100), verbose_name=_("keywords"), default=list, blank=True
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class RoutingRule(OrderedRule):
    """On a new ticket the first active rule (by position) whose set conditions all match
    gives the ticket its team and priority. An empty condition matches anything."""

    keywords = ArrayField(
        models.CharField(max_length=100), verbose_name=_("keywords"), default=list, blank=True
    )
    customer_tags = ArrayField(
        models.CharField(max_length=60), verbose_name=_("customer tags"), default=list, blank=True
    )
    vip_only = models.BooleanField(_("VIP customers only"), default=False)
    languages = ArrayField(
        models.CharField(max_length=10), verbose_name=_("languages"), default=list, blank=True
    )
    set_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("route to team"),
    )
    set_priority = models.CharField(
        _("set priority"), max_length=10, choices=Priority.choices, blank=True
    )
    set_product = models.ForeignKey(
        Product,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("set product"),
    )


class AssignmentMode(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")


class ProductMatch(models.TextChoices):
    IGNORE = "", _("Ignore products")
    PREFER = "prefer", _("Prefer agents with the product skill")
    REQUIRE = "require", _("Only agents with the product skill")


class TeamAssignment(models.Model):
    """How a team hands out its new tickets among its members who are online."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="assignment")
    mode = models.CharField(
        _("method"),
        max_length=20,
        choices=AssignmentMode.choices,
        default=AssignmentMode.ROUND_ROBIN,
    )
    active = models.BooleanField(_("assign automatically"), default=True)
    # Only when this is set do agents need the ticket customer's language among their skills.
    match_language = models.BooleanField(_("match the customer's language"), default=False)
    match_product = models.CharField(
        _("product skills"), max_length=10, choices=ProductMatch.choices, blank=True
    )
    # Round robin's pointer: the next pick is the first candidate after this user id.
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    def __str__(self) -> str:
        return str(self.team)


DEFAULT_CAPACITY = {Channel.CHAT: 3, Channel.EMAIL: 20}
DEFAULT_CAPACITY_OTHER = 20


class AgentCapacity(models.Model):
    """How many unsolved tickets of one channel an agent may hold before auto-assignment
    passes them by. Without a row the defaults apply (3 chats, 20 of anything else)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="capacities"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    max_open = models.PositiveIntegerField(_("open tickets at most"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "channel"], name="agent_capacity_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.channel} ≤ {self.max_open}"


class AgentSkills(models.Model):
    """Languages (ja, en, …) an agent answers in and products they know; used when a team
    matches languages or products."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skills"
    )
    languages = ArrayField(
        models.CharField(max_length=10), verbose_name=_("languages"), default=list, blank=True
    )
    products = models.ManyToManyField(
        Product, blank=True, related_name="skilled", verbose_name=_("products")
    )

    def __str__(self) -> str:
        return f"{self.user}: {', '.join(self.languages)}"


class WebhookEndpoint(models.Model):
    """An outside URL automations post to (a Slack incoming webhook, an internal service).
    Bodies are signed with HMAC-SHA256 of the secret (header X-Madoguchi-Signature)."""

    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=200)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class AutomationEvent(models.TextChoices):
    CREATED = "created", _("Ticket created")
    CUSTOMER_REPLIED = "customer_replied", _("Customer replied")
    STATUS_CHANGED = "status_changed", _("Status changed")
    TIME = "time", _("Time passes")


class TimeBasis(models.TextChoices):
    """What a time automation counts from (see automations.timed)."""

    CREATED = "created", _("Time since created")
    UPDATED = "updated", _("Time since the last update")
    CUSTOMER_MESSAGE = "customer_message", _("Time since the customer last wrote")
    AGENT_REPLY = "agent_reply", _("Time since the last agent reply")
    STATUS = "status", _("Time in the current status")
    SLA_DUE_SOON = "sla_due_soon", _("SLA due within")
    SLA_BREACHED = "sla_breached", _("SLA breached for")


class TimeUnit(models.TextChoices):
    MINUTES = "minutes", _("minutes")
    HOURS = "hours", _("hours")
    DAYS = "days", _("days")


class AssigneeCondition(models.TextChoices):
    ANY = "", _("Anyone or nobody")
    UNASSIGNED = "unassigned", _("Unassigned")
    ASSIGNED = "assigned", _("Assigned")


class Automation(OrderedRule):
    """When `event` happens and every set condition matches, do every set action."""

    event = models.CharField(_("when"), max_length=20, choices=AutomationEvent.choices)
    # Conditions: empty matches anything.
    statuses = _choices_list(Status.choices, _("statuses"))
    priorities = _choices_list(Priority.choices, _("priorities"))
    tags = ArrayField(
        models.CharField(max_length=60), verbose_name=_("ticket tags"), default=list, blank=True
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("team is"),
    )
    keywords = ArrayField(
        models.CharField(max_length=100), verbose_name=_("keywords"), default=list, blank=True
    )
    without_tags = ArrayField(
        models.CharField(max_length=60),
        verbose_name=_("ticket has none of the tags"),
        default=list,
        blank=True,
    )
    assignee_is = models.CharField(
        _("assignee"), max_length=10, choices=AssigneeCondition.choices, blank=True
    )
    # Time automations only (event "time"): how long since what.
    time_basis = models.CharField(
        _("time since"), max_length=20, choices=TimeBasis.choices, blank=True
    )
    time_amount = models.PositiveIntegerField(_("at least"), null=True, blank=True)
    time_unit = models.CharField(
        _("unit"), max_length=10, choices=TimeUnit.choices, default=TimeUnit.HOURS
    )
    # Actions.
    set_priority = models.CharField(
        _("set priority"), max_length=10, choices=Priority.choices, blank=True
    )
    set_status = models.CharField(
        _("set status"), max_length=10, choices=Status.choices, blank=True
    )
    set_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("set team"),
    )
    assign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("assign to"),
    )
    add_tags = ArrayField(
        models.CharField(max_length=60), verbose_name=_("add tags"), default=list, blank=True
    )
    notify_text = models.CharField(_("notify agents"), max_length=300, blank=True)
    reply_text = models.TextField(_("auto-reply to the customer"), max_length=5000, blank=True)
    webhook = models.ForeignKey(
        WebhookEndpoint,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("post to webhook"),
    )

    @property
    def status_labels(self) -> list[str]:
        return _labels(self.statuses, Status.choices)

    @property
    def is_timed(self) -> bool:
        return self.event == AutomationEvent.TIME

    @property
    def time_summary(self) -> str:
        """ "Time in the current status ≥ 4 days", "SLA due within 30 minutes"."""
        if not self.is_timed or not self.time_basis:
            return ""
        values = {
            "basis": self.get_time_basis_display(),
            "amount": self.time_amount or 0,
            "unit": self.get_time_unit_display(),
        }
        if self.time_basis == TimeBasis.SLA_DUE_SOON:
            return gettext("%(basis)s %(amount)s %(unit)s") % values
        return gettext("%(basis)s ≥ %(amount)s %(unit)s") % values

    @property
    def time_delta(self) -> timedelta:
        amount = self.time_amount or 0
        return timedelta(**{self.time_unit or TimeUnit.HOURS: amount})

    @property
    def priority_labels(self) -> list[str]:
        return _labels(self.priorities, Priority.choices)
