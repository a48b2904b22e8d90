"""Surveys on a chat-like channel, ratings that arrive as quick replies, macro attribution,
the admins' settings pages and the "stop these updates" link."""

from __future__ import annotations

import pytest
from django.utils import timezone

from feedback.models import (
    FeedbackOptOut,
    FollowUpTemplate,
    SurveyResponse,
    SurveySettings,
    SurveyStatus,
)
from feedback.selectors import csat_report
from feedback.services import items
from feedback.services.surveys import (
    RatingError,
    record_rating_for_ticket,
    survey_choices,
)
from tickets import outbound
from tickets.models import AuthorKind, Macro

from .conftest import links_in, open_ticket, send_due, solve

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat_sender():
    """Stands in for the live-chat channel's sender: records what would go out."""
    sent = []
    had = outbound._senders.get("chat")
    outbound.register_sender("chat", sent.append)
    yield sent
    if had is None:
        outbound._senders.pop("chat", None)
    else:
        outbound.register_sender("chat", had)


def test_chat_ticket_is_asked_on_chat_with_a_link_and_buttons(agent, chat_sender):
    SurveySettings.objects.create(channel="chat", delay_minutes=5)
    ticket = open_ticket(ticket__channel="chat")
    solve(ticket, agent)
    [survey] = send_due(6)

    assert survey.status == SurveyStatus.SENT
    [message] = chat_sender
    assert message.author_kind == AuthorKind.SYSTEM and message.channel == "chat"
    assert len(links_in(message.body_text)) == 2
    choices = survey_choices(survey=survey)
    assert [c.value for c in choices] == [1, 0]
    assert choices[0].label == "良い（満足）" or choices[0].label.startswith("Good")

    # The customer taps the "bad" quick reply in the chat: same rules as the link.
    response = record_rating_for_ticket(ticket=ticket, rating=0, comment="遅い")
    assert (response.is_good, response.channel) == (False, "chat")
    with pytest.raises(RatingError):
        record_rating_for_ticket(ticket=ticket, rating=9)


def test_quick_reply_without_a_sent_survey_is_refused(agent, chat_sender):
    ticket = open_ticket(ticket__channel="chat")
    with pytest.raises(RatingError):
        record_rating_for_ticket(ticket=ticket, rating=1)


def test_rating_is_attributed_to_the_macros_used(agent, email_settings, manager, client):
    ticket = open_ticket()
    macro = Macro.objects.create(name="返品のご案内", body="返品はこちらから")
    ticket.messages.first().macros.add(macro)
    solve(ticket, agent)
    [survey] = send_due()
    record_rating_for_ticket(ticket=ticket, rating=1)
    assert SurveyResponse.objects.get().macro_ids == [macro.pk]

    since = timezone.now() - timezone.timedelta(days=1)
    report = csat_report(since=since, until=timezone.now() + timezone.timedelta(minutes=1))
    [row] = report["by_macro"]
    assert (row.label, row.responses, row.score) == ("返品のご案内", 1, 100.0)
    client.force_login(manager)
    assert "返品のご案内" in client.get("/agent/feedback/").content.decode()


def test_admin_edits_settings_and_managers_only_look(client, admin_user, manager, agent):
    client.force_login(admin_user)
    assert client.get("/agent/feedback/settings/").status_code == 200
    form = {
        "enabled": "on",
        "scale": "five",
        "delay_minutes": "15",
        "resurvey_days": "30",
        "link_valid_days": "14",
        "change_window_hours": "24",
        "question_ja": "いかがでしたか？",
        "question_en": "How did we do?",
        "reasons_ja": "遅い\n不親切",
        "reasons_en": "Slow\nUnfriendly",
        "bad_reopen": "on",
        "bad_tag": "unhappy",
    }
    assert client.post("/agent/feedback/settings/line/", form).status_code == 302
    saved = SurveySettings.objects.get(channel="line")
    assert (saved.scale, saved.delay_minutes, saved.bad_notify) == ("five", 15, False)

    mismatched = client.post(
        "/agent/feedback/settings/line/", form | {"reasons_en": "Slow", "delay_minutes": "-5"}
    )
    assert mismatched.status_code == 400
    assert client.get("/agent/feedback/settings/fax/").status_code == 404

    client.force_login(manager)
    assert client.get("/agent/feedback/settings/line/").status_code == 200
    assert client.post("/agent/feedback/settings/line/", form).status_code == 403
    client.force_login(agent)
    assert client.get("/agent/feedback/settings/").status_code == 403


def test_admin_manages_follow_up_templates(client, admin_user):
    client.force_login(admin_user)
    form = {
        "name": "Billing check",
        "channel": "email",
        "delay_days": "5",
        "body_ja": "解決しましたか？",
        "body_en": "Did it work?",
        "active": "on",
    }
    assert client.post("/agent/feedback/templates/new/", form).status_code == 302
    template = FollowUpTemplate.objects.get()
    assert (
        client.post("/agent/feedback/templates/new/", form | {"delay_days": "0"}).status_code == 400
    )
    client.post(f"/agent/feedback/templates/{template.pk}/", {"action": "delete"})
    assert not FollowUpTemplate.objects.exists()


def test_customer_can_stop_you_said_we_did_updates(
    client, agent, django_capture_on_commit_callbacks
):
    ticket = open_ticket()
    first = items.create_item(actor=agent, title="Dark mode", ticket=ticket)
    with django_capture_on_commit_callbacks(execute=True):
        items.update_item(
            item=first,
            actor=agent,
            title="Dark mode",
            description="",
            status="done",
            public_note="Added.",
        )
    [told] = ticket.messages.filter(author_kind=AuthorKind.SYSTEM)
    stop = next(url for url in links_in(told.body_text) if "/updates/" in url)
    path = stop.split("localhost:8000", 1)[1]
    assert client.get(path).status_code == 200
    assert not FeedbackOptOut.objects.exists()  # the GET only asks
    assert client.post(path).status_code == 302
    assert FeedbackOptOut.objects.filter(customer=ticket.customer).exists()
    assert client.post(path).status_code == 200  # twice is fine

    second = items.create_item(actor=agent, title="Gift wrap", ticket=ticket)
    with django_capture_on_commit_callbacks(execute=True):
        items.update_item(
            item=second,
            actor=agent,
            title="Gift wrap",
            description="",
            status="done",
            public_note="Added too.",
        )
    assert ticket.messages.filter(author_kind=AuthorKind.SYSTEM).count() == 1
    assert client.get("/survey/updates/nonsense/stop/").status_code == 404
