"""Queue side of live chat: chat mails (transcripts, replies to visitors who left) and the
server-side clock of chat offers."""

from __future__ import annotations

from celery import shared_task

from . import ending, offers

MAX_ATTEMPTS = 8


@shared_task(name="livechat.tasks.send_chat_mail", bind=True, ignore_result=True)
def send_chat_mail(self, mail_id: int) -> None:
    try:
        ending.deliver_chat_mail(mail_id, final=self.request.retries + 1 >= MAX_ATTEMPTS)
    except ending.RetryLater as exc:
        # 30 s, 1 min, 2 min … up to an hour: a mail server that is down comes back.
        raise self.retry(countdown=min(3600, 30 * 2**self.request.retries), exc=exc) from exc


@shared_task(name="livechat.tasks.expire_chat_offer", ignore_result=True)
def expire_chat_offer(offer_id: int) -> None:
    """Timer of one offer: due → expired, and the chat goes to the next agent. Idempotent:
    an offer already answered (or not due yet) is left alone; the beat sweep is the net."""
    offers.expire_offer(offer_id)


@shared_task(name="livechat.tasks.sweep_chat_offers", ignore_result=True)
def sweep_chat_offers() -> dict:
    """Beat, every few seconds: expire due offers whose timer was lost, and offer chats that
    waited while nobody was free; and flush chat tickets parked for search whose flush task
    was lost (livechat.search_later)."""
    from . import search_later

    result = offers.sweep()
    search_later.sweep()
    return result


@shared_task(name="livechat.tasks.apply_chat_followups", ignore_result=True)
def apply_chat_followups() -> int:
    """The batched ticket work of fast-path chat messages (livechat/followups.py)."""
    from . import followups

    return followups.apply_pending()


@shared_task(name="livechat.tasks.flush_chat_search", ignore_result=True)
def flush_chat_search() -> int:
    """Chat tickets re-indexed at most once per window (livechat/search_later.py)."""
    from . import search_later

    return search_later.flush()
