from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from newsletter.scheduling import next_digest_at, period_key, reschedule, schedule_unscheduled
from subscribers.models import Subscriber
from tests.factories import make_subscriber


def prefs(frequency="weekly", weekday=0, hour=8, tz="UTC"):
    return SimpleNamespace(frequency=frequency, weekday=weekday, hour=hour, timezone=tz)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def run(schedule, start: datetime, count: int) -> list[datetime]:
    times, when = [], start
    for _ in range(count):
        when = next_digest_at(schedule, when)
        times.append(when)
    return times


# One spring-forward or fall-back in each zone, inside the three weeks that follow the start.
DST_CHANGES = [
    ("Europe/Berlin", utc(2026, 3, 20, 12)),  # clocks go forward on Sunday 29 March
    ("America/New_York", utc(2026, 10, 23, 12)),  # clocks go back on Sunday 1 November
    ("Australia/Sydney", utc(2026, 3, 27, 12)),  # clocks go back on Sunday 5 April
]


@pytest.mark.parametrize(("tz", "start"), DST_CHANGES)
def test_it_sends_weekly_digests_at_the_same_local_hour_across_a_dst_change(tz, start):
    times = run(prefs("weekly", weekday=2, hour=8, tz=tz), start, 4)
    local = [t.astimezone(ZoneInfo(tz)) for t in times]
    assert all(t.weekday() == 2 and (t.hour, t.minute) == (8, 0) for t in local)
    assert [(b.date() - a.date()).days for a, b in zip(local, local[1:], strict=False)] == [7, 7, 7]
    gaps = {b - a for a, b in zip(times, times[1:], strict=False)}
    assert timedelta(hours=167) in gaps or timedelta(hours=169) in gaps  # the DST change really lies in between


@pytest.mark.parametrize(("tz", "start"), DST_CHANGES)
def test_it_sends_daily_digests_on_weekdays_only_across_a_dst_change(tz, start):
    times = run(prefs("daily", hour=7, tz=tz), start, 15)
    local = [t.astimezone(ZoneInfo(tz)) for t in times]
    assert all(t.weekday() < 5 and (t.hour, t.minute) == (7, 0) for t in local)
    assert len({t.date() for t in local}) == 15
    assert (local[-1].date() - local[0].date()).days == 18  # Monday to the Friday two weeks on: weekends skipped
    assert len({t.utcoffset() for t in local}) == 2  # the DST change lies in between


def test_it_sends_a_digest_scheduled_inside_the_spring_forward_gap_once():
    # Berlin skips 02:00-03:00 on 29 March 2026: the 02:00 Sunday digest goes out at 03:00 CEST, once.
    schedule = prefs("weekly", weekday=6, hour=2, tz="Europe/Berlin")
    first, second = run(schedule, utc(2026, 3, 28, 12), 2)
    assert first == utc(2026, 3, 29, 1)
    assert second == utc(2026, 4, 5, 0)


def test_it_does_not_send_twice_when_the_hour_repeats_at_fall_back():
    # Berlin lives 02:00-03:00 twice on 25 October 2026: only the first 02:00 counts.
    schedule = prefs("weekly", weekday=6, hour=2, tz="Europe/Berlin")
    first = next_digest_at(schedule, utc(2026, 10, 24, 12))
    assert first == utc(2026, 10, 25, 0)
    assert next_digest_at(schedule, first) == utc(2026, 11, 1, 1)
    assert next_digest_at(schedule, first + timedelta(minutes=59)) == utc(2026, 11, 1, 1)


def test_it_names_periods_by_the_readers_own_week_and_day():
    monday_in_auckland = utc(2026, 11, 22, 19)  # Sunday evening in UTC, Monday 08:00 in Auckland
    assert period_key(prefs("weekly", tz="Pacific/Auckland"), monday_in_auckland) == "2026-W48"
    assert period_key(prefs("weekly", tz="UTC"), monday_in_auckland) == "2026-W47"
    assert period_key(prefs("daily", tz="Pacific/Auckland"), monday_in_auckland) == "2026-11-23"


def test_it_treats_an_unknown_timezone_as_utc():
    assert next_digest_at(prefs("weekly", weekday=3, hour=8, tz="Mars/Olympus"), utc(2026, 11, 26, 9)) == utc(
        2026, 12, 3, 8
    )


@pytest.mark.django_db
@pytest.mark.frozen(utc(2026, 11, 26, 9))
def test_it_recomputes_the_next_digest_after_a_timezone_change():
    subscriber = make_subscriber(frequency="weekly", weekday=0, hour=8, timezone="Europe/Berlin")
    now = utc(2026, 11, 26, 9)
    assert reschedule(subscriber, now) == utc(2026, 11, 30, 7)
    subscriber.timezone = "America/Los_Angeles"
    subscriber.save()
    reschedule(subscriber, now)
    subscriber.refresh_from_db()
    assert subscriber.next_digest_at == utc(2026, 11, 30, 16)


@pytest.mark.django_db
@time_machine.travel(utc(2026, 11, 26, 9), tick=False)
def test_it_schedules_active_subscribers_that_have_no_next_digest_yet():
    new = make_subscriber(frequency="daily", hour=8, timezone="Asia/Tokyo")
    pending = make_subscriber(status=Subscriber.Status.PENDING)
    kept = make_subscriber(next_digest_at=utc(2026, 12, 1, 8))
    assert schedule_unscheduled() == 1
    new.refresh_from_db()
    pending.refresh_from_db()
    kept.refresh_from_db()
    assert new.next_digest_at == utc(2026, 11, 26, 23)  # Friday 08:00 in Tokyo
    assert pending.next_digest_at is None
    assert kept.next_digest_at == utc(2026, 12, 1, 8)
