"""Celery entry points of the tickets app: thin, they call a module that does the work."""

from celery import shared_task

from . import search_queue


@shared_task(name="tickets.tasks.refresh_search_queue", ignore_result=True)
def refresh_search_queue() -> None:
    search_queue.drain_search_queue()


@shared_task(name="tickets.tasks.sweep_search_queue", ignore_result=True)
def sweep_search_queue() -> None:
    """Beat's safety net: marks whose task was lost (broker restarted, flag expired)."""
    search_queue.drain_search_queue()
