"""Shop connectors: orders from Shopify and BASE into customers' purchase history.

Raw first, like every inbound path: a webhook body (or a polled page) is stored as an
InboundEvent, then its adapter upserts the orders through `customers.orders.order_upsert`.
"""
