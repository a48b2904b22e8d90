"""helpdesk.api.json_exception_handler: the one place service errors become JSON answers."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework import exceptions

from helpdesk.api import json_exception_handler


def handle(exc: Exception):
    return json_exception_handler(exc, {})


def test_service_validation_error_is_400_with_its_message():
    response = handle(ValidationError("Tickets can only be assigned to staff."))
    assert response.status_code == 400
    assert response.data == {"detail": "Tickets can only be assigned to staff."}


def test_service_field_errors_keep_their_fields():
    response = handle(ValidationError({"subject": ["Too long."], "__all__": ["Try again."]}))
    assert response.status_code == 400
    assert response.data == {"subject": ["Too long."], "detail": "Try again."}


def test_service_permission_denied_is_403_with_its_message():
    response = handle(PermissionDenied("Light agents can add internal notes only."))
    assert response.status_code == 403
    assert response.data == {"detail": "Light agents can add internal notes only."}


def test_bare_permission_denied_still_explains():
    response = handle(PermissionDenied())
    assert response.status_code == 403
    assert response.data["detail"]


def test_serializer_non_field_errors_become_detail():
    exc = exceptions.ValidationError({"non_field_errors": ["Nothing to change."]})
    assert handle(exc).data == {"detail": "Nothing to change."}


def test_list_details_become_one_detail_string():
    assert handle(exceptions.ValidationError(["Bad.", "Worse."])).data == {"detail": "Bad. Worse."}


def test_other_exceptions_are_left_to_django():
    assert handle(RuntimeError("boom")) is None
