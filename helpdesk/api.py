"""API plumbing shared by every app: errors are always JSON with a readable message."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView, exception_handler

NON_FIELD_KEY = api_settings.NON_FIELD_ERRORS_KEY


def json_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus the Django errors services raise, always as a JSON object.

    Services speak Django (`ValidationError`, `PermissionDenied`) so that pages, tasks and the
    API share them; this is the one place they become HTTP answers: 400 and 403 with the
    service's own message.
    """
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(detail=_validation_detail(exc))
    response = exception_handler(exc, context)
    if response is None:
        return None
    # One key, one string for "what went wrong", whoever raised it: serializer, view or service.
    if not isinstance(response.data, dict):
        response.data = {"detail": _joined(response.data)}
    elif NON_FIELD_KEY in response.data and "detail" not in response.data:
        response.data["detail"] = _joined(response.data.pop(NON_FIELD_KEY))
    elif "detail" not in response.data:
        # Only per-field messages: `detail` still says what went wrong, naming the fields.
        response.data["detail"] = " ".join(
            f"{field}: {_joined(messages)}" for field, messages in response.data.items()
        )
    return response


def _joined(messages: Any) -> str:
    if isinstance(messages, list | tuple):
        return " ".join(str(message) for message in messages)
    return str(messages)


def _validation_detail(exc: DjangoValidationError) -> dict[str, Any]:
    if hasattr(exc, "error_dict"):
        detail: dict[str, Any] = dict(exc.message_dict)
        if NON_FIELD_ERRORS in detail:
            detail["detail"] = " ".join(detail.pop(NON_FIELD_ERRORS))
        return detail
    return {"detail": " ".join(exc.messages)}


@csrf_exempt  # a POST to a wrong path is a 404, not an HTML "CSRF failed" page
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Paths under /api/v1/ that match nothing get JSON too, not the HTML 404 page."""
    message = _("Unknown API path.")
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        # Scripts often drop the slash; say so instead of redirecting a POST or PATCH.
        if match is not None and match.func is not api_not_found:
            message = _("Unknown API path. Did you mean %(path)s?") % {"path": request.path + "/"}
    return JsonResponse({"detail": message}, status=404)


# ISO 8601 in UTC both ways. Without this the offset would follow the zone the middleware
# activated for a session user, so one script would see different strings through a session
# and through a token.
class UtcDateTimeField(serializers.DateTimeField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", datetime.UTC)
        super().__init__(**kwargs)


# Base of read-only model output (comments, not a docstring: OpenAPI would inherit one).
class OutputModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UtcDateTimeField,
    }


# Input that rejects fields it does not know. DRF ignores unknown keys; a script sending
# `{"state": "solved"}` would get a 200 and no change, so a misspelt field is an error here.
class StrictInputSerializer(serializers.Serializer):
    # Form posts from the browsable API carry the CSRF token among the fields.
    ignored_fields = frozenset({"csrfmiddlewaretoken"})

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields) - self.ignored_fields)
        if unknown:
            raise ValidationError({name: [_("Unknown field.")] for name in unknown})
        return super().validate(attrs)


class ErrorOutputSerializer(serializers.Serializer):
    """Every 4xx body has `detail`; a 400 may add one list of messages per invalid field."""

    detail = serializers.CharField(help_text=_lazy("What went wrong, for a person to read."))


_ERROR_DESCRIPTIONS = {
    400: _lazy("Invalid input: `detail` and/or a list of messages per field."),
    401: _lazy("No credentials, or a token that is not valid."),
    403: _lazy("Not a staff account, or the role does not allow this."),
    404: _lazy("No such object."),
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """OpenAPI entries for the error answers an operation can give."""
    return {
        code: OpenApiResponse(ErrorOutputSerializer, description=_ERROR_DESCRIPTIONS[code])
        for code in codes
    }


class ApiCursorPagination(CursorPagination):
    """Cursor pages (stable under inserts); each list sets its own `ordering`."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request: Request):
        # DRF answers a damaged cursor with 404; it is the client's input that is wrong.
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": [_("This cursor is not valid.")]}) from None


def paginated_response(
    *,
    pagination_class: type[CursorPagination],
    serializer_class: type[serializers.BaseSerializer],
    queryset: Iterable[Any],
    request: Request,
    view: APIView,
) -> Response:
    paginator = pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    serializer = serializer_class(page, many=True, context={"request": request})
    return paginator.get_paginated_response(serializer.data)
