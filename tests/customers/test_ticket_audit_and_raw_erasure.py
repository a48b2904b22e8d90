"""The ticket page's audit row (customer_access_record_from_ticket) and the case-blind search
of raw payloads that erasure uses (raw_bytes_mention)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from channels_in.models import InboundEvent
from customers.audit import TICKET_VIEW_WINDOW, customer_access_record_from_ticket
from customers.erasure import raw_bytes_mention
from customers.models import AccessAction, CustomerAccess
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def ticket_page_request(user, ip="198.51.100.4"):
    request = RequestFactory().get("/agent/tickets/5/", REMOTE_ADDR=ip)
    request.user = user
    return request


def test_opening_a_ticket_logs_a_read_of_its_customer_with_the_ticket_number():
    agent, customer = UserFactory(role="agent"), CustomerFactory()

    entry = customer_access_record_from_ticket(
        request=ticket_page_request(agent), customer_id=customer.pk, ticket_id=5
    )

    assert entry is not None
    stored = CustomerAccess.objects.get()
    assert (stored.actor, stored.customer_id, stored.action) == (agent, customer.pk, "view")
    assert stored.detail == {"via": "ticket", "ticket": 5} and stored.ip == "198.51.100.4"


def test_reloading_the_same_ticket_soon_after_adds_no_copy_but_later_it_does():
    agent, customer = UserFactory(role="agent"), CustomerFactory()
    request = ticket_page_request(agent)
    customer_access_record_from_ticket(request=request, customer_id=customer.pk, ticket_id=5)

    again = customer_access_record_from_ticket(
        request=request, customer_id=customer.pk, ticket_id=5
    )
    other_ticket = customer_access_record_from_ticket(
        request=request, customer_id=customer.pk, ticket_id=6
    )
    colleague = customer_access_record_from_ticket(
        request=ticket_page_request(UserFactory(role="agent")), customer_id=customer.pk, ticket_id=5
    )

    assert again is None and other_ticket is not None and colleague is not None
    CustomerAccess.objects.update(at=timezone.now() - TICKET_VIEW_WINDOW - timedelta(seconds=1))
    later = customer_access_record_from_ticket(
        request=request, customer_id=customer.pk, ticket_id=5
    )
    assert later is not None
    assert CustomerAccess.objects.filter(action=AccessAction.VIEW).count() == 4


def test_a_ticket_without_a_customer_logs_nothing():
    request = ticket_page_request(UserFactory(role="agent"))

    assert (
        customer_access_record_from_ticket(request=request, customer_id=None, ticket_id=5) is None
    )
    assert not CustomerAccess.objects.exists()


def test_the_ticket_number_reads_well_in_the_audit_log(admin_client):
    agent, customer = UserFactory(role="agent"), CustomerFactory()
    customer_access_record_from_ticket(
        request=ticket_page_request(agent), customer_id=customer.pk, ticket_id=5
    )

    page = admin_client.get("/agent/customers/audit/", HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 200
    assert "on ticket" in page.content.decode() and "#5" in page.content.decode()


def raw_event(key: str, payload: bytes) -> InboundEvent:
    return InboundEvent.objects.create(kind="email", idempotency_key=key, payload=payload)


def test_raw_payloads_are_found_whatever_the_case_of_the_address():
    mixed = raw_event("a", b"From: =?UTF-8?B?5bGx55Sw?= <Taro.Yamada@Example.JP>\r\n\r\nhello")
    upper = raw_event("b", b'{"email": "TARO.YAMADA@EXAMPLE.JP"}')
    other = raw_event("c", b"From: hanako@example.jp\r\n\r\nTaro.Yamada@Example.com")

    found = set(
        InboundEvent.objects.filter(
            raw_bytes_mention("payload", "taro.yamada@example.jp")
        ).values_list("pk", flat=True)
    )

    assert found == {mixed.pk, upper.pk}
    assert other.pk not in found


def test_non_ascii_names_and_binary_bytes_still_match_exactly():
    shift_jis = raw_event("sj", "お名前: 山田太郎\r\n".encode("cp932") + b"\x00\xff\\x")
    utf8 = raw_event("u8", "お名前: 山田太郎".encode())

    def found(needle: str, encoding: str = "utf-8") -> set[int]:
        return set(
            InboundEvent.objects.filter(raw_bytes_mention("payload", needle)).values_list(
                "pk", flat=True
            )
        )

    assert found("山田太郎") == {utf8.pk}
    assert found("\\x") == {shift_jis.pk}  # a backslash is escaped the same on both sides
    assert found("山田花子") == set()


def test_a_hostile_contact_is_only_ever_a_parameter():
    event = raw_event("h", b"'); DROP TABLE channels_in_inboundevent; --")

    matches = InboundEvent.objects.filter(
        raw_bytes_mention("payload", "'); drop table channels_in_inboundevent; --")
    )

    assert list(matches.values_list("pk", flat=True)) == [event.pk]
    with pytest.raises(ValueError):
        raw_bytes_mention('payload") or (1=1', "x")


def test_order_upsert_keeps_the_newer_state_whatever_order_updates_arrive_in():
    from datetime import UTC, datetime
    from decimal import Decimal

    from customers.orders import ItemValues, OrderValues, order_upsert

    customer = CustomerFactory()

    def values(status, hour, tracking=""):
        return OrderValues(
            external_id="B-1",
            number="B-1",
            ordered_at=datetime(2026, 11, 20, 1, tzinfo=UTC),
            status=status,
            total=Decimal(1000),
            tracking_number=tracking,
            items=[ItemValues(name=f"item {status}")],
            source_updated_at=datetime(2026, 11, 21, hour, tzinfo=UTC) if hour else None,
        )

    order_upsert(customer=customer, source="base", values=values("dispatched", 12, "T-9"))
    stale, created = order_upsert(customer=customer, source="base", values=values("ordered", 9))
    assert created is False
    assert (stale.status, stale.tracking_number) == ("dispatched", "T-9")
    assert [i.name for i in stale.items.all()] == ["item dispatched"]

    same_time, _ = order_upsert(customer=customer, source="base", values=values("paid", 12, "T-9"))
    assert same_time.status == "paid"  # a redelivery of the same moment applies
    undated, _ = order_upsert(customer=customer, source="base", values=values("cancelled", 0))
    assert undated.status == "cancelled"  # a source that tells no time (CSV, API) always applies
