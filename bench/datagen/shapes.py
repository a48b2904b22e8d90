"""The data set's fixed shapes and the columns COPY writes: shared by the generator's parts."""

from __future__ import annotations

from functools import lru_cache

HEAVY_CUSTOMER_ID = 1
HEAVY_TICKETS = 500
HEAVY_ORDERS = 200
LONG_TICKET_EVERY = 5000
LONG_TICKET_MESSAGES = 100
DAYS = 730
TEAMS = [
    ("サポート一課", "ja"),
    ("サポート二課", "ja"),
    ("EC・配送", "ja"),
    ("Support EN", "en"),
    ("Billing EN", "en"),
]
AGENTS_PER_TEAM = 10
CHANNELS_EMAIL_CUSTOMER = [
    ("email", 55),
    ("web", 12),
    ("chat", 20),
    ("phone", 5),
    ("messenger", 2),
    ("instagram", 2),
    ("whatsapp", 2),
    ("x", 1),
    ("telegram", 1),
]
# Most tickets of a customer who writes on LINE come through LINE.
CHANNELS_LINE_CUSTOMER = [("line", 70), ("email", 15), ("chat", 15)]
PRIORITIES = [("low", 15), ("normal", 65), ("high", 15), ("urgent", 5)]


def _weighted(pairs):
    values = [value for value, _ in pairs]
    weights = [weight for _, weight in pairs]
    return values, weights


@lru_cache(maxsize=4096)
def terms(text: str) -> str:
    """index_terms, once per distinct text (the tokenizer is the slow part of the load)."""
    from helpdesk.search import index_terms

    return index_terms(text)


MESSAGE_COLUMNS = [
    "id",
    "author_kind",
    "internal",
    "channel",
    "body_text",
    "body_html",
    "external_id",
    "created_at",
    "author_id",
    "identity_id",
    "ticket_id",
]
SLA_COLUMNS = [
    "ticket_id",
    "channel",
    "team_id_snapshot",
    "created_at",
    "first_reply_at",
    "first_reply_by_id",
    "first_reply_minutes",
    "solved_at",
    "solved_by_id",
    "resolution_minutes",
    "awaiting_since",
    "last_agent_reply_at",
    "agent_replies",
    "reopens",
    "status",
    "status_since",
    "paused_minutes",
]
SURVEY_COLUMNS = [
    "id",
    "channel",
    "status",
    "skip_reason",
    "language",
    "scale",
    "send_at",
    "sent_at",
    "expires_at",
    "nonce",
    "created_at",
    "customer_id",
    "ticket_id",
]
RESPONSE_COLUMNS = [
    "survey_id",
    "channel",
    "macro_ids",
    "article_ids",
    "scale",
    "rating",
    "is_good",
    "reason",
    "comment",
    "changes",
    "created_at",
    "updated_at",
    "agent_id",
    "customer_id",
    "team_id",
    "ticket_id",
]
