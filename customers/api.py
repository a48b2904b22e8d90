"""REST API v1 for customers: read-only, through `customers.selectors`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.api import ApiCursorPagination, error_responses, paginated_response

from . import selectors
from .serializers import CustomerOutputSerializer, CustomerSearchSerializer


class CustomerPagination(ApiCursorPagination):
    # Newest first, id breaking ties; both never change, so cursors stay valid.
    ordering = ("-created_at", "-id")


class CustomerListApi(APIView):
    pagination_class = CustomerPagination

    @extend_schema(
        operation_id="customers_list",
        parameters=[CustomerSearchSerializer],
        responses={200: CustomerOutputSerializer(many=True), **error_responses(401, 403)},
    )
    def get(self, request: Request) -> Response:
        search = CustomerSearchSerializer(data=request.query_params)
        search.is_valid(raise_exception=True)
        return paginated_response(
            pagination_class=self.pagination_class,
            serializer_class=CustomerOutputSerializer,
            queryset=selectors.customer_search(q=search.validated_data.get("q", "")),
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
        return Response(CustomerOutputSerializer(customer).data)
