"""The Hugging Face beat job now catches up on the last 7 days: its name says so."""

from django.db import migrations

OLD = "Hugging Face daily papers (yesterday and today)"
NEW = "Hugging Face daily papers (missing days of the last 7, yesterday and today)"


def rename(apps, old: str, new: str) -> None:
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=old).update(name=new)


class Migration(migrations.Migration):
    dependencies = [("papers", "0003_beat_schedule")]

    operations = [
        migrations.RunPython(lambda apps, editor: rename(apps, OLD, NEW), lambda apps, editor: rename(apps, NEW, OLD))
    ]
