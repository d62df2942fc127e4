"""The ingestion schedule as django-celery-beat rows, so the admin can change or pause it."""

import json

from django.db import migrations

# name, task, keyword arguments, crontab (minute, hour), enabled
SCHEDULE = [
    ("Hugging Face daily papers (yesterday and today)", "papers.tasks.ingest_hf_recent", {}, ("10", "*/3"), True),
    ("arXiv details for new papers", "papers.tasks.enrich_from_arxiv", {}, ("40", "*/3"), True),
    # arXiv's own listing brings hundreds of papers a day: there for the admin to switch on.
    ("arXiv listing of cs.CL", "papers.tasks.ingest_source", {"source": "arxiv", "category": "cs.CL"},
     ("30", "6"), False),
]


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, kwargs, (minute, hour), enabled in SCHEDULE:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "enabled": enabled, "kwargs": json.dumps(kwargs)}
        )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in SCHEDULE]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0002_default_topics"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
