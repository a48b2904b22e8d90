"""Who may see the dashboards (managers, admins) and change SLA settings (admins)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from helpdesk.models import Role


def _require(test):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not test(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


manager_required = _require(lambda user: user.can_manage)
admin_required = _require(lambda user: user.is_active and user.role == Role.ADMIN)
