"""Reads of social listening: the feed with its filters."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from .models import ListeningMonitor, ListeningPost, ListeningPostStatus


def feed_posts(
    *, monitor_id: int | None = None, sentiment: str = "", status: str = "", text: str = ""
) -> QuerySet[ListeningPost]:
    posts = ListeningPost.objects.select_related("monitor", "event__message")
    if monitor_id:
        posts = posts.filter(monitor_id=monitor_id)
    if sentiment == "positive":
        posts = posts.filter(sentiment__gt=0)
    elif sentiment == "negative":
        posts = posts.filter(sentiment__lt=0)
    elif sentiment == "neutral":
        posts = posts.filter(sentiment=0)
    if not status:  # the default view: what still needs a look, or became a ticket
        posts = posts.exclude(status=ListeningPostStatus.DISMISSED)
    elif status != "all":
        posts = posts.filter(status=status)
    if text:
        posts = posts.filter(text__icontains=text)
    return posts.order_by("-found_at", "-id")


def monitors_with_counts() -> list[ListeningMonitor]:
    return list(
        ListeningMonitor.objects.select_related("account")
        .annotate(post_count=Count("posts"))
        .order_by("name", "pk")
    )
