"""A customer who wrote by email and LINE, bought things, and has a duplicate: shared by the
customer 360 view tests and the browser test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from customers.models import Customer
from customers.orders import ItemValues, OrderValues, order_upsert
from customers.services import customer_note_add
from tests.factories import CustomerFactory, IdentityFactory, TicketFactory

TOKYO = ZoneInfo("Asia/Tokyo")


@dataclass
class Yamada:
    customer: Customer
    duplicate: Customer


def yamada_with_history() -> Yamada:
    yamada = CustomerFactory(
        name="山田 太郎",
        name_kana="ヤマダ タロウ",
        email="yamada@example.jp",
        phone="09012345678",
        vip=True,
        tags=["常連"],
    )
    by_mail = IdentityFactory(customer=yamada, kind="email", handle="yamada@example.jp")
    by_line = IdentityFactory(
        customer=yamada, kind="line", handle="U4af4980629", display_name="たろう"
    )
    TicketFactory(
        customer=yamada, identity=by_mail, channel="email", subject="注文した商品が届きません"
    )
    TicketFactory(
        customer=yamada, identity=by_line, channel="line", subject="LINEから：配送先の変更"
    )
    order_upsert(
        customer=yamada,
        source="shopify",
        values=OrderValues(
            external_id="10482",
            number="#10482",
            ordered_at=datetime(2026, 11, 20, 14, 30, tzinfo=TOKYO),
            status="paid",
            total=Decimal(5800),
            currency="JPY",
            shipping_status="発送済み",
            tracking_number="1234-5678-9012",
            items=[
                ItemValues(name="有田焼マグカップ", sku="MUG-1", quantity=2, price=Decimal(1500)),
                ItemValues(name="トートバッグ", sku="BAG-2", quantity=1, price=Decimal(2800)),
            ],
        ),
    )
    order_upsert(
        customer=yamada,
        source="shopify",
        values=OrderValues(
            external_id="10311",
            number="#10311",
            ordered_at=datetime(2026, 9, 2, 10, 0, tzinfo=TOKYO),
            status="fulfilled",
            total=Decimal(3200),
            currency="JPY",
            items=[ItemValues(name="急須", sku="TEA-9", quantity=1, price=Decimal(3200))],
        ),
    )
    customer_note_add(customer=yamada, author=None, body="配送遅延で一度お詫び済み。", pinned=True)
    # The same person again, first seen by SMS with the same phone number.
    duplicate = CustomerFactory(name="ヤマダ", email="", phone="")
    IdentityFactory(customer=duplicate, kind="sms", handle="09012345678")
    TicketFactory(
        customer=duplicate,
        identity=duplicate.identities.get(),
        channel="sms",
        subject="SMS：再配達の依頼",
    )
    return Yamada(customer=yamada, duplicate=duplicate)
