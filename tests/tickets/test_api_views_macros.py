"""/api/v1/views/ and /api/v1/macros/: the same views and macros as the inbox, over the API."""

import pytest

from tests.api_factories import token_client
from tests.factories import CustomerFactory, IdentityFactory, TicketFactory, UserFactory
from tickets.models import Macro, SavedView, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(agent):
    return token_client(agent)


def test_views_list_built_in_and_custom_with_counts(api, agent):
    TicketFactory(status=Status.OPEN, priority="high")
    SavedView.objects.create(owner=agent, name="High", filters={"priority": ["high"]})
    SavedView.objects.create(owner=UserFactory(), name="Not mine", filters={})

    rows = api.get("/api/v1/views/").json()["results"]

    by_name = {row["name"]: row for row in rows}
    assert by_name["High"]["count"] == 1 and by_name["High"]["built_in"] is False
    assert by_name["All open"]["count"] == 1 and by_name["All open"]["built_in"] is True
    assert "Not mine" not in by_name


def test_create_update_delete_a_view(api, agent):
    created = api.post(
        "/api/v1/views/",
        {"name": "LINE", "filters": {"channel": ["line"]}, "sort": "-created_at"},
        format="json",
    )
    assert created.status_code == 201
    key = created.json()["key"]
    updated = api.put(
        f"/api/v1/views/{key}/",
        {"name": "LINE+chat", "filters": {"channel": ["line", "chat"]}},
        format="json",
    )
    assert updated.status_code == 200 and updated.json()["filters"] == {"channel": ["line", "chat"]}
    assert api.delete(f"/api/v1/views/{key}/").status_code == 204
    assert not SavedView.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "filters": {"status": ["nope"]}},
        {"name": "x", "filters": "status=open"},
        {"name": "x", "sort": "random()"},
        {"name": "", "filters": {}},
        {"name": "x", "owner": 1},
        {"name": "x", "shared": True},  # an agent may not share
    ],
)
def test_bad_view_bodies_get_a_4xx_json_error(api, body):
    response = api.post("/api/v1/views/", body, format="json")

    assert response.status_code in (400, 403)
    assert "detail" in response.json()
    assert not SavedView.objects.exists()


def test_someone_elses_view_is_404(api):
    view = SavedView.objects.create(owner=UserFactory(), name="Private", filters={})

    assert api.get(f"/api/v1/views/{view.pk}/").status_code == 404
    assert api.delete(f"/api/v1/views/{view.pk}/").status_code == 404


def test_macros_list_and_render_for_a_ticket(api):
    customer = CustomerFactory(name="佐藤 花子")
    ticket = TicketFactory(identity=IdentityFactory(customer=customer))
    macro = Macro.objects.create(
        name="Hello", body="{{customer.name}}様 #{{ticket.id}}", shared=True
    )
    Macro.objects.create(name="Private", body="x", shared=False, owner=UserFactory())

    listed = api.get("/api/v1/macros/").json()["results"]
    rendered = api.get(f"/api/v1/macros/{macro.pk}/?ticket={ticket.pk}").json()

    assert [m["name"] for m in listed] == ["Hello"]
    assert rendered["rendered_body"] == f"佐藤 花子様 #{ticket.pk}"
    assert api.get(f"/api/v1/macros/{macro.pk}/?ticket=abc").status_code == 400
    assert api.get(f"/api/v1/macros/{macro.pk}/?ticket=999999").status_code == 404


def test_customers_cannot_use_the_workspace_api():
    client = token_client(UserFactory(role="customer"))

    assert client.get("/api/v1/views/").status_code == 403
    assert client.get("/api/v1/macros/").status_code == 403
