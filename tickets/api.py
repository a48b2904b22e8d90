"""REST API v1 for tickets and their messages: parse input, call a selector or service, respond.

Errors raised by services (Django `ValidationError` / `PermissionDenied`) become JSON 400/403 in
`helpdesk.api.json_exception_handler`; nothing here catches them.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status as http
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.api import ApiCursorPagination, error_responses, paginated_response

from . import selectors, services
from .downloads import attachment_response
from .serializers import (
    MessageCreateInputSerializer,
    MessageOutputSerializer,
    TicketFilterSerializer,
    TicketOutputSerializer,
    TicketUpdateInputSerializer,
)


class TicketPagination(ApiCursorPagination):
    # The inbox's order: most recent activity first, id breaking ties.
    ordering = ("-updated_at", "-id")


class MessagePagination(ApiCursorPagination):
    # A conversation reads oldest first.
    ordering = ("created_at", "id")


class TicketListApi(APIView):
    pagination_class = TicketPagination

    @extend_schema(
        operation_id="tickets_list",
        parameters=[TicketFilterSerializer],
        responses={200: TicketOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        filters = TicketFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        tickets = selectors.tickets_for_api(
            viewer=request.user,
            status=data.get("status"),
            channel=data.get("channel"),
            assignee=data.get("assignee"),
            customer_id=data.get("customer"),
            updated_after=data.get("updated_after"),
        )
        if data.get("q", "").strip():
            # Ranked by relevance, which a cursor over (updated_at, id) cannot page through:
            # the best page_size matches, in the same envelope, with no next page.
            found = selectors.search_tickets(
                viewer=request.user,
                query=data["q"],
                limit=self.pagination_class().get_page_size(request) or 50,
                within=tickets,
            )
            results = TicketOutputSerializer(found, many=True, context={"request": request})
            return Response({"next": None, "previous": None, "results": results.data})
        return paginated_response(
            pagination_class=self.pagination_class,
            serializer_class=TicketOutputSerializer,
            queryset=tickets,
            request=request,
            view=self,
        )


class TicketDetailApi(APIView):
    @extend_schema(
        operation_id="tickets_retrieve",
        responses={200: TicketOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        ticket = selectors.ticket_for_agent(ticket_id=pk, viewer=request.user)
        return Response(TicketOutputSerializer(ticket).data)

    @extend_schema(
        operation_id="tickets_partial_update",
        request=TicketUpdateInputSerializer,
        responses={
            200: TicketOutputSerializer,
            **error_responses(400, 401, 403, 404),
            409: OpenApiResponse(
                description=(
                    "`updated_at` was sent and the ticket changed since: nothing was written; "
                    "`current` holds the ticket as it is now."
                )
            ),
        },
    )
    def patch(self, request: Request, pk: int) -> Response:
        ticket = selectors.ticket_for_agent(ticket_id=pk, viewer=request.user)
        body = TicketUpdateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            services.update_ticket(
                ticket=ticket,
                actor=request.user,
                status=data.get("status"),
                priority=data.get("priority"),
                # The service reads False as "leave as is" and None as "clear".
                assignee=data.get("assignee", False),
                team=data.get("team", False),
                tags=data.get("tags"),
                expected_updated_at=data.get("updated_at"),
            )
        except services.StaleTicketError as exc:
            current = selectors.ticket_for_agent(ticket_id=pk, viewer=request.user)
            return Response(
                {
                    "detail": exc.messages[0],
                    "code": "stale",
                    "current": TicketOutputSerializer(current).data,
                },
                status=http.HTTP_409_CONFLICT,
            )
        ticket = selectors.ticket_for_agent(ticket_id=pk, viewer=request.user)
        return Response(TicketOutputSerializer(ticket).data)


class TicketMessagesApi(APIView):
    pagination_class = MessagePagination

    @extend_schema(
        operation_id="tickets_messages_list",
        # 400: a page cursor that is not one we handed out.
        responses={200: MessageOutputSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        ticket = selectors.ticket_for_agent(ticket_id=pk, viewer=request.user)
        return paginated_response(
            pagination_class=self.pagination_class,
            serializer_class=MessageOutputSerializer,
            queryset=selectors.ticket_timeline(ticket=ticket),
            request=request,
            view=self,
        )

    @extend_schema(
        operation_id="tickets_messages_create",
        request=MessageCreateInputSerializer,
        responses={201: MessageOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        ticket = selectors.ticket_for_agent(ticket_id=pk, viewer=request.user)
        body = MessageCreateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        message = services.reply(
            ticket=ticket,
            author=request.user,
            body_text=data["body_text"],
            internal=data["internal"],
            status=data.get("status"),
        )
        # Read back through the timeline so the answer has its delivery row and attachments.
        message = selectors.ticket_timeline(ticket=ticket).get(pk=message.pk)
        return Response(
            MessageOutputSerializer(message, context={"request": request}).data,
            status=http.HTTP_201_CREATED,
        )


class AttachmentDownloadApi(APIView):
    """The file itself, for scripts holding an API token (the agent pages have their own)."""

    @extend_schema(
        operation_id="attachments_download",
        responses={(200, "application/octet-stream"): bytes, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, pk: int):
        attachment = selectors.attachment_for_agent(attachment_id=pk, viewer=request.user)
        return attachment_response(attachment)
