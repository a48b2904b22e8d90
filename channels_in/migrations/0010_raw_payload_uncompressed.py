"""Raw inbound payloads are stored out of line *uncompressed* (STORAGE EXTERNAL).

PostgreSQL tried pglz on every stored mail; a mail with a 1 MB attachment is base64, which
pglz cannot shrink, and it found that out only after compressing most of it: storing raw mail
was most of the database's CPU per ingested mail (1.8 ms a mail on the mixed benchmark corpus,
0.5 ms without). Text mails lose their compression (they are the small ones); reading a payload
back no longer decompresses it either. Only rows written from now on are affected.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("channels_in", "0009_social_listening")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE channels_in_inboundevent ALTER COLUMN payload SET STORAGE EXTERNAL",
            reverse_sql=(
                "ALTER TABLE channels_in_inboundevent ALTER COLUMN payload SET STORAGE EXTENDED"
            ),
        )
    ]
