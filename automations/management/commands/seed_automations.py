"""`manage.py seed_automations`: the default auto-reply, demo routing and team assignment."""

from django.core.management.base import BaseCommand

from automations.seeding import seed_demo_automations


class Command(BaseCommand):
    help = "Create the default auto-reply and demo routing/assignment rules (idempotent)."

    def handle(self, *args, **options) -> None:
        seed_demo_automations()
