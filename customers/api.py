"""REST API v1 for customers: reads through `customers.selectors`, writes through services."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status as http
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.api import ApiCursorPagination, error_responses, paginated_response

from . import selectors
from .audit import customer_access_record, request_ip
from .custom_fields import customers_with_field
from .models import AccessAction
from .orders import ItemValues, OrderValues, order_upsert
from .privacy import sees_contact_details
from .profile import customer_update
from .serializers import (
    CustomerOutputSerializer,
    CustomerSearchSerializer,
    CustomerUpdateInputSerializer,
    OrderOutputSerializer,
    OrderUpsertInputSerializer,
)


class CustomerPagination(ApiCursorPagination):
    # Newest first, id breaking ties; both never change, so cursors stay valid.
    ordering = ("-created_at", "-id")


class CustomerListApi(APIView):
    pagination_class = CustomerPagination

    @extend_schema(
        operation_id="customers_list",
        parameters=[CustomerSearchSerializer],
        responses={200: CustomerOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        search = CustomerSearchSerializer(data=request.query_params)
        search.is_valid(raise_exception=True)
        customers = selectors.customer_search(**search.validated_data)
        # Custom field filters: ?cf_member_rank=gold&cf_newsletter=true
        for name, value in request.query_params.items():
            if name.startswith("cf_"):
                customers = customers_with_field(customers, name.removeprefix("cf_"), value)
        return paginated_response(
            pagination_class=self.pagination_class,
            serializer_class=CustomerOutputSerializer,
            queryset=customers,
            request=request,
            view=self,
        )


class CustomerDetailApi(APIView):
    @extend_schema(
        operation_id="customers_retrieve",
        responses={200: CustomerOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        customer = selectors.customer_detail(customer_id=pk)
        customer_access_record(
            actor=request.user,
            action=AccessAction.VIEW,
            customer_id=customer.pk,
            ip=request_ip(request),
            detail={"via": "api"},
        )
        return Response(CustomerOutputSerializer(customer, context={"request": request}).data)

    @extend_schema(
        operation_id="customers_partial_update",
        request=CustomerUpdateInputSerializer,
        responses={200: CustomerOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        """Change profile fields and custom field values; keys not sent stay as they are."""
        if not sees_contact_details(request.user):
            raise PermissionDenied(_("Light agents cannot edit customers."))
        customer = selectors.customer_detail(customer_id=pk)
        data_in = CustomerUpdateInputSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        customer_update(customer=customer, changes=dict(data_in.validated_data))
        customer_access_record(
            actor=request.user,
            action=AccessAction.EDIT,
            customer_id=customer.pk,
            ip=request_ip(request),
            detail={"via": "api", "fields": sorted(data_in.validated_data)},
        )
        customer = selectors.customer_detail(customer_id=pk)
        return Response(CustomerOutputSerializer(customer, context={"request": request}).data)


class CustomerOrdersApi(APIView):
    @extend_schema(
        operation_id="customers_orders_upsert",
        request=OrderUpsertInputSerializer,
        responses={
            200: OrderOutputSerializer,
            201: OrderOutputSerializer,
            **error_responses(400, 401, 403, 404),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        """Create the order, or update it when (source, external_id) is already known."""
        customer = selectors.customer_detail(customer_id=pk)
        data_in = OrderUpsertInputSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = dict(data_in.validated_data)
        source = data.pop("source")
        items = [ItemValues(**item) for item in data.pop("items")]
        order, created = order_upsert(
            customer=customer, source=source, values=OrderValues(**data, items=items)
        )
        return Response(
            OrderOutputSerializer(order).data, status=http.HTTP_201_CREATED if created else 200
        )
