from django.db import migrations

TICK_NAME = "Send due digests"


def create_tick(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_5_minutes, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TICK_NAME,
        defaults={
            "task": "newsletter.tasks.tick",
            "interval": every_5_minutes,
            "description": "Claim subscribers whose digest is due and queue their deliveries.",
        },
    )


def remove_tick(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TICK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("newsletter", "0002_delivery_schedule_fields"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_tick, remove_tick)]
