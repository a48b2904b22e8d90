"""The Celery app: queues `ingest`, `deliver`, `default`, `reports`; beat runs the periodic work."""

import os

from celery import Celery, signals
from celery.schedules import crontab
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("madoguchi")


@signals.worker_init.connect
@signals.beat_init.connect
def _run_behind_the_pages(**kwargs) -> None:
    from helpdesk.startup import yield_cpu_to_pages

    yield_cpu_to_pages()


app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("ingest", "deliver", "default", "reports")]
app.conf.task_routes = {
    "channels_in.tasks.process_inbound_event": {"queue": "ingest"},
    "channels_in.tasks.deliver_outbound": {"queue": "deliver"},
    "channels_in.tasks.poll_mailbox": {"queue": "ingest"},
    "channels_in.tasks.poll_due_mailboxes": {"queue": "ingest"},
    "channels_in.shops.tasks.*": {"queue": "ingest"},
    "channels_in.tasks.poll_x_accounts": {"queue": "ingest"},
    "channels_in.tasks.poll_x_account": {"queue": "ingest"},
    "channels_in.tasks.poll_listening_monitors": {"queue": "ingest"},
    "channels_in.tasks.poll_listening_monitor": {"queue": "ingest"},
    "customers.tasks.*": {"queue": "reports"},
    "sla.tasks.*": {"queue": "default"},
    "feedback.tasks.*": {"queue": "default"},
}
app.conf.beat_schedule = {
    # Safety net for anything whose first attempt was lost (worker killed, broker restarted).
    "retry-pending-inbound": {
        "task": "channels_in.tasks.retry_pending_inbound",
        "schedule": 60.0,
    },
    "retry-pending-outbound": {
        "task": "channels_in.tasks.retry_pending_outbound",
        "schedule": 60.0,
    },
    # Each mailbox has its own interval (≥ 10 s); this tick queues the ones that are due.
    # A tick nobody ran within 10 s is stale: the next one replaces it.
    "poll-due-mailboxes": {
        "task": "channels_in.tasks.poll_due_mailboxes",
        "schedule": 10.0,
        "options": {"expires": 10.0},
    },
    # Ticket search marks whose debounced refresh task was lost (tickets.search_queue).
    "sweep-search-queue": {
        "task": "tickets.tasks.sweep_search_queue",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    # SLA clocks: mark breaches, warn ahead, run escalations (sla app).
    "sla-tick": {
        "task": "sla.tasks.sla_tick",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    # X accounts without the Account Activity webhook are polled for mentions and DMs.
    "poll-x-accounts": {
        "task": "channels_in.tasks.poll_x_accounts",
        "schedule": 120.0,
        "options": {"expires": 120.0},
    },
    # Social listening: each monitor has its own interval (and a pause after a 429).
    "poll-listening-monitors": {
        "task": "channels_in.tasks.poll_listening_monitors",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    # Shops without webhooks (BASE) are polled for new and changed orders.
    "poll-shops": {
        "task": "channels_in.shops.tasks.poll_shops",
        "schedule": 300.0,
        "options": {"expires": 300.0},
    },
    # Retention: content of tickets solved longer ago than RETENTION_DAYS is redacted.
    "expire-personal-data": {
        "task": "customers.tasks.expire_personal_data",
        "schedule": crontab(hour=3, minute=30),
    },
    "retry-webhooks": {"task": "automations.tasks.retry_due_webhooks", "schedule": 60.0},
    # Chat offers past their deadline go to the next agent; waiting chats meet agents who
    # came online (livechat.offers). Each offer also has its own timer task.
    "livechat-offers": {
        "task": "livechat.tasks.sweep_chat_offers",
        "schedule": 5.0,
        "options": {"expires": 5.0},
    },
    # Time automations ("solved for 4 days → close"); firings are recorded, so an overlap or
    # a restart fires nothing twice.
    "time-automations": {
        "task": "automations.tasks.run_time_automations",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    # CSAT surveys and follow-ups whose send time has come (feedback app).
    "send-due-feedback": {
        "task": "feedback.tasks.send_due_feedback",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    # NPS campaigns: draw the audience at the start time, then send throttled batches.
    "send-nps-campaigns": {
        "task": "feedback.tasks.send_nps_campaigns",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    "sla-reports": {"task": "sla.tasks.sla_scheduled_reports", "schedule": 3600.0},
}
app.autodiscover_tasks()
# Task modules that are not an app's own `tasks.py`.
app.conf.imports = ["channels_in.shops.tasks"]
