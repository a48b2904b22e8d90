"""REST API v1 for inbox views and macros: parse input, call saved_views / macros, respond.

`/api/v1/views/` lists the caller's views (built-in ones too, with live counts) and manages
custom ones; `/api/v1/macros/` lists the macros the caller may use and, with `?ticket=`, fills
one in for a ticket exactly as the ticket page would.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework import status as http
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.api import OutputModelSerializer, StrictInputSerializer, error_responses

from . import macros, saved_views, selectors
from .models import Macro, SavedView, ViewSort


class ViewOutputSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="A built-in key (mine, open …) or a custom view's id.")
    name = serializers.CharField()
    built_in = serializers.BooleanField()
    shared = serializers.BooleanField()
    editable = serializers.BooleanField()
    count = serializers.IntegerField(help_text="Tickets in the view now.")
    filters = serializers.JSONField(allow_null=True)
    sort = serializers.CharField(allow_blank=True)


class ViewInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=80)
    filters = serializers.JSONField(
        required=False,
        help_text=(
            "Lists of status, priority, channel, team (ids or 'none'), assignee (ids, 'me' or "
            "'none'), tags; customer and organization ids; created_after/created_before/"
            "updated_after/updated_before as ISO dates."
        ),
    )
    sort = serializers.ChoiceField(choices=ViewSort.choices, required=False)
    shared = serializers.BooleanField(required=False, default=False)


def _views_payload(viewer) -> list[dict]:
    box = selectors.inbox_for(viewer=viewer, view=None)
    counts = selectors.inbox_counts(viewer=viewer, inbox=box)
    rows = []
    for view in box.views:
        saved = box.saved.get(view.key)
        rows.append(
            {
                "key": view.key,
                "name": str(view.label),
                "built_in": not view.custom,
                "shared": view.shared,
                "editable": view.editable,
                "count": counts.get(view.key, 0),
                "filters": saved.filters if saved else None,
                "sort": saved.sort if saved else "",
            }
        )
    return rows


class ViewListApi(APIView):
    @extend_schema(
        operation_id="views_list",
        responses={
            200: inline_serializer("ViewList", {"results": ViewOutputSerializer(many=True)}),
            **error_responses(401, 403),
        },
    )
    def get(self, request: Request) -> Response:
        return Response({"results": _views_payload(request.user)})

    @extend_schema(
        operation_id="views_create",
        request=ViewInputSerializer,
        responses={201: ViewOutputSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        body = ViewInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        view = saved_views.saved_view_create(
            owner=request.user,
            name=data["name"],
            filters=data.get("filters"),
            sort=data.get("sort", ""),
            shared=data["shared"],
        )
        payload = next(v for v in _views_payload(request.user) if v["key"] == str(view.pk))
        return Response(payload, status=http.HTTP_201_CREATED)


class ViewDetailApi(APIView):
    def _view(self, request: Request, pk: int) -> SavedView:
        return saved_views.saved_view_for(view_id=pk, viewer=request.user)

    @extend_schema(
        operation_id="views_retrieve",
        responses={200: ViewOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        view = self._view(request, pk)
        return Response(next(v for v in _views_payload(request.user) if v["key"] == str(view.pk)))

    @extend_schema(
        operation_id="views_update",
        request=ViewInputSerializer,
        responses={200: ViewOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def put(self, request: Request, pk: int) -> Response:
        view = self._view(request, pk)
        body = ViewInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        saved_views.saved_view_update(
            view=view,
            actor=request.user,
            name=data["name"],
            filters=data.get("filters"),
            sort=data.get("sort", ""),
            shared=data["shared"],
        )
        return Response(next(v for v in _views_payload(request.user) if v["key"] == str(view.pk)))

    @extend_schema(
        operation_id="views_destroy", responses={204: None, **error_responses(401, 403, 404)}
    )
    def delete(self, request: Request, pk: int) -> Response:
        saved_views.saved_view_delete(view=self._view(request, pk), actor=request.user)
        return Response(status=http.HTTP_204_NO_CONTENT)


class MacroOutputSerializer(OutputModelSerializer):
    class Meta:
        model = Macro
        fields = [
            "id",
            "name",
            "body",
            "body_ja",
            "body_en",
            "internal",
            "shared",
            "set_status",
            "set_priority",
            "add_tags",
            "assignee_action",
            "assignee",
            "team",
            "usage_count",
        ]
        read_only_fields = fields


class MacroRenderedSerializer(MacroOutputSerializer):
    rendered_body = serializers.CharField(
        help_text="The body filled in for the ticket, in the customer's language when the "
        "macro has that variant (body_ja / body_en), else `body`."
    )
    language = serializers.CharField(help_text="The language the variant was chosen for.")
    warnings = serializers.ListField(child=serializers.CharField())

    class Meta(MacroOutputSerializer.Meta):
        fields = [*MacroOutputSerializer.Meta.fields, "rendered_body", "language", "warnings"]
        read_only_fields = fields


class MacroFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)


class MacroListApi(APIView):
    @extend_schema(
        operation_id="macros_list",
        parameters=[MacroFilterSerializer],
        responses={
            200: inline_serializer("MacroList", {"results": MacroOutputSerializer(many=True)}),
            **error_responses(400, 401, 403),
        },
    )
    def get(self, request: Request) -> Response:
        filters = MacroFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        found = macros.macros_for(request.user, query=filters.validated_data.get("q", ""))[:200]
        return Response({"results": MacroOutputSerializer(found, many=True).data})


class MacroDetailApi(APIView):
    @extend_schema(
        operation_id="macros_retrieve",
        parameters=[
            OpenApiParameter("ticket", int, description="Fill the placeholders in for this ticket.")
        ],
        responses={200: MacroRenderedSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        macro = macros.macro_for(macro_id=pk, viewer=request.user)
        data = dict(MacroOutputSerializer(macro).data)
        ticket_param = request.query_params.get("ticket")
        if ticket_param is None:
            return Response(data)
        if not ticket_param.isdecimal() or not 0 < int(ticket_param) < 2**31:
            raise serializers.ValidationError({"ticket": ["Give a ticket id."]})
        ticket = selectors.ticket_for_agent(ticket_id=int(ticket_param), viewer=request.user)
        rendered = macros.render_macro(macro=macro, ticket=ticket, agent=request.user)
        data.update(
            rendered_body=rendered.body,
            language=macros.reply_language(ticket),
            warnings=rendered.warnings,
        )
        return Response(data)
