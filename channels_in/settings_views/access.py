"""Who may open the channel settings pages: admins change them, managers may look."""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied

from helpdesk.models import Role
from helpdesk.roles import staff_required


def settings_viewer_required(view):
    """Admins and managers; any other staff member gets 403."""

    @staff_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.can_manage:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view):
    @staff_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.role != Role.ADMIN:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def can_edit(request) -> bool:
    return request.user.role == Role.ADMIN
