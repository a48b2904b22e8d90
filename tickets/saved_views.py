"""Inbox views: the built-in ones every agent has, and saved custom views (filters + sort).

One place turns a view into a query (`view_queryset`) so the inbox list, its counts and the API
can never disagree about what a view holds. Custom filters are validated by
`clean_view_filters` before they are stored and again (defensively) when they are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpdesk.models import User

from . import paging
from .models import (
    UNSOLVED_STATUSES,
    Channel,
    Priority,
    SavedView,
    Status,
    Tag,
    Ticket,
    ViewSort,
)

SOLVED_RECENTLY_DAYS = 7
MAX_LIST_VALUES = 50
MAX_VIEWS_PER_USER = 50


@dataclass(frozen=True)
class InboxView:
    key: str
    label: str
    custom: bool = False
    shared: bool = False
    editable: bool = False


BUILT_IN_VIEWS = (
    InboxView("mine", gettext_lazy("My open")),
    InboxView("unassigned", gettext_lazy("Unassigned")),
    InboxView("open", gettext_lazy("All open")),
    InboxView("pending", gettext_lazy("Pending")),
    InboxView("solved", gettext_lazy("Solved recently")),
    InboxView("chats", gettext_lazy("Chats waiting")),
    InboxView("all", gettext_lazy("All")),
)
BUILT_IN_KEYS = frozenset(view.key for view in BUILT_IN_VIEWS)
DEFAULT_VIEW = "open"


def built_in_filter(key: str, viewer: User) -> Q:
    unsolved = Q(status__in=UNSOLVED_STATUSES)
    if key == "mine":
        return unsolved & Q(assignee=viewer)
    if key == "unassigned":
        return unsolved & Q(assignee__isnull=True)
    if key == "pending":
        return Q(status__in=(Status.PENDING, Status.ON_HOLD))
    if key == "solved":
        since = timezone.now() - timedelta(days=SOLVED_RECENTLY_DAYS)
        return Q(status__in=(Status.SOLVED, Status.CLOSED), solved_at__gte=since)
    if key == "chats":
        # A chat is waiting while it is new or open: the customer is on the other end now.
        return Q(channel=Channel.CHAT, status__in=(Status.NEW, Status.OPEN))
    if key == "all":
        return Q()
    return Q(status__in=(Status.NEW, Status.OPEN))


# ---------------------------------------------------------------- custom filters


FILTER_KEYS = (
    "status",
    "priority",
    "channel",
    "team",
    "assignee",
    "tags",
    "customer",
    "organization",
    "created_after",
    "created_before",
    "updated_after",
    "updated_before",
)
_DATE_KEYS = ("created_after", "created_before", "updated_after", "updated_before")


def clean_view_filters(raw: object) -> dict:
    """The stored form of a view's filters, or ValidationError saying what is wrong."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ValidationError(_("Filters must be an object."))
    unknown = sorted(set(raw) - set(FILTER_KEYS))
    if unknown:
        raise ValidationError(
            _("Unknown filter: %(names)s.") % {"names": ", ".join(map(str, unknown))}
        )
    cleaned: dict = {}
    for key, choices in (
        ("status", Status.values),
        ("priority", Priority.values),
        ("channel", Channel.values),
    ):
        values = _string_list(raw.get(key), key)
        bad = [value for value in values if value not in choices]
        if bad:
            raise ValidationError(
                _("Unknown %(field)s: %(values)s.") % {"field": key, "values": ", ".join(bad)}
            )
        if values:
            cleaned[key] = values
    teams = _id_list(raw.get("team"), "team", allow=("none",))
    if teams:
        cleaned["team"] = teams
    assignees = _id_list(raw.get("assignee"), "assignee", allow=("me", "none"))
    if assignees:
        cleaned["assignee"] = assignees
    tags = sorted({tag.strip().lower()[:60] for tag in _string_list(raw.get("tags"), "tags")})
    if tags := [tag for tag in tags if tag]:
        cleaned["tags"] = tags
    for key in ("customer", "organization"):
        value = raw.get(key)
        if value in (None, ""):
            continue
        if not _is_id(value):
            raise ValidationError(_("%(field)s must be an id.") % {"field": key})
        cleaned[key] = int(value)
    for key in _DATE_KEYS:
        value = raw.get(key)
        if value in (None, ""):
            continue
        try:
            cleaned[key] = date.fromisoformat(str(value)).isoformat()
        except ValueError as exc:
            raise ValidationError(
                _("%(field)s must be a date like 2026-04-01.") % {"field": key}
            ) from exc
    for low, high in (("created_after", "created_before"), ("updated_after", "updated_before")):
        if low in cleaned and high in cleaned and cleaned[low] > cleaned[high]:
            raise ValidationError(_("A date range ends before it starts."))
    return cleaned


def _string_list(value: object, key: str) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(_("%(field)s must be a list of words.") % {"field": key})
    if len(value) > MAX_LIST_VALUES:
        raise ValidationError(_("Too many values for %(field)s.") % {"field": key})
    return [item.strip() for item in value if item.strip()]


def _is_id(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 < value < 2**31
    return isinstance(value, str) and value.isdecimal() and 0 < int(value) < 2**31


def _id_list(value: object, key: str, *, allow: tuple[str, ...]) -> list[int | str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        value = [value]
    if len(value) > MAX_LIST_VALUES:
        raise ValidationError(_("Too many values for %(field)s.") % {"field": key})
    cleaned: list[int | str] = []
    for item in value:
        if isinstance(item, str) and item.strip().lower() in allow:
            cleaned.append(item.strip().lower())
        elif _is_id(item):
            cleaned.append(int(item))
        else:
            raise ValidationError(
                _("%(field)s must be ids or one of: %(words)s.")
                % {"field": key, "words": ", ".join(allow)}
            )
    return list(dict.fromkeys(cleaned))


def custom_filter(filters: dict, viewer: User) -> Q:
    """The Q for stored filters; values inside one filter are ORed, filters are ANDed."""
    q = Q()
    for key in ("status", "priority", "channel"):
        if filters.get(key):
            q &= Q(**{f"{key}__in": filters[key]})
    if filters.get("team"):
        ids = [value for value in filters["team"] if value != "none"]
        team_q = Q(team_id__in=ids) if ids else Q(pk__in=[])
        if "none" in filters["team"]:
            team_q |= Q(team__isnull=True)
        q &= team_q
    if filters.get("assignee"):
        ids = [value if value != "me" else viewer.pk for value in filters["assignee"]]
        ids = [value for value in ids if value != "none"]
        assignee_q = Q(assignee_id__in=ids) if ids else Q(pk__in=[])
        if "none" in filters["assignee"]:
            assignee_q |= Q(assignee__isnull=True)
        q &= assignee_q
    if filters.get("tags"):
        # Any of the tags; EXISTS keeps one row per ticket.
        tagged = Tag.tickets.through.objects.filter(
            ticket_id=OuterRef("pk"), tag__name__in=filters["tags"]
        )
        q &= Q(Exists(tagged))
    if filters.get("customer"):
        q &= Q(customer_id=filters["customer"])
    if filters.get("organization"):
        q &= Q(customer__organization_id=filters["organization"])
    for key, lookup in (
        ("created_after", "created_at__gte"),
        ("created_before", "created_at__lt"),
        ("updated_after", "updated_at__gte"),
        ("updated_before", "updated_at__lt"),
    ):
        if filters.get(key):
            day = date.fromisoformat(filters[key])
            if key.endswith("_before"):
                day += timedelta(days=1)  # "before" includes the day itself
            moment = timezone.make_aware(datetime.combine(day, time.min))
            q &= Q(**{lookup: moment})
    return q


# ---------------------------------------------------------------- reads


def views_for(viewer: User) -> list[InboxView]:
    """The built-in views, then the viewer's own and the shared custom views."""
    custom = [
        InboxView(
            str(view.pk),
            view.name,
            custom=True,
            shared=view.shared,
            editable=_may_edit(view, viewer),
        )
        for view in visible_saved_views(viewer)
    ]
    return [*BUILT_IN_VIEWS, *custom]


def visible_saved_views(viewer: User) -> QuerySet[SavedView]:
    return SavedView.objects.filter(Q(owner=viewer) | Q(shared=True)).order_by(
        "-shared", "position", "name", "id"
    )


def saved_view_for(*, view_id: int, viewer: User) -> SavedView:
    return get_object_or_404(visible_saved_views(viewer), pk=view_id)


def view_filter(key: str, viewer: User, saved: dict[str, SavedView] | None = None) -> Q:
    if key in BUILT_IN_KEYS:
        return built_in_filter(key, viewer)
    view = (saved or {}).get(key)
    if view is None:
        return built_in_filter(DEFAULT_VIEW, viewer)
    return custom_filter(clean_view_filters(view.filters), viewer)


_PRIORITY_RANK = Case(
    When(priority=Priority.URGENT, then=Value(0)),
    When(priority=Priority.HIGH, then=Value(1)),
    When(priority=Priority.NORMAL, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def ordered(tickets: QuerySet[Ticket], sort: str) -> QuerySet[Ticket]:
    """The view's order (tickets.paging holds the sort keys, so pages follow it exactly)."""
    if sort == ViewSort.PRIORITY:
        tickets = tickets.annotate(priority_rank=_PRIORITY_RANK)
    return tickets.order_by(*paging.order_expressions(paging.sort_keys(sort)))


# ---------------------------------------------------------------- writes


def _may_edit(view: SavedView, user: User) -> bool:
    return view.owner_id == user.pk or (view.shared and user.can_manage)


def saved_view_create(
    *, owner: User, name: str, filters: object, sort: str, shared: bool = False
) -> SavedView:
    if not owner.is_staff_member:
        raise PermissionDenied
    if shared and not owner.can_manage:
        raise PermissionDenied(_("Only managers and admins can share views with everyone."))
    if SavedView.objects.filter(owner=owner).count() >= MAX_VIEWS_PER_USER:
        raise ValidationError(_("You have too many views; delete one first."))
    view = SavedView(
        owner=owner,
        name=_clean_name(name),
        filters=clean_view_filters(filters),
        sort=sort or ViewSort.UPDATED_DESC,
        shared=shared,
    )
    view.full_clean()
    view.save()
    return view


def saved_view_update(
    *,
    view: SavedView,
    actor: User,
    name: str,
    filters: object,
    sort: str,
    shared: bool,
) -> SavedView:
    if not _may_edit(view, actor):
        raise PermissionDenied(_("Only its owner or a manager can change this view."))
    if shared and not view.shared and not actor.can_manage:
        raise PermissionDenied(_("Only managers and admins can share views with everyone."))
    with transaction.atomic():
        view = SavedView.objects.select_for_update().get(pk=view.pk)
        view.name = _clean_name(name)
        view.filters = clean_view_filters(filters)
        view.sort = sort or ViewSort.UPDATED_DESC
        view.shared = shared
        view.full_clean()
        view.save()
    return view


def saved_view_delete(*, view: SavedView, actor: User) -> None:
    if not _may_edit(view, actor):
        raise PermissionDenied(_("Only its owner or a manager can delete this view."))
    view.delete()


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(_("Give the view a name."))
    return name[:80]
