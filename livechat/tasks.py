"""Queue side of live chat: chat mails (transcripts, replies to visitors who left)."""

from __future__ import annotations

from celery import shared_task

from . import ending

MAX_ATTEMPTS = 8


@shared_task(name="livechat.tasks.send_chat_mail", bind=True, ignore_result=True)
def send_chat_mail(self, mail_id: int) -> None:
    try:
        ending.deliver_chat_mail(mail_id, final=self.request.retries + 1 >= MAX_ATTEMPTS)
    except ending.RetryLater as exc:
        # 30 s, 1 min, 2 min … up to an hour: a mail server that is down comes back.
        raise self.retry(countdown=min(3600, 30 * 2**self.request.retries), exc=exc) from exc
