"""Data subject requests: the export zip, erasure that leaves no personal data, retention."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from email.message import EmailMessage

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation

from channels_in.models import InboundEvent
from channels_in.services import process_inbound, record_inbound
from customers.data_requests import customer_erase, customer_export, personal_data_expire
from customers.models import AccessAction, Customer, CustomerAccess, CustomerNote, Order
from customers.orders import ItemValues, OrderValues, order_upsert
from customers.services import customer_block, customer_note_add, identity_resolve
from helpdesk.models import User
from tests.factories import STAFF_PASSWORD, IdentityFactory, UserFactory
from tickets.models import Attachment, Message, Ticket

pytestmark = pytest.mark.django_db

EMAIL = "hanako.sato@example.jp"
NAME = "佐藤 花子"
PHONE = "09087654321"


def mail(message_id: str, text: str, *, attachment: bytes | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = f"Hanako Sato <{EMAIL}>"
    message["To"] = "support@madoguchi.localhost"
    message["Subject"] = "返品について 佐藤花子"
    message["Message-ID"] = message_id
    message.set_content(text)
    if attachment:
        message.add_attachment(attachment, maintype="image", subtype="png", filename="レシート.png")
    return message.as_bytes()


def hanako_with_history() -> Customer:
    event, _ = record_inbound(
        kind="email",
        payload=mail(
            "<h1@example.jp>",
            "注文した商品を返品したいです。電話は 09087654321 です。",
            attachment=b"\x89PNG receipt bytes",
        ),
    )
    process_inbound(event.pk)
    customer = Customer.objects.get(email=EMAIL)
    customer.name, customer.phone, customer.name_kana = NAME, PHONE, "サトウ ハナコ"
    customer.tags = ["返品"]
    customer.save()
    IdentityFactory(customer=customer, kind="line", handle="Uhanako777", display_name="はなこ")
    customer_note_add(
        customer=customer, author=None, body="佐藤様は午前中の連絡を希望", pinned=True
    )
    order_upsert(
        customer=customer,
        source="shopify",
        values=OrderValues(
            external_id="901",
            number="#901",
            ordered_at=timezone.now(),
            status="paid",
            total=4200,
            tracking_number="5555-6666-7777",
            carrier="ヤマト運輸",
            items=[ItemValues(name="湯呑み", quantity=2, price=2100)],
        ),
    )
    return customer


def zip_of(response_or_file) -> zipfile.ZipFile:
    data = (
        b"".join(response_or_file.streaming_content)
        if hasattr(response_or_file, "streaming_content")
        else response_or_file.read()
    )
    return zipfile.ZipFile(io.BytesIO(data))


def test_export_contains_profile_identities_orders_notes_tickets_messages_and_files():
    customer = hanako_with_history()
    admin = UserFactory(role="admin")

    archive = zip_of(customer_export(customer=customer, actor=admin))

    names = archive.namelist()
    document = json.loads(archive.read("customer.json"))
    assert document["customer"]["name"] == NAME
    assert document["customer"]["email"] == EMAIL
    assert {i["handle"] for i in document["identities"]} == {EMAIL, "Uhanako777"}
    assert document["orders"][0]["number"] == "#901"
    assert document["orders"][0]["items"][0]["name"] == "湯呑み"
    assert document["notes"][0]["body"] == "佐藤様は午前中の連絡を希望"
    (ticket,) = document["tickets"]
    assert "返品したいです" in ticket["messages"][0]["body_text"]
    (attached,) = ticket["messages"][0]["attachments"]
    assert attached["filename"] == "レシート.png" and attached["file"] in names
    assert archive.read(attached["file"]) == b"\x89PNG receipt bytes"
    assert document["raw_events"][0]["channel"] == "email"
    exported = CustomerAccess.objects.get(action=AccessAction.EXPORT)
    assert exported.customer_id == customer.pk and exported.actor == admin


def test_attachment_names_cannot_escape_the_zip_folder():
    customer = hanako_with_history()
    Attachment.objects.update(filename="../../etc/passwd")

    archive = zip_of(customer_export(customer=customer, actor=UserFactory(role="admin")))

    assert all(not n.startswith(("/", "..")) and "/../" not in n for n in archive.namelist())


def _tables_containing(needle: str) -> list[str]:
    """Every text, JSON, tsvector and bytea column in the database that holds `needle`."""
    hits = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN "
            "('text', 'character varying', 'jsonb', 'tsvector', 'bytea', 'ARRAY')"
        )
        for table, column, kind in cursor.fetchall():
            if kind == "bytea":
                condition, param = f'position(%s::bytea in "{column}") > 0', needle.encode()
            else:
                condition, param = f'"{column}"::text LIKE %s', f"%{needle}%"
            cursor.execute(f'SELECT 1 FROM "{table}" WHERE {condition} LIMIT 1', [param])
            if cursor.fetchone():
                hits.append(f"{table}.{column}")
    return hits


def test_erasure_leaves_no_personal_data_anywhere_in_the_database():
    customer = hanako_with_history()
    user = User.objects.create_user(
        email=EMAIL, password=STAFF_PASSWORD, name=NAME, role="customer"
    )
    customer.user = user
    customer.save()
    customer_block(customer=customer, reason="佐藤花子さんの暴言")
    admin = UserFactory(role="admin")
    for needle in (EMAIL, NAME, "Uhanako777", "返品したいです"):
        assert _tables_containing(needle), needle  # the test would prove nothing otherwise

    counts = customer_erase(customer=customer, actor=admin, confirmation=" 佐藤　花子 ")

    for needle in (
        EMAIL,
        NAME,
        "Uhanako777",
        "はなこ",
        "サトウ ハナコ",
        PHONE,
        "返品したいです",
        "午前中の連絡",
        "5555-6666-7777",
    ):
        assert _tables_containing(needle) == [], needle
    assert counts["messages"] == 1 and counts["attachments"] == 1 and counts["raw_events"] >= 1
    assert not Attachment.objects.exists()
    ticket = Ticket.objects.get()
    assert ticket.customer_id == customer.pk and ticket.status  # the statistics stay
    assert Message.objects.count() == 1
    order = Order.objects.get()
    assert order.total == 4200 and order.tracking_number == ""
    customer.refresh_from_db()
    assert customer.is_erased and customer.erased_by == admin
    with translation.override("en"):
        assert str(customer.display_name) == f"Customer #{customer.pk}"
    user.refresh_from_db()
    assert not user.is_active and not user.has_usable_password()
    erased = CustomerAccess.objects.get(action=AccessAction.ERASE)
    assert erased.actor == admin and erased.customer_id == customer.pk


def test_erasure_removes_the_attachment_files_after_commit(django_capture_on_commit_callbacks):
    customer = hanako_with_history()
    attachment = Attachment.objects.get()
    storage, name = attachment.file.storage, attachment.file.name
    assert storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        customer_erase(customer=customer, actor=UserFactory(role="admin"), confirmation=NAME)

    assert not storage.exists(name)


def test_erasure_needs_the_name_typed_and_happens_once():
    customer = hanako_with_history()
    admin = UserFactory(role="admin")

    with pytest.raises(ValidationError):
        customer_erase(customer=customer, actor=admin, confirmation="佐藤")
    assert Customer.objects.get(pk=customer.pk).email == EMAIL  # nothing happened

    customer_erase(customer=customer, actor=admin, confirmation=NAME)
    with pytest.raises(ValidationError):
        customer_erase(
            customer=Customer.objects.get(pk=customer.pk),
            actor=admin,
            confirmation=f"#{customer.pk}",
        )


def test_a_nameless_customer_is_confirmed_by_email_address():
    customer = identity_resolve(kind="email", handle="nameless@example.jp").customer
    customer_erase(
        customer=customer, actor=UserFactory(role="admin"), confirmation="NAMELESS@example.jp"
    )
    assert Customer.objects.get(pk=customer.pk).is_erased


def test_a_new_message_after_erasure_starts_a_new_customer():
    customer = hanako_with_history()
    customer_erase(customer=customer, actor=UserFactory(role="admin"), confirmation=NAME)

    event, _ = record_inbound(kind="email", payload=mail("<h2@example.jp>", "また質問です"))
    process_inbound(event.pk)

    newcomer = Ticket.objects.order_by("-pk").first().customer
    assert newcomer.pk != customer.pk and newcomer.email == EMAIL


# --- pages -------------------------------------------------------------------------------
def test_admin_exports_and_erases_through_the_privacy_page(client):
    customer = hanako_with_history()
    admin = UserFactory(role="admin")
    client.force_login(admin)

    page = client.get(f"/agent/customers/{customer.pk}/privacy/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "Download export" in page.content.decode() and NAME in page.content.decode()

    download = client.post(f"/agent/customers/{customer.pk}/export/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert "customer.json" in zip_of(download).namelist()

    wrong = client.post(
        f"/agent/customers/{customer.pk}/erase/",
        {"confirmation": "someone"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert wrong.status_code == 400 and "exactly as shown" in wrong.content.decode()
    assert not Customer.objects.get(pk=customer.pk).is_erased

    done = client.post(f"/agent/customers/{customer.pk}/erase/", {"confirmation": NAME})
    assert done.status_code == 302
    assert Customer.objects.get(pk=customer.pk).is_erased
    after = client.get(f"/agent/customers/{customer.pk}/privacy/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Personal data was erased" in after.content.decode()
    assert list(
        CustomerAccess.objects.filter(customer_id=customer.pk)
        .values_list("action", flat=True)
        .order_by("at", "id")
    )[-4:] == ["view", "export", "erase", "view"]


@pytest.mark.parametrize(
    ("role", "export", "erase"),
    [
        ("admin", 200, 302),
        ("manager", 200, 403),
        ("agent", 403, 403),
        ("light_agent", 403, 403),
    ],
)
def test_who_may_export_and_erase(client, role, export, erase):
    customer = hanako_with_history()
    client.force_login(UserFactory(role=role))

    assert client.post(f"/agent/customers/{customer.pk}/export/").status_code == export
    response = client.post(f"/agent/customers/{customer.pk}/erase/", {"confirmation": NAME})
    assert response.status_code == erase
    assert Customer.objects.get(pk=customer.pk).is_erased is (erase == 302)


# --- retention ---------------------------------------------------------------------------
def test_retention_redacts_only_solved_conversations_older_than_the_limit():
    customer = hanako_with_history()
    old = Ticket.objects.get()
    Ticket.objects.filter(pk=old.pk).update(
        status="solved", solved_at=timezone.now() - timedelta(days=400)
    )
    event, _ = record_inbound(kind="email", payload=mail("<h3@example.jp>", "新しい質問です"))
    process_inbound(event.pk)
    recent = Ticket.objects.exclude(pk=old.pk).get()
    Ticket.objects.filter(pk=recent.pk).update(
        status="solved", solved_at=timezone.now() - timedelta(days=3)
    )

    counts = personal_data_expire(days=365)

    assert counts["expired_tickets"] == 1 and counts["attachments"] == 1
    old_message = Message.objects.get(ticket=old)
    assert (
        "返品" not in old_message.body_text and "返品" not in Ticket.objects.get(pk=old.pk).subject
    )
    assert "新しい質問です" in Message.objects.get(ticket=recent).body_text
    assert bytes(InboundEvent.objects.get(message=old_message).payload) == b""
    assert bytes(InboundEvent.objects.get(message__ticket=recent).payload) != b""
    assert CustomerNote.objects.filter(customer=customer).exists()  # profiles are not content
    assert personal_data_expire(days=365)["expired_tickets"] == 0  # idempotent


def test_retention_is_off_without_a_limit():
    hanako_with_history()
    Ticket.objects.update(status="closed", solved_at=timezone.now() - timedelta(days=4000))
    assert personal_data_expire(days=0) == {}
    assert "返品したいです" in Message.objects.get().body_text


def test_the_beat_task_applies_the_configured_retention(settings):
    from customers.tasks import expire_personal_data

    hanako_with_history()
    Ticket.objects.update(status="solved", solved_at=timezone.now() - timedelta(days=40))
    settings.RETENTION_DAYS = 0
    expire_personal_data()
    assert "返品したいです" in Message.objects.get().body_text

    settings.RETENTION_DAYS = 30
    expire_personal_data()
    assert "返品したいです" not in Message.objects.get().body_text
