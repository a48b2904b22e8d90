"""Writes caused by readers rather than editors: "was this helpful?" votes and search logs.

Both feed the knowledge-gap reports, so both are bounded: one vote per article and browser
session (a second one changes the first), a rate limit on top, and logs of a fixed size.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from helpdesk.models import User

from .models import Article, ArticleFeedback, ArticleTranslation, SearchQueryLog, SearchSource

# Per browser session only: behind a load balancer REMOTE_ADDR is the proxy's address, so a
# per-address limit would throttle every customer at once (that needs a trusted-proxy setting).
FEEDBACK_PER_SESSION_PER_HOUR = 20
MAX_COMMENT_CHARS = 2000
CLICK_WINDOW = timedelta(hours=1)
TICKET_WINDOW = timedelta(hours=2)


class FeedbackRateLimited(Exception):
    """Too many votes from one browser session within the hour."""


def _within_rate(key: str, limit: int) -> bool:
    # add() starts the hour's window only once; incr() then counts atomically in Redis.
    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # the key expired between add and incr: a fresh window
        cache.set(key, 1, timeout=3600)
        return True


def check_feedback_rate(*, session_key: str) -> None:
    if not _within_rate(f"kb-feedback:{session_key}", FEEDBACK_PER_SESSION_PER_HOUR):
        raise FeedbackRateLimited


@transaction.atomic
def record_feedback(
    *,
    translation: ArticleTranslation,
    session_key: str,
    helpful: bool,
    comment: str = "",
    user: User | None = None,
) -> ArticleFeedback:
    """Store this session's answer for the translation; the vote counters follow it exactly.

    Raises FeedbackRateLimited past the hourly limit (checked before anything is written).
    """
    check_feedback_rate(session_key=session_key)
    comment = comment.strip()[:MAX_COMMENT_CHARS]
    feedback = (
        ArticleFeedback.objects.select_for_update()
        .filter(translation=translation, session_key=session_key)
        .first()
    )
    if feedback is None:
        feedback = ArticleFeedback.objects.create(
            translation=translation,
            session_key=session_key,
            helpful=helpful,
            comment=comment,
            user=user if user and user.is_authenticated else None,
        )
        _count_vote(translation, helpful, +1)
        return feedback
    if feedback.helpful != helpful:
        _count_vote(translation, feedback.helpful, -1)
        _count_vote(translation, helpful, +1)
    feedback.helpful = helpful
    feedback.comment = comment or feedback.comment  # a bare re-vote keeps the earlier comment
    feedback.save(update_fields=["helpful", "comment", "updated_at"])
    return feedback


def _count_vote(translation: ArticleTranslation, helpful: bool, step: int) -> None:
    # Counters are updated in SQL (no lost updates) and leave updated_at alone: a vote is not
    # an edit and must not change the article's "last updated" date or its ETag.
    column = "helpful_votes" if helpful else "unhelpful_votes"
    ArticleTranslation.objects.filter(pk=translation.pk).update(**{column: F(column) + step})


def log_search(
    *,
    query: str,
    language: str,
    result_count: int,
    session_key: str = "",
    source: str = SearchSource.HELP_CENTER,
) -> SearchQueryLog:
    return SearchQueryLog.objects.create(
        query=" ".join(query.split())[:256],
        language=language,
        result_count=result_count,
        session_key=session_key or "",
        source=source,
    )


def record_search_click(*, log_id: int, article: Article) -> None:
    """Remember which result a search led to: the first click within the hour counts."""
    SearchQueryLog.objects.filter(
        pk=log_id, clicked_article__isnull=True, created_at__gte=timezone.now() - CLICK_WINDOW
    ).update(clicked_article=article, clicked_at=timezone.now())


def mark_searches_led_to_ticket(session_key: str) -> int:
    """Called when a contact form is sent: this session's recent searches did not help.

    Returns how many searches were marked.
    """
    if not session_key:
        return 0
    return SearchQueryLog.objects.filter(
        session_key=session_key,
        created_at__gte=timezone.now() - TICKET_WINDOW,
        led_to_ticket=False,
    ).update(led_to_ticket=True)
