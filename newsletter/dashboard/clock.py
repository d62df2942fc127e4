"""The weeks and days the dashboard counts by, in the current time zone."""

from datetime import date, datetime, timedelta

from django.utils import timezone


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of the ISO week holding `now`, in the current time zone."""
    local = timezone.localtime(now)
    monday = local.date() - timedelta(days=local.weekday())
    return timezone.make_aware(datetime.combine(monday, datetime.min.time()))


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def current_periods(now: datetime) -> list[str]:
    """The delivery periods running now: this ISO week (weekly digests) and today (daily ones)."""
    local = timezone.localtime(now)
    year, week, _ = local.isocalendar()
    return [f"{year}-W{week:02d}", local.date().isoformat()]


def last_days(now: datetime, days: int) -> list[date]:
    today = timezone.localdate(now)
    return [today - timedelta(days=i) for i in range(days - 1, -1, -1)]
