from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from newsletter.claims import claim_and_sweep
from newsletter.models import Delivery
from subscribers.models import Subscriber
from tests.faults.conftest import READERS, readers, report
from tests.newsletter.threads import run_together

SUNDAY_EVENING = datetime(2026, 11, 29, 23, 50, tzinfo=UTC)

pytestmark = pytest.mark.frozen(SUNDAY_EVENING)  # the readers join then; the ticks run from then on


def test_two_ticks_at_once_every_ten_minutes_for_a_week_make_each_digest_once(fault_settings):
    emails = readers()
    readers_by_id = {}
    for n, reader in enumerate(Subscriber.objects.order_by("id")):
        reader.frequency, reader.weekday, reader.hour = ("daily" if n % 4 == 0 else "weekly"), n % 7, n % 24
        reader.next_digest_at = None  # the first tick schedules everyone
        readers_by_id[reader.id] = reader
    fields = ["frequency", "weekday", "hour", "next_digest_at"]
    Subscriber.objects.bulk_update(readers_by_id.values(), fields, batch_size=1000)

    now = SUNDAY_EVENING
    while now < SUNDAY_EVENING + timedelta(days=7):
        run_together(lambda at=now: claim_and_sweep(at, on_commit=None))
        now += timedelta(minutes=10)

    per_reader = Counter(Delivery.objects.values_list("subscriber_id", flat=True))
    expected = {pk: 5 if r.frequency == "daily" else 1 for pk, r in readers_by_id.items()}
    missing = sum(max(expected[pk] - per_reader[pk], 0) for pk in expected)
    duplicates = sum(max(per_reader[pk] - expected[pk], 0) for pk in expected)
    report("two-ticks-a-week", missing, duplicates, ticks=2 * 7 * 144)
    assert len(emails) == READERS
    assert (missing, duplicates) == (0, 0)
    assert not Delivery.objects.filter(status=Delivery.Status.CLAIMED).exists()
