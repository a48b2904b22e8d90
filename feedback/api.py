"""REST API v1 `surveys`: the CSAT responses, filterable by date, channel, agent, team, rating.

Staff only (the project's default permission). Read-only: customers answer on the survey page.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.api import (
    ApiCursorPagination,
    OutputModelSerializer,
    UtcDateTimeField,
    error_responses,
    paginated_response,
)
from tickets.models import Channel

from . import selectors
from .models import SurveyResponse


class SurveyPagination(ApiCursorPagination):
    ordering = ("-created_at", "-id")


class SurveyFilterSerializer(serializers.Serializer):
    """Query parameters of the survey response list."""

    since = UtcDateTimeField(
        required=False, help_text=_("Rated at or after this time (ISO 8601; no offset = UTC).")
    )
    until = UtcDateTimeField(required=False, help_text=_("Rated before this time."))
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    agent = serializers.IntegerField(required=False, min_value=1, help_text=_("A user id."))
    team = serializers.IntegerField(required=False, min_value=1, help_text=_("A team id."))
    rating = serializers.ChoiceField(
        choices=[("good", "good"), ("bad", "bad")],
        required=False,
        help_text=_("good: satisfied (good, or 4–5 of 5); bad: the rest."),
    )

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields) - {"cursor", "page_size"})
        if unknown:
            raise serializers.ValidationError({name: [_("Unknown filter.")] for name in unknown})
        if attrs.get("since") and attrs.get("until") and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": [_("Must be after since.")]})
        return attrs


class SurveyResponseOutputSerializer(OutputModelSerializer):
    """One customer's rating of one solved ticket, attributed as at rating time."""

    survey_sent_at = UtcDateTimeField(source="survey.sent_at", read_only=True)
    good = serializers.BooleanField(source="is_good", read_only=True)

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "ticket",
            "customer",
            "channel",
            "agent",
            "team",
            "macro_ids",
            "scale",
            "rating",
            "good",
            "reason",
            "comment",
            "changes",
            "survey_sent_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SurveyListApi(APIView):
    pagination_class = SurveyPagination

    @extend_schema(
        operation_id="surveys_list",
        parameters=[SurveyFilterSerializer],
        responses={
            200: SurveyResponseOutputSerializer(many=True),
            **error_responses(400, 401, 403),
        },
    )
    def get(self, request: Request) -> Response:
        filters = SurveyFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        rating = data.get("rating")
        responses = selectors.responses_for_api(
            since=data.get("since"),
            until=data.get("until"),
            channel=data.get("channel"),
            agent_id=data.get("agent"),
            team_id=data.get("team"),
            good=None if rating is None else rating == "good",
        )
        return paginated_response(
            pagination_class=self.pagination_class,
            serializer_class=SurveyResponseOutputSerializer,
            queryset=responses,
            request=request,
            view=self,
        )


class SurveyDetailApi(APIView):
    @extend_schema(
        operation_id="surveys_retrieve",
        responses={200: SurveyResponseOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        from django.shortcuts import get_object_or_404

        response = get_object_or_404(selectors.responses_for_api(), pk=pk)
        return Response(SurveyResponseOutputSerializer(response).data)
