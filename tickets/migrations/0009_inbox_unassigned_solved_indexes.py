# The "Unassigned" and "Solved recently" inbox views in their own order, like the other views'
# indexes of 0007. PostgreSQL reads no order off `assignee_id IS NULL` in the leading column of
# ticket_unsolved_by_assignee (it sorted all 8,000 unassigned tickets for each page), and the
# solved view walked ticket_latest past thousands of open tickets to find fifty solved ones.
# The Meta.indexes lines of Ticket (tickets/models/core.py) that this migration matches:
#   models.Index(fields=["-updated_at", "-id"], name="ticket_unassigned_latest",
#                condition=models.Q(status__in=["new", "open", "pending", "on_hold"],
#                                   assignee__isnull=True)),
#   models.Index(fields=["-updated_at", "-id"], name="ticket_solved_latest",
#                include=["solved_at"], condition=models.Q(status__in=["solved", "closed"])),

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0008_customer_created_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(
                    ("assignee__isnull", True),
                    ("status__in", ["new", "open", "pending", "on_hold"]),
                ),
                fields=["-updated_at", "-id"],
                name="ticket_unassigned_latest",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status__in", ["solved", "closed"])),
                fields=["-updated_at", "-id"],
                include=("solved_at",),
                name="ticket_solved_latest",
            ),
        ),
    ]
