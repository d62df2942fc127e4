"""The beat schedules in words: when each runs next and what it last did."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from cron_descriptor import Options, get_description
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

CRON_OPTIONS = Options()
CRON_OPTIONS.use_24hour_time_format = True


@dataclass
class Schedule:
    task: PeriodicTask
    when: str  # "every 5 minutes", "at 07:00, only on Monday"
    next_run: datetime | None
    summary: str  # "every 5 minutes, next at 14:35 UTC"


def _when(task: PeriodicTask) -> str:
    if task.interval_id:
        return str(task.interval)
    if task.crontab_id:
        cron = task.crontab
        expression = f"{cron.minute} {cron.hour} {cron.day_of_month} {cron.month_of_year} {cron.day_of_week}"
        try:
            text = get_description(expression, CRON_OPTIONS)
        except Exception:  # an expression cron-descriptor cannot phrase: show it as written
            text = f"cron {expression}"
        zone = str(cron.timezone)
        return text[:1].lower() + text[1:] + ("" if zone == "UTC" else f" ({zone})")
    if task.clocked_id:
        return "once"
    if task.solar_id:
        return str(task.solar)
    return "no schedule"


def _at(moment: datetime, now: datetime) -> str:
    local = timezone.localtime(moment)
    zone = local.tzname()
    if local.date() == timezone.localdate(now):
        return f"{local:%H:%M} {zone}"
    if local.date() - timezone.localdate(now) < timedelta(days=7):
        return f"{local:%a %H:%M} {zone}"
    return f"{local:%a %-d %b %H:%M} {zone}"


def schedules(now: datetime) -> list[Schedule]:
    """Every beat schedule with a plain-language summary of when it runs next."""
    result = []
    tasks = PeriodicTask.objects.select_related("interval", "crontab", "solar", "clocked").order_by("name")
    for task in tasks:
        when = _when(task)
        next_run = None
        if not task.enabled:
            summary = f"{when}; disabled"
        elif task.one_off and task.total_run_count:
            summary = f"{when}; already ran"
        else:
            try:
                next_run = now + max(task.schedule.remaining_estimate(task.last_run_at or now), timedelta(0))
                # celery reads its own clock a moment after `now`: 17:59:59.98 means the 18:00 run.
                next_run = (next_run + timedelta(seconds=30)).replace(second=0, microsecond=0)
            except Exception:  # a schedule celery cannot evaluate (bad solar coordinates, say)
                next_run = None
            if next_run is None:
                summary = f"{when}; next run unknown"
            elif next_run <= now:
                summary = f"{when}, due now"
            else:
                summary = f"{when}, next at {_at(next_run, now)}"
        result.append(Schedule(task, when, next_run, summary))
    return result
