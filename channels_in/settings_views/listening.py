"""Social listening: monitors (settings: admins change, managers look) and the feed of found
posts (every staff member reads it; agents turn a post into a ticket or dismiss it)."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.roles import staff_required

from ..listening import selectors, services
from ..listening.forms import FeedFilterForm, MonitorForm
from ..listening.models import ListeningMonitor, ListeningPost, ListeningPostStatus
from .access import admin_required, settings_viewer_required
from .access import can_edit as _can_edit

POSTS_PER_PAGE = 30


@settings_viewer_required
@require_GET
def monitor_list(request):
    return render(
        request,
        "channels_in/listening/monitor_list.html",
        {"monitors": selectors.monitors_with_counts(), "can_edit": _can_edit(request)},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def monitor_create(request):
    return _monitor_form(request, ListeningMonitor())


@settings_viewer_required
@require_http_methods(["GET", "POST"])
def monitor_edit(request, pk: int):
    monitor = get_object_or_404(ListeningMonitor, pk=pk)
    if request.method == "POST" and not _can_edit(request):
        raise PermissionDenied
    return _monitor_form(request, monitor)


def _monitor_form(request, monitor: ListeningMonitor):
    title = monitor.name
    form = MonitorForm(request.POST or None, instance=monitor)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_monitor(form.save(commit=False))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Monitor “%(name)s” saved.") % {"name": monitor.name})
            return redirect("agent_settings:listening_monitors")
    if not _can_edit(request):
        for field in form.fields.values():
            field.disabled = True
    status = 400 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "channels_in/listening/monitor_form.html",
        {"form": form, "monitor": monitor, "title": title, "can_edit": _can_edit(request)},
        status=status,
    )


@admin_required
@require_POST
def monitor_delete(request, pk: int):
    monitor = get_object_or_404(ListeningMonitor, pk=pk)
    monitor.delete()
    messages.success(request, _("Monitor “%(name)s” deleted.") % {"name": monitor.name})
    return redirect("agent_settings:listening_monitors")


@admin_required
@require_POST
def monitor_poll(request, pk: int):
    from ..tasks import poll_listening_monitor

    monitor = get_object_or_404(ListeningMonitor, pk=pk)
    ListeningMonitor.objects.filter(pk=pk).update(next_poll_at=None)
    poll_listening_monitor.delay(monitor.pk)
    messages.success(
        request, _("“%(name)s” will be searched in a moment.") % {"name": monitor.name}
    )
    return redirect("agent_settings:listening_monitors")


@staff_required
@require_GET
def feed(request):
    form = FeedFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    posts = selectors.feed_posts(
        monitor_id=filters["monitor"].pk if filters.get("monitor") else None,
        sentiment=filters.get("sentiment", ""),
        status=filters.get("status", ""),
        text=filters.get("q", ""),
    )
    page = Paginator(posts, POSTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "channels_in/listening/feed.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_act": request.user.role != "light_agent",
            "has_monitors": ListeningMonitor.objects.exists(),
        },
    )


def agents_only(view):
    """Staff who may answer customers: a light agent reads the feed but files nothing."""

    @staff_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.role == "light_agent":
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _agent_post(request, pk: int) -> ListeningPost:
    return get_object_or_404(ListeningPost.objects.select_related("monitor__account"), pk=pk)


@agents_only
@require_POST
def post_create_ticket(request, pk: int):
    post = _agent_post(request, pk)
    if post.ticket_id:
        return redirect("tickets:detail", pk=post.ticket_id)
    try:
        ticket_id = services.create_ticket_from_post(post)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("agent_settings:listening_feed")
    if ticket_id is None:
        messages.error(request, _("The post could not be filed as a ticket (see Social accounts)."))
        return redirect("agent_settings:listening_feed")
    messages.success(request, _("Ticket created from the post."))
    return redirect("tickets:detail", pk=ticket_id)


@agents_only
@require_POST
def post_set_status(request, pk: int):
    post = _agent_post(request, pk)
    status = request.POST.get("status", "")
    if status not in (ListeningPostStatus.NEW, ListeningPostStatus.DISMISSED):
        messages.error(request, _("Unknown status."))
    else:
        services.set_post_status(post, status)
    back = _parse(request.POST.get("query", "")).urlencode()
    url = redirect("agent_settings:listening_feed").url
    # Only the feed's own filter parameters come back: no free-form redirect target.
    return redirect(f"{url}?{back}" if back else url)


def _parse(query: str):
    from django.http import QueryDict

    allowed = QueryDict(query).copy()
    for key in list(allowed):
        if key not in ("monitor", "sentiment", "status", "q", "page"):
            del allowed[key]
    return allowed
