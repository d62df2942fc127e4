"""When each subscriber's next digest is due, computed on their own wall clock."""

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

from subscribers.models import Subscriber

WEEKDAYS = range(5)  # daily digests go out Monday to Friday


class Schedule(Protocol):
    frequency: str
    weekday: int
    hour: int
    timezone: str


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def is_send_day(prefs: Schedule, day: date) -> bool:
    if prefs.frequency == Subscriber.Frequency.DAILY:
        return day.weekday() in WEEKDAYS
    return day.weekday() == prefs.weekday


def slot(prefs: Schedule, day: date) -> datetime:
    """The send time on `day`, in UTC.

    A wall time skipped by spring-forward (02:30 in Berlin in late March) resolves to the moment just after
    the gap, so it still happens once; a wall time repeated by fall-back takes its first occurrence only
    (fold=0), so it never happens twice.
    """
    local = datetime.combine(day, time(prefs.hour), tzinfo=zone(prefs.timezone))
    return local.astimezone(UTC)


def next_digest_at(prefs: Schedule, after: datetime) -> datetime:
    """The first send time strictly after `after` (UTC, aware)."""
    day = after.astimezone(zone(prefs.timezone)).date()
    for offset in range(9):
        candidate_day = day + timedelta(days=offset)
        if is_send_day(prefs, candidate_day):
            candidate = slot(prefs, candidate_day)
            if candidate > after:  # both in UTC: comparing wall times would ignore fold and DST offsets
                return candidate
    raise AssertionError("every schedule has a send day within 9 days")


def period_key(prefs: Schedule, sent_for: datetime) -> str:
    """The period a send time belongs to: the ISO week (weekly) or the local date (daily)."""
    local_day = sent_for.astimezone(zone(prefs.timezone)).date()
    if prefs.frequency == Subscriber.Frequency.DAILY:
        return local_day.isoformat()
    year, week, _ = local_day.isocalendar()
    return f"{year}-W{week:02d}"


def period_label(prefs: Schedule, sent_for: datetime) -> str:
    """The period in words, for the email: 'the week of 23 November 2026' or 'Thursday 26 November 2026'."""
    local_day = sent_for.astimezone(zone(prefs.timezone)).date()
    if prefs.frequency == Subscriber.Frequency.DAILY:
        return f"{local_day:%A} {local_day.day} {local_day:%B %Y}"
    monday = local_day - timedelta(days=local_day.weekday())
    return f"the week of {monday.day} {monday:%B %Y}"


def first_window_days(prefs: Schedule) -> int:
    """How far back a first digest looks: a week, or a day for daily readers."""
    return 1 if prefs.frequency == Subscriber.Frequency.DAILY else 7


def schedule_unscheduled(now: datetime | None = None) -> int:
    """Give every active subscriber without a next_digest_at (new confirmations, schedule changes) one."""
    now = now or timezone.now()
    rows = Subscriber.objects.receiving().filter(next_digest_at__isnull=True).only(
        "id", "frequency", "weekday", "hour", "timezone"
    )
    by_time: dict[datetime, list[int]] = defaultdict(list)
    for subscriber in rows.iterator(chunk_size=2000):
        by_time[next_digest_at(subscriber, now)].append(subscriber.id)
    # One UPDATE per distinct send time; only rows still unscheduled are touched, so a concurrent
    # reschedule is never overwritten by a stale value.
    scheduled = 0
    for when, ids in by_time.items():
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            scheduled += Subscriber.objects.filter(id__in=chunk, next_digest_at__isnull=True).update(
                next_digest_at=when
            )
    return scheduled


def reschedule(subscriber: Subscriber, now: datetime | None = None) -> datetime:
    """Recompute one subscriber's next send time after a change of timezone, frequency, weekday or hour."""
    subscriber.next_digest_at = next_digest_at(subscriber, now or timezone.now())
    Subscriber.objects.filter(id=subscriber.id).update(next_digest_at=subscriber.next_digest_at)
    return subscriber.next_digest_at
