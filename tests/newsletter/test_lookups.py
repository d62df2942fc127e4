"""`__any`: the rows whose id is one of many, with the ids sent to PostgreSQL as one array parameter."""

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

from newsletter.models import Delivery
from subscribers.models import SubscriberTopic
from tests.factories import make_delivery, make_subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture
def readers():
    return [make_subscriber(topics=["llm", "vision"]) for _ in range(4)]


def test_it_selects_the_same_rows_as_in_by_id_by_relation_and_across_a_join(readers):
    wanted = [readers[0].id, readers[2].id]
    deliveries = [make_delivery(r) for r in readers]
    assert set(SubscriberTopic.objects.filter(subscriber_id__any=wanted)) == set(
        SubscriberTopic.objects.filter(subscriber_id__in=wanted)
    )
    assert SubscriberTopic.objects.filter(subscriber__any=wanted).count() == 4
    joined = Delivery.objects.filter(subscriber__topic_weights__subscriber_id__any=wanted).distinct()
    assert {d.id for d in joined} == {deliveries[0].id, deliveries[2].id}
    assert list(Delivery.objects.exclude(id__any=[deliveries[1].id]).order_by("id")) == [
        deliveries[0], deliveries[2], deliveries[3]
    ]  # fmt: skip


def test_an_empty_list_selects_nothing_and_excludes_nothing(readers):
    assert not SubscriberTopic.objects.filter(subscriber_id__any=[]).exists()
    assert SubscriberTopic.objects.exclude(subscriber_id__any=[]).count() == 8


def test_five_hundred_ids_are_one_parameter_on_postgresql_and_a_placeholder_each_on_sqlite():
    ids = list(range(1, 501))
    query = Delivery.objects.filter(id__any=ids).values("id").query
    sql, params = query.get_compiler(connection=connection).as_sql()
    if connection.vendor == "postgresql":
        assert "= ANY(%s)" in sql and params == (ids,)
    sqlite = SQLiteWrapper({**connection.settings_dict, "ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"})
    sql, params = query.get_compiler(connection=sqlite).as_sql()
    assert sql.count("%s") == 500 and params == tuple(ids)


def test_ids_that_are_not_numbers_are_refused():
    with pytest.raises(ValueError):
        list(Delivery.objects.filter(id__any=["1; DROP TABLE"]))
