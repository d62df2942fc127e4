from datetime import UTC, datetime

import pytest

from newsletter import delivery
from newsletter.models import Delivery
from tests.factories import make_delivery, make_paper, make_subscriber

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.frozen(NOW)]


def test_it_leaves_what_it_did_not_reach_before_its_time_budget_for_another_task(smtp_server, settings):
    make_paper(topics={"llm": 0.9})
    ids = [make_delivery(make_subscriber(topics=["llm"])).id for _ in range(3)]
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 0  # the budget is spent before the first message
    result = delivery.send_deliveries(ids, NOW)
    assert sorted(result.leftover_ids) == sorted(ids) and smtp_server.messages == []
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.QUEUED}
