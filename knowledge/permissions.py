"""Who may write the help center: agents and up edit articles; managers arrange and report."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from helpdesk.models import Role


def can_edit_articles(user) -> bool:
    # Light agents read and note; writing what every customer reads is an agent's job.
    return bool(user.is_authenticated and user.is_staff_member and user.role != Role.LIGHT_AGENT)


def can_manage_help_center(user) -> bool:
    return bool(user.is_authenticated and user.can_manage)


def _requires(check):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


editor_required = _requires(can_edit_articles)
manager_required = _requires(can_manage_help_center)
