"""PostgreSQL: plan a delivery's items as the ten or so they are, however full the table was when last analyzed.

ANALYZE counts the distinct deliveries among its sample of items; taken while a period's picks are still
being recorded, that count is stored as a fixed number, and as the table grows the planner divides ever
more rows among it: at a million items it expected hundreds per delivery and read the whole table to find
a batch's earlier picks. A digest carries paper_count items (3-25, 10 by default), so the number of
deliveries is a tenth of the number of items whatever the table's size: the override makes each ANALYZE
store that ratio instead of a count.
"""

from django.db import migrations

TABLE_COLUMN = "newsletter_deliveryitem ALTER COLUMN delivery_id"


def pin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE_COLUMN} SET (n_distinct = -0.1)")


def unpin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE_COLUMN} RESET (n_distinct)")


class Migration(migrations.Migration):
    dependencies = [("newsletter", "0007_follow")]

    operations = [migrations.RunPython(pin, unpin)]
