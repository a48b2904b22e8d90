"""Japanese and English everywhere; times in the viewer's own zone."""

import gettext
import re
from datetime import UTC, datetime

import pytest

from tests.factories import MessageFactory, UserFactory
from tickets.models import Message

pytestmark = pytest.mark.django_db


def test_the_language_switcher_changes_the_interface(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/help/"})
    english = client.get("/agent/", follow=True).content.decode()
    client.post("/i18n/setlang/", {"language": "ja", "next": "/help/"})
    japanese = client.get("/agent/", follow=True).content.decode()

    assert "Sign In" in english
    assert "ログイン" in japanese


def test_the_japanese_catalogue_is_complete_and_compiled():
    from pathlib import Path

    from django.conf import settings

    folder = Path(settings.BASE_DIR) / "locale" / "ja" / "LC_MESSAGES"
    po_text = (folder / "django.po").read_text(encoding="utf-8")
    assert _untranslated_entries(po_text) == []
    # The committed .mo must be compiled from this .po, or ja users see stale text.
    with (folder / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)._catalog
    single_line_ids = re.findall(r'^msgid "(.+)"$', po_text, flags=re.MULTILINE)
    msgids = [m.replace('\\"', '"') for m in single_line_ids]  # .po escapes quotes
    stale = [m for m in msgids if not {m, (m, 0)} & compiled.keys()]
    assert stale == []


def _untranslated_entries(po_text: str) -> list[str]:
    """msgids whose msgstr is empty or marked fuzzy, read without extra dependencies."""
    missing = []
    for block in po_text.split("\n\n")[1:]:
        if "#, fuzzy" in block:
            missing.append(block)
        elif 'msgstr ""' in block and "msgstr[" not in block:
            tail = block.split('msgstr ""', 1)[1].strip()
            if not tail:
                missing.append(block)
    return missing


def test_times_are_shown_in_the_viewers_own_time_zone(client):
    message = MessageFactory(body_text="hello")
    Message.objects.filter(pk=message.pk).update(
        created_at=datetime(2026, 1, 5, 23, 30, tzinfo=UTC)
    )
    tokyo = UserFactory(role="agent", time_zone="Asia/Tokyo")
    new_york = UserFactory(role="agent", time_zone="America/New_York")

    client.force_login(tokyo)
    in_tokyo = client.get(f"/agent/tickets/{message.ticket_id}/").content.decode()
    client.force_login(new_york)
    in_new_york = client.get(f"/agent/tickets/{message.ticket_id}/").content.decode()

    assert 'datetime="2026-01-06T08:30:00+09:00"' in in_tokyo
    assert 'datetime="2026-01-05T18:30:00-05:00"' in in_new_york
