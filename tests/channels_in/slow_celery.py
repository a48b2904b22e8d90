"""`python -m tests.channels_in.slow_celery <celery arguments>`: a real Celery worker in which
every mail the poller stores lingers a moment after it is committed and before the checkpoint
moves past it. The crash test kills it there, in the middle of a batch — the very window in
which a crash must neither lose the mail nor store it twice.
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

    from channels_in import services

    record_raw_mail = services.record_raw_mail

    def record_then_linger(raw: bytes, **kwargs):
        stored = record_raw_mail(raw, **kwargs)
        time.sleep(LINGER_SECONDS)
        return stored

    services.record_raw_mail = record_then_linger
    sys.argv = ["celery", *sys.argv[1:]]
    celery_main()


if __name__ == "__main__":
    main()
