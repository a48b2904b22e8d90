"""The time-automation and product settings pages: clear errors for bad input, nothing lost."""

from __future__ import annotations

import pytest

from automations.models import Automation, Product, RoutingRule
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BASE = "/agent/automations/"


@pytest.fixture
def manager_client(client):
    client.force_login(UserFactory(role="manager"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def timed(**overrides):
    data = {
        "name": "close solved",
        "position": "10",
        "event": "time",
        "active": "on",
        "time_basis": "status",
        "time_amount": "4",
        "time_unit": "days",
        "statuses": ["solved"],
        "set_status": "closed",
    }
    data.update(overrides)
    return data


def test_a_time_automation_is_saved_and_listed_with_its_time(manager_client):
    response = manager_client.post(BASE + "new/", timed())
    assert response.status_code == 302
    automation = Automation.objects.get()
    assert (automation.time_basis, automation.time_amount, automation.time_unit) == (
        "status",
        4,
        "days",
    )
    page = manager_client.get(BASE).content.decode()
    assert "Time passes" in page and "Time in the current status ≥ 4 days" in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"time_basis": ""}, "time_basis", "Choose what the time counts from."),
        ({"time_amount": ""}, "time_amount", "Enter how much time must pass."),
        ({"time_amount": "0"}, "time_amount", "Enter at least 1."),
        ({"time_amount": "-3"}, "time_amount", "greater than or equal to 0"),
        ({"time_amount": "abc"}, "time_amount", "Enter a whole number."),
        ({"time_amount": "9" * 30}, "time_amount", "less than or equal to 525600"),
        ({"time_amount": "366"}, "time_amount", "At most 365 days."),
        ({"time_unit": "weeks"}, "time_unit", "Select a valid choice."),
        ({"time_basis": "forever"}, "time_basis", "Select a valid choice."),
        ({"keywords": "返品"}, "keywords", "time automations have none"),
        ({"statuses": ["closed"]}, "statuses", "never run on closed tickets"),
        ({"without_tags": "x" * 61}, "without_tags", "is too long"),
        ({"assignee_is": "somebody"}, "assignee_is", "Select a valid choice."),
    ],
)
def test_bad_time_input_gets_a_clear_error_and_saves_nothing(
    manager_client, overrides, field, message
):
    response = manager_client.post(BASE + "new/", timed(**overrides))
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    assert not Automation.objects.exists()
    # What was typed is shown again, not lost.
    assert 'value="close solved"' in response.content.decode()


def test_sla_breached_may_count_from_zero_minutes(manager_client):
    response = manager_client.post(
        BASE + "new/",
        timed(time_basis="sla_breached", time_amount="0", time_unit="minutes", statuses=[]),
    )
    assert response.status_code == 302


def test_an_event_automation_drops_stray_time_fields(manager_client):
    response = manager_client.post(
        BASE + "new/",
        timed(event="created", statuses=[], set_status="", add_tags="new", time_amount="abc"),
    )
    # A non-number in a hidden field is still an error the user can see and fix ...
    assert response.status_code == 400
    response = manager_client.post(
        BASE + "new/", timed(event="created", statuses=[], set_status="", add_tags="new")
    )
    assert response.status_code == 302
    automation = Automation.objects.get()
    assert (automation.time_basis, automation.time_amount) == ("", None)


def test_hostile_names_are_escaped_in_the_list(manager_client):
    manager_client.post(BASE + "new/", timed(name="<script>alert(1)</script>"))
    page = manager_client.get(BASE).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_products_are_created_edited_and_validated(manager_client):
    assert manager_client.get(BASE + "products/").status_code == 200
    response = manager_client.post(
        BASE + "products/new/",
        {
            "name": "  Shopify  連携 ",
            "tag": " Product-Shopify ",
            "keywords": "shopify、ショッピファイ",
            "active": "on",
        },
    )
    assert response.status_code == 302
    product = Product.objects.get()
    assert (product.name, product.tag, product.keywords) == (
        "Shopify 連携",
        "product-shopify",
        ["shopify", "ショッピファイ"],
    )
    for data, field, message in [
        ({"name": "Other", "tag": "PRODUCT-SHOPIFY"}, "tag", "already uses this tag"),
        ({"name": "Other", "tag": "a,b"}, "tag", "cannot contain commas"),
        ({"name": "Other", "tag": "   "}, "tag", "required"),
        ({"name": "Shopify 連携", "tag": "x"}, "name", "already exists"),
        ({"name": "Other", "tag": "t" * 61}, "tag", "at most 60"),
    ]:
        response = manager_client.post(BASE + "products/new/", data)
        assert response.status_code == 400, data
        assert message in " ".join(response.context["form"].errors[field]), data
    assert Product.objects.count() == 1
    page = manager_client.get(BASE + "products/").content.decode()
    assert "Shopify 連携" in page and "product-shopify" in page
    assert manager_client.post(f"{BASE}products/{product.pk}/delete/").status_code == 302
    assert not Product.objects.exists()


def test_routing_rule_may_set_only_a_product(manager_client):
    product = Product.objects.create(name="POS", tag="pos")
    response = manager_client.post(
        BASE + "routing/new/",
        {"name": "pos", "position": "0", "keywords": "レジ", "set_product": str(product.pk)},
    )
    assert response.status_code == 302
    assert RoutingRule.objects.get().set_product == product
    response = manager_client.post(BASE + "routing/new/", {"name": "none", "position": "0"})
    assert "A rule must set a team, a priority or a product." in response.content.decode()


def test_agent_product_skills_are_saved_and_shown(manager_client):
    product = Product.objects.create(name="POS", tag="pos")
    agent = UserFactory(role="agent", name="Ken")
    url = f"{BASE}assignment/agents/{agent.pk}/"
    assert "POS" in manager_client.get(url).content.decode()
    bad = manager_client.post(url, {"languages": "ja", "products": ["999999"]})
    assert bad.status_code == 400
    ok = manager_client.post(url, {"languages": "ja", "products": [str(product.pk)]})
    assert ok.status_code == 302
    assert list(agent.skills.products.all()) == [product]
    page = manager_client.get(BASE + "assignment/").content.decode()
    assert "Ken" in page and "POS" in page
