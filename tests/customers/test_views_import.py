"""The order CSV import page: upload → preview with row errors (nothing stored) → import."""

from __future__ import annotations

import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.import_files import MAX_IMPORT_BYTES, import_file_keep
from customers.models import AccessAction, Customer, CustomerAccess, Order
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

IMPORT = "/agent/customers/orders/import/"
CONFIRM = "/agent/customers/orders/import/confirm/"
HEADER = "order_number,ordered_at,customer_email,customer_name,status,total,currency,sku,item_name,quantity,price\n"
GOOD = (
    "10482,2026-11-20 14:30,yamada@example.jp,山田 太郎,shipped,,JPY,MUG-1,マグカップ,2,1500\n"
    "10482,2026-11-20 14:30,yamada@example.jp,山田 太郎,shipped,,JPY,BAG-2,トートバッグ,1,2800\n"
    "10483,2026/11/21,olivia@example.com,Olivia Brown,paid,3200,usd,,Teapot,1,3200\n"
)
BAD = (
    "10484,yesterday,kim@example.com,Kim,,,,,Cup,1,100\n"
    "10485,2026-11-22,<script>alert(1)</script>,Lee,,,,,Cup,1,100\n"
    "10486,2026-11-22,lee@example.com,Lee,,,,,Cup,=cmd|' /C calc'!A0,100\n"
)


@pytest.fixture
def manager_client(client):
    client.force_login(UserFactory(role="manager"))
    return client


def upload(client, text: str, name: str = "orders.csv"):
    return client.post(
        IMPORT,
        {"file": SimpleUploadedFile(name, text.encode(), "text/csv")},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def token_of(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)


def test_preview_lists_orders_and_row_errors_and_stores_nothing(manager_client):
    response = upload(manager_client, HEADER + GOOD + BAD)

    assert response.status_code == 200
    page = response.content.decode()
    report = response.context["report"]
    assert report.orders == 2
    assert [line for line, _message in report.errors] == [5, 6, 7]
    assert "10482" in page and "10483" in page and "¥5,800" in page and "$3,200.00" in page
    assert (
        "is not a date" in page and "is not an email address" in page and "is not a number" in page
    )
    assert not Order.objects.exists() and not Customer.objects.exists()
    assert not CustomerAccess.objects.exists()


def test_hostile_cells_are_shown_as_text(manager_client):
    page = upload(manager_client, HEADER + GOOD + BAD).content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # A spreadsheet formula is just text in the error table (HTML-escaped like anything else).
    assert "=cmd|&#x27; /C calc&#x27;!A0" in page


def test_confirming_imports_what_the_preview_showed_and_is_audited(manager_client):
    preview = upload(manager_client, HEADER + GOOD + BAD)

    response = manager_client.post(CONFIRM, {"token": token_of(preview)})

    assert response.status_code == 302 and response["Location"] == IMPORT
    assert sorted(Order.objects.values_list("number", flat=True)) == ["10482", "10483"]
    assert Order.objects.get(number="10482").items.count() == 2
    entry = CustomerAccess.objects.get(action=AccessAction.IMPORT)
    assert entry.customer_id is None
    assert entry.detail == {"orders": 2, "created": 2, "updated": 0, "errors": 3}
    # The kept file is gone: the same token cannot import twice.
    again = manager_client.post(CONFIRM, {"token": token_of(preview)})
    assert again.status_code == 302
    assert CustomerAccess.objects.filter(action=AccessAction.IMPORT).count() == 1


def test_a_file_with_nothing_importable_offers_no_import_button(manager_client):
    response = upload(manager_client, HEADER + BAD)

    assert response.context["report"].orders == 0
    assert 'name="token"' not in response.content.decode()
    assert (
        not default_storage.exists("order-imports")
        or not default_storage.listdir("order-imports")[1]
    )


def test_a_file_over_5_mb_is_refused(manager_client):
    big = HEADER + GOOD * (MAX_IMPORT_BYTES // len(GOOD.encode()) + 1)

    response = upload(manager_client, big)

    assert response.status_code in (400, 413)
    assert "5.0" in response.content.decode()  # the limit, in the viewer's units
    assert not Order.objects.exists()


def test_a_file_just_over_the_limit_is_refused_by_the_form(manager_client):
    from customers.forms import OrderImportForm

    data = b"x" * (MAX_IMPORT_BYTES + 1)
    form = OrderImportForm(files={"file": SimpleUploadedFile("big.csv", data, "text/csv")})

    assert not form.is_valid() and "file" in form.errors


def test_a_forged_or_foreign_token_imports_nothing(manager_client):
    other = UserFactory(role="manager")
    foreign = import_file_keep(data=(HEADER + GOOD).encode(), user_id=other.pk)

    forged = manager_client.post(CONFIRM, {"token": "not-a-token"})
    stolen = manager_client.post(CONFIRM, {"token": foreign})

    assert forged.status_code == 302 and stolen.status_code == 302
    assert not Order.objects.exists()


@pytest.mark.parametrize("role", ["agent", "light_agent", "customer"])
def test_only_managers_and_admins_import(client, role):
    client.force_login(UserFactory(role=role))

    assert client.get(IMPORT).status_code == 403
    assert upload(client, HEADER + GOOD).status_code == 403
    assert client.post(CONFIRM, {"token": "x"}).status_code == 403
    assert not Order.objects.exists()


def test_admins_import_too(client):
    client.force_login(UserFactory(role="admin"))

    page = client.get(IMPORT, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "order_number" in page and 'type="file"' in page


def test_reading_an_upload_stops_at_the_limit_whatever_the_declared_length():
    from django.core.files.uploadhandler import StopUpload
    from django.test import RequestFactory

    from customers.import_files import ImportSizeLimit

    handler = ImportSizeLimit(RequestFactory().post("/"))
    chunk = b"x" * (1024 * 1024)

    for n in range(5):
        assert handler.receive_data_chunk(chunk, n * len(chunk)) == chunk
    with pytest.raises(StopUpload):
        handler.receive_data_chunk(b"x", 5 * len(chunk))


def test_the_upload_still_needs_a_csrf_token(db):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(UserFactory(role="manager"))

    response = upload(browser, HEADER + GOOD)

    assert response.status_code == 403
    assert (
        not default_storage.exists("order-imports")
        or not default_storage.listdir("order-imports")[1]
    )
