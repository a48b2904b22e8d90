"""CSV import of purchase history: a preview first, per-row errors, idempotent re-import."""

import pytest

from customers.models import Customer, Order
from customers.orders import orders_import_csv

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


HEADER = "order_number,ordered_at,customer_email,customer_name,status,total,currency,sku,item_name,quantity,price\n"
GOOD = (
    "10482,2026-11-20 14:30,yamada@example.jp,山田 太郎,shipped,,JPY,MUG-1,マグカップ,2,1500\n"
    '10482,2026-11-20 14:30,yamada@example.jp,山田 太郎,shipped,,JPY,BAG-2,トートバッグ,1,"2,800"\n'
    "10483,2026/11/21,olivia@example.com,Olivia Brown,paid,3200,usd,,Teapot,1,3200\n"
)


def test_preview_reports_and_stores_nothing():
    report = orders_import_csv((HEADER + GOOD).encode(), commit=False)

    assert report.orders == 2 and report.errors == []
    assert report.preview[0] == {
        "email": "yamada@example.jp",
        "number": "10482",
        "items": 2,
        "total": "5800",
        "currency": "JPY",
    }
    assert not Order.objects.exists() and not Customer.objects.exists()


def test_import_creates_customers_orders_and_items_and_is_idempotent():
    report = orders_import_csv((HEADER + GOOD).encode(), commit=True)
    again = orders_import_csv((HEADER + GOOD).encode(), commit=True)

    assert (report.created, report.updated) == (2, 0)
    assert (again.created, again.updated) == (0, 2)
    order = Order.objects.get(number="10482")
    assert order.customer.name == "山田 太郎"
    assert order.total == 5800  # summed from the lines when the total column is empty
    assert [i.name for i in order.items.all()] == ["マグカップ", "トートバッグ"]
    assert Order.objects.get(number="10483").currency == "USD"
    assert Customer.objects.count() == 2


def test_bad_rows_are_reported_by_line_and_skip_only_their_order():
    bad = (
        HEADER
        + GOOD
        + "10484,yesterday,kim@example.com,Kim,,,,,Cup,1,100\n"
        + "10485,2026-11-22,not-an-email,Lee,,,,,Cup,1,100\n"
        + "10486,2026-11-22,lee@example.com,Lee,,,,,Cup,two,100\n"
        + "10487,2026-11-22,lee@example.com,Lee,,,,,Cup,1,-5\n"
    )

    report = orders_import_csv(bad.encode(), commit=True)

    assert report.created == 2
    assert [line for line, _ in report.errors] == [5, 6, 7, 8]
    assert "yesterday" in report.errors[0][1]
    assert "not-an-email" in report.errors[1][1]
    assert "quantity" in report.errors[2][1]
    assert "negative" in report.errors[3][1]
    assert not Order.objects.filter(number__in=["10484", "10485", "10486", "10487"]).exists()


def test_shift_jis_files_from_japanese_spreadsheets_import():
    report = orders_import_csv((HEADER + GOOD).encode("cp932"), commit=True)

    assert report.errors == []
    assert Order.objects.get(number="10482").items.first().name == "マグカップ"


def test_missing_columns_and_binary_garbage_get_a_clear_error():
    assert (
        orders_import_csv(b"number,date\n1,2\n", commit=False)
        .errors[0][1]
        .startswith("Missing columns: order_number")
    )
    assert orders_import_csv(b"\xff\xfe\x00\x81\x00", commit=False).errors
