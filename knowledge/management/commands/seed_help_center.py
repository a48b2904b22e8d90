from django.core.management.base import BaseCommand

from knowledge.demo_seed import seed_help_center


class Command(BaseCommand):
    help = "Create or update the demo help-center articles (ja + en). Safe to run again."

    def handle(self, *args, **options):
        result = seed_help_center()
        self.stdout.write(
            self.style.SUCCESS(
                f"Help center: {result['articles']} articles ({result['created']} new)."
            )
        )
