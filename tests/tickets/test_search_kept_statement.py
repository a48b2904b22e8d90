"""A search of words alone reuses its statement, compiled once per viewer (tickets.search_results):
every search must still find its own words, and only what that viewer may see, at once."""

from __future__ import annotations

import pytest

from tests.api_factories import TeamFactory
from tests.factories import TicketFactory, UserFactory
from tickets.models import Status
from tickets.search_index import ticket_search_refresh
from tickets.search_results import search_ids

pytestmark = pytest.mark.django_db


def indexed(subject: str, **fields):
    ticket = TicketFactory(subject=subject, **fields)
    ticket_search_refresh(ticket)
    return ticket


def test_each_search_finds_its_own_words(agent):
    refund = indexed("Refund for a broken kettle", status=Status.OPEN)
    delivery = indexed("配送が遅れています")

    assert search_ids(viewer=agent, query="refund") == [refund.pk]
    assert search_ids(viewer=agent, query="配送") == [delivery.pk]
    assert search_ids(viewer=agent, query="kettle status:open") == [refund.pk]
    assert search_ids(viewer=agent, query="nothing-like-this") == []


def test_what_a_viewer_may_see_follows_their_teams_and_role_at_once(settings):
    settings.TICKET_VISIBILITY = "team"
    billing, returns = TeamFactory(name="Billing"), TeamFactory(name="Returns")
    aiko = UserFactory(role="agent")
    aiko.teams.add(billing)
    ken = UserFactory(role="agent")
    ours = indexed("Invoice question", team=billing)
    theirs = indexed("Invoice dispute", team=returns)

    assert search_ids(viewer=aiko, query="invoice") == [ours.pk]
    assert search_ids(viewer=ken, query="invoice") == []

    ken.teams.add(returns)
    assert search_ids(viewer=ken, query="invoice") == [theirs.pk]
    aiko.role = "manager"
    aiko.save()
    assert set(search_ids(viewer=aiko, query="invoice")) == {ours.pk, theirs.pk}
