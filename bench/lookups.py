"""CPU of one batch query by how its ids are passed: Django's `__in`, our `__any`, and a single id.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paperboy \\
        .venv/bin/python -m bench.lookups [--ids 500] [--database bench_digests]

It runs on the population that `bench.digests --keep` left in its database (the same --database): the
query a batch sends for its readers' topic weights, with --ids of its readers, each way timed with
time.process_time (the best of five rounds of 200), the round trip to the server included.
"""

import argparse
import sys
import time
import timeit

from bench import digests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, default=500)
    parser.add_argument("--database", default="bench_digests", help="the database `bench.digests --keep` left")
    args = parser.parse_args()
    digests.use_kept("bench/lookups.py", args.database)
    from subscribers.models import Subscriber, SubscriberTopic

    ids = list(Subscriber.objects.order_by("id").values_list("id", flat=True)[: args.ids])
    if len(ids) < args.ids:
        sys.exit(f"bench/lookups.py: {len(ids)} readers in {args.database}; run bench.digests --keep first")

    def weights(**lookup) -> None:
        list(SubscriberTopic.objects.filter(**lookup).values_list("subscriber_id", "topic_id", "weight"))

    ways = {
        f"__in, {len(ids)} ids": lambda: weights(subscriber_id__in=ids),
        f"__any, {len(ids)} ids": lambda: weights(subscriber_id__any=ids),
        "one id": lambda: weights(subscriber_id=ids[0]),
    }
    for label, query in ways.items():
        best = min(timeit.repeat(query, number=200, repeat=5, timer=time.process_time)) / 200
        print(f"{label:20s} {best * 1000:.2f} ms of CPU per query")
    return 0


if __name__ == "__main__":
    sys.exit(main())
