"""The OpenAPI schema generates cleanly and documents the public contract; docs are served."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_generates_without_warnings_and_validates(tmp_path):
    target = tmp_path / "schema.yml"
    # Raises on any warning or error, and on a schema that is not valid OpenAPI 3.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert {
        "/api/v1/tickets/",
        "/api/v1/tickets/{id}/",
        "/api/v1/tickets/{id}/messages/",
        "/api/v1/customers/",
        "/api/v1/customers/{id}/",
    } <= set(schema["paths"])


def test_schema_documents_the_contract_fields(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    components = response.json()["components"]
    schemas = components["schemas"]
    assert set(schemas["TicketOutput"]["properties"]) >= {
        "id",
        "subject",
        "status",
        "priority",
        "channel",
        "customer",
        "assignee",
        "team",
        "tags",
        "created_at",
        "updated_at",
        "first_replied_at",
        "solved_at",
    }
    assert set(schemas["MessageOutput"]["properties"]) >= {
        "id",
        "author_kind",
        "internal",
        "body_text",
        "body_html",
        "attachments",
        "created_at",
    }
    assert set(schemas["AttachmentOutput"]["properties"]) == {
        "filename",
        "content_type",
        "size",
        "url",
    }
    assert set(schemas["CustomerOutput"]["properties"]) >= {"identities", "orders"}
    assert "tokenAuth" in components["securitySchemes"]
    assert "cookieAuth" in components["securitySchemes"]
    ticket = response.json()["paths"]["/api/v1/tickets/{id}/"]
    assert set(ticket) == {"get", "patch"}


def test_docs_page_is_served(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
