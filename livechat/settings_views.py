"""Agent settings → Live chat. Admins change chat channels; managers may look."""

from __future__ import annotations

import secrets
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from helpdesk.models import Role
from helpdesk.roles import staff_required

from .forms import ChatChannelForm
from .models import ChatChannel


def settings_viewer_required(view):
    @staff_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.can_manage:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _can_edit(request) -> bool:
    return request.user.role == Role.ADMIN


@settings_viewer_required
@require_GET
def channel_list(request):
    context = {"channels": ChatChannel.objects.all(), "can_edit": _can_edit(request)}
    return render(request, "livechat/settings/channel_list.html", context)


@settings_viewer_required
@require_http_methods(["GET", "POST"])
def channel_form(request, pk: int | None = None):
    # Managers may look at a channel's settings; adding or changing one is for admins.
    if (request.method == "POST" or pk is None) and not _can_edit(request):
        raise PermissionDenied
    channel = get_object_or_404(ChatChannel, pk=pk) if pk else ChatChannel()
    title = channel.name
    new_secret = ""
    form = ChatChannelForm(
        None if request.POST.get("action") == "secret" else request.POST or None, instance=channel
    )
    if request.method == "POST" and request.POST.get("action") == "secret" and channel.pk:
        # Shown once, on this response only (never stored in a flash or a log).
        new_secret = secrets.token_urlsafe(32)
        channel.set_secret(new_secret)
        channel.save(update_fields=["secret_encrypted", "updated_at"])
    elif request.method == "POST" and form.is_valid():
        created = channel.pk is None
        channel = form.save(commit=False)
        if created:
            new_secret = secrets.token_urlsafe(32)
            channel.set_secret(new_secret)
        channel.save()
        if not created:
            messages.success(request, _("Chat channel “%(name)s” saved.") % {"name": channel.name})
            return redirect("livechat:settings_edit", pk=channel.pk)
        form = ChatChannelForm(instance=channel)
        title = channel.name
    if not _can_edit(request):
        for field in form.fields.values():
            field.disabled = True
    context = {
        "form": form,
        "channel": channel,
        "title": title,
        "can_edit": _can_edit(request),
        "new_secret": new_secret,
        "site_url": settings.SITE_URL,
    }
    status = 400 if request.method == "POST" and form.errors else 200
    response = render(request, "livechat/settings/channel_form.html", context, status=status)
    if new_secret:
        add_never_cache_headers(response)
    return response


@settings_viewer_required
@require_http_methods(["GET", "POST"])
def channel_delete(request, pk: int):
    if not _can_edit(request):
        raise PermissionDenied
    channel = get_object_or_404(ChatChannel, pk=pk)
    if request.method == "POST":
        channel.delete()
        messages.success(request, _("Chat channel “%(name)s” deleted.") % {"name": channel.name})
        return redirect("livechat:settings")
    return render(request, "livechat/settings/channel_confirm_delete.html", {"channel": channel})
