"""`python -m tests.channels_in.slow_celery <celery arguments>`: a real Celery worker in which
every batch of mail the poller stores lingers a moment (per mail) after its INSERT and before
the transaction that also moves the checkpoint commits. The crash test kills it there, in the
middle of a batch — the very window in which a crash must neither lose mail nor store it twice.
"""

from __future__ import annotations

import os
import sys
import time

LINGER_SECONDS = float(os.environ.get("MAILBOX_TEST_LINGER_SECONDS", "0.02"))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    import django

    django.setup()
    from celery.__main__ import main as celery_main

    from channels_in import inbound_batch

    record_raw_mails = inbound_batch.record_raw_mails

    def record_then_linger(raws, **kwargs):
        stored = record_raw_mails(raws, **kwargs)
        time.sleep(LINGER_SECONDS * len(raws))
        return stored

    inbound_batch.record_raw_mails = record_then_linger
    sys.argv = ["celery", *sys.argv[1:]]
    celery_main()


if __name__ == "__main__":
    main()
