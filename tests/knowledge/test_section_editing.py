"""Who may edit a section's articles, and the managers' permission editor for sections."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from customers.models import Organization
from knowledge import services
from knowledge.access import can_edit_section, editable_sections
from knowledge.models import Audience, Section
from tests.factories import UserFactory
from tickets.models import Team

from .conftest import make_article

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def billing_team():
    return Team.objects.create(name="Billing")


@pytest.fixture
def locked(section, billing_team):
    """A section only the billing team's agents (and managers) may write in."""
    services.set_section_access(section, audience=Audience.EVERYONE, editor_teams=[billing_team])
    return section


def test_team_restriction_lets_members_and_managers_edit_and_no_one_else(locked, billing_team):
    member, outsider = UserFactory(role="agent"), UserFactory(role="agent")
    billing_team.members.add(member)
    manager, light = UserFactory(role="manager"), UserFactory(role="light_agent")

    assert can_edit_section(member, locked) and can_edit_section(manager, locked)
    assert not can_edit_section(outsider, locked) and not can_edit_section(light, locked)
    assert locked in editable_sections(member) and locked not in editable_sections(outsider)


def test_managers_only_sections_refuse_every_agent(section):
    services.set_section_access(
        section, audience=Audience.EVERYONE, editor_roles=["manager", "admin"]
    )
    assert not can_edit_section(UserFactory(role="agent"), section)
    assert can_edit_section(UserFactory(role="admin"), section)


def test_the_editor_refuses_an_article_of_a_locked_section_and_does_not_offer_it(locked):
    article = make_article(locked, en=("Invoices", "How invoices work"))
    outsider = signed_in(UserFactory(role="agent"))

    assert outsider.get(f"/help/manage/{article.pk}/").status_code == 403
    page = outsider.get("/help/manage/new/").content.decode()
    assert f'value="{locked.pk}"' not in page
    created = outsider.post(
        "/help/manage/new/",
        {
            "section": locked.pk,
            "position": 0,
            "en-title": "Sneaky",
            "en-body": "x",
            "en-status": "draft",
        },
    )
    assert created.status_code == 400
    assert not article.section.articles.filter(translations__title="Sneaky").exists()


def test_the_api_refuses_writes_in_a_locked_section(locked, billing_team):
    article = make_article(locked, en=("Invoices", "How invoices work"))
    outsider, member = UserFactory(role="agent"), UserFactory(role="agent")
    billing_team.members.add(member)
    body = {"section": locked.pk, "translations": [{"language": "en", "title": "New one"}]}

    refused = signed_in(outsider).post("/api/v1/articles/", body, content_type="application/json")
    assert refused.status_code == 403 and "section" in refused.json()["detail"]
    patch = signed_in(outsider).patch(
        f"/api/v1/articles/{article.pk}/", {"position": 3}, content_type="application/json"
    )
    assert patch.status_code == 403
    allowed = signed_in(member).post("/api/v1/articles/", body, content_type="application/json")
    assert allowed.status_code == 201


def test_moving_an_article_into_a_locked_section_is_refused(locked, category):
    open_section = services.upsert_section(category=category, slug="open", name_en="Open")
    article = make_article(open_section, en=("Movable", "text"))
    response = signed_in(UserFactory(role="agent")).patch(
        f"/api/v1/articles/{article.pk}/", {"section": locked.pk}, content_type="application/json"
    )
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.section_id == open_section.pk


# ------------------------------------------------------------------------ the permission editor


def test_the_structure_page_shows_each_sections_audience_and_links_its_permissions(section):
    services.set_section_access(section, audience=Audience.AGENTS)
    page = signed_in(UserFactory(role="manager")).get("/help/manage/structure/").content.decode()
    assert "Agents only" in page
    assert f"/help/manage/structure/section/{section.pk}/access/" in page


def test_a_manager_restricts_a_section_to_organizations_and_teams(section, billing_team):
    acme = Organization.objects.create(name="Acme")
    manager = signed_in(UserFactory(role="manager"))
    url = f"/help/manage/structure/section/{section.pk}/access/"
    assert manager.get(url).status_code == 200

    response = manager.post(
        url,
        {
            "audience": "organizations",
            "organizations": [acme.pk],
            "editors": "teams",
            "editor_teams": [billing_team.pk],
        },
    )
    assert response.status_code == 302
    section.refresh_from_db()
    assert section.audience == Audience.ORGANIZATIONS
    assert list(section.organizations.all()) == [acme]
    assert list(section.editor_teams.all()) == [billing_team]
    form = manager.get(url).content.decode()
    assert re.search(r'name="editors" value="teams"[^>]*checked', form)
    assert re.search(r'name="audience" value="organizations"[^>]*checked', form)


@pytest.mark.parametrize(
    "data, field",
    [
        ({"audience": "organizations", "editors": "agents"}, "Choose at least one organization."),
        ({"audience": "everyone", "editors": "teams"}, "Choose at least one team."),
        ({"audience": "nobody", "editors": "agents"}, "Select a valid choice"),
        ({"audience": "everyone", "editors": "agents", "organizations": ["x"]}, "valid value"),
        ({}, "This field is required."),
    ],
)
def test_bad_permission_forms_are_refused_with_a_message_and_change_nothing(section, data, field):
    response = signed_in(UserFactory(role="manager")).post(
        f"/help/manage/structure/section/{section.pk}/access/", data
    )
    assert response.status_code == 400
    assert field in response.content.decode()
    section.refresh_from_db()
    assert section.audience == Audience.EVERYONE


def test_only_managers_reach_the_permission_editor(section):
    url = f"/help/manage/structure/section/{section.pk}/access/"
    assert Client().get(url).status_code == 302  # to the login page
    assert signed_in(UserFactory(role="agent")).get(url).status_code == 403
    assert signed_in(UserFactory(role="customer")).get(url).status_code == 403
    assert (
        signed_in(UserFactory(role="manager"))
        .get("/help/manage/structure/section/999999/access/")
        .status_code
        == 404
    )
    assert Section.objects.get(pk=section.pk).audience == Audience.EVERYONE


def test_organizations_are_dropped_when_the_audience_no_longer_uses_them(section):
    acme = Organization.objects.create(name="Acme")
    services.set_section_access(section, audience=Audience.ORGANIZATIONS, organizations=[acme])
    services.set_section_access(section, audience=Audience.SIGNED_IN, organizations=[acme])
    assert not section.organizations.exists()
