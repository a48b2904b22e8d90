"""Who may do what: staff roles for pages, the API and sockets; customers sign up separately."""

from __future__ import annotations

from functools import wraps

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from .models import Role


class AccountAdapter(DefaultAccountAdapter):
    """Anyone who signs up through allauth is a help-center customer; staff are invited."""

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.role = Role.CUSTOMER
        if commit:
            user.save()
        return user

    def get_login_redirect_url(self, request):
        return "/agent/" if request.user.is_staff_member else "/help/"

    def get_signup_redirect_url(self, request):
        return self.get_login_redirect_url(request)


def staff_required(view):
    """Page decorator: anonymous → login page; a customer account → 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff_member:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


class IsStaffMember(BasePermission):
    message = "Only support staff (agents, managers, admins) may use this API."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_staff_member)
