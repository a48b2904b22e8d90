"""Reads about customers, with a bounded number of queries per page.

A package by responsibility; every name callers import from `customers.selectors` stays here:
- `profiles`: search, the API's detail, probable duplicates, merge pairs, personal data counts;
- `c360`: the customer 360 page (keyset pages of tickets and messages, CSAT history);
- `panel`: the ticket page's customer panel and order picker, order facts for macros;
- `organizations`: the organization list and shared view;
- `lists`: the small lists the customer row carries as JSON;
- `rows`: related rows carried as JSON in one query and turned back into model instances.
"""

from .c360 import (
    CSAT_ON_360,
    DUPLICATES_ON_360,
    MERGES_ON_360,
    NOTES_ON_360,
    RECENT_ORDERS_ON_360,
    TICKETS_ON_360,
    TIMELINE_MESSAGES,
    CsatHistory,
    Customer360,
    InvalidCursor,
    LifetimeValue,
    Page,
    csat_history,
    customer_360,
    customer_messages_page,
    customer_tickets_page,
    customer_timeline,
)
from .organizations import (
    ORG_CUSTOMERS,
    ORG_TICKETS,
    OrganizationView,
    organization_view,
    organizations_with_counts,
)
from .panel import (
    ORDERS_TO_PICK,
    PANEL_ORDERS,
    CustomerPanel,
    OrderPicker,
    customer_panel,
    customer_panel_from,
    customer_panel_sql,
    order_picker,
    order_picker_from,
    order_picker_sql,
    order_placeholders,
    orders_to_pick,
    ticket_order,
)
from .profiles import (
    RECENT_ORDERS,
    PersonalDataSummary,
    customer_detail,
    customer_search,
    merge_pair,
    personal_data_summary,
    probable_duplicates,
)

__all__ = [
    "CSAT_ON_360",
    "DUPLICATES_ON_360",
    "MERGES_ON_360",
    "NOTES_ON_360",
    "ORDERS_TO_PICK",
    "ORG_CUSTOMERS",
    "ORG_TICKETS",
    "PANEL_ORDERS",
    "RECENT_ORDERS",
    "RECENT_ORDERS_ON_360",
    "TICKETS_ON_360",
    "TIMELINE_MESSAGES",
    "Customer360",
    "CsatHistory",
    "CustomerPanel",
    "InvalidCursor",
    "LifetimeValue",
    "OrderPicker",
    "OrganizationView",
    "Page",
    "PersonalDataSummary",
    "csat_history",
    "customer_360",
    "customer_detail",
    "customer_messages_page",
    "customer_panel",
    "customer_panel_from",
    "customer_panel_sql",
    "customer_search",
    "customer_tickets_page",
    "customer_timeline",
    "merge_pair",
    "order_picker",
    "order_picker_from",
    "order_picker_sql",
    "order_placeholders",
    "orders_to_pick",
    "organization_view",
    "organizations_with_counts",
    "personal_data_summary",
    "probable_duplicates",
    "ticket_order",
]
