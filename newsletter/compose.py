"""Compose digests for a batch of deliveries: load everything once, rank, record the picks."""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Count, Max
from django.utils import timezone

from newsletter.follows import follows_for
from newsletter.models import Delivery, DeliveryItem
from newsletter.pool import PAPER_FIELDS, Candidate, Pool, load_pool
from newsletter.profile import profiles_for
from newsletter.ranking import Preferences, Profile, picks_for
from newsletter.scheduling import first_window_days, period_label
from newsletter.took_off import TookOff, took_off_for
from papers.demo import DemoSpan, demo_span
from papers.models import Paper, PaperTopic, Topic
from papers.representation import vectors_for
from subscribers.models import Subscriber, SubscriberTopic

BADGES_PER_PAPER = 3
NOTHING_NEW = "No new papers since the last digest"


@dataclass
class Item:
    paper: dict  # a Paper values() row
    reason: str
    fill: bool
    badges: list[str]


@dataclass
class Digest:
    delivery: Delivery
    subscriber: Subscriber
    label: str  # the period in words
    topics: list[str]  # names of the topics the reader follows
    items: list[Item] = field(default_factory=list)
    new_papers: int = 0
    demo: str = ""  # the demo's dates in words when the papers come from the bundled demo

    @property
    def skip_reason(self) -> str:
        return "" if self.items else NOTHING_NEW

    @property
    def daily(self) -> bool:
        return self.subscriber.frequency == Subscriber.Frequency.DAILY


def since(subscriber: Subscriber, now: datetime) -> date:
    """The first trending day a digest may pick from: the previous digest's day, or a week (a day) back."""
    if subscriber.last_digest_at:
        return subscriber.last_digest_at.date()
    return (now - timedelta(days=first_window_days(subscriber))).date()


def _badges(topic_scores: dict[int, float], names: dict[int, str]) -> list[str]:
    best = sorted(topic_scores.items(), key=lambda t: -t[1])[:BADGES_PER_PAPER]
    return [names[tid] for tid, _ in best if tid in names]


class PoolCache:
    """The candidate pools a worker process has loaded, kept while the papers stay as they were.

    Loading a week's pool (papers, topic scores, upvote histories) costs about as much as sending a
    hundred digests, and every batch of a period asks for the same one. A cached pool is reused while
    three cheap queries find the window's papers, their topic scores and the topics unchanged (paper
    rows change `updated_at` on every edit, ingestion and hide; re-tagging replaces score rows) and the
    hour, which bounds the upvote velocity, is the same. Its rankings are kept with it; the pools of an earlier
    hour are let go when a new one is loaded.
    """

    LIMIT = 8

    def __init__(self):
        self.pools: dict[tuple[date, date], tuple[tuple, Pool]] = {}

    @staticmethod
    def version(since: date, until: date, now: datetime) -> tuple:
        window = {"trending_date__gte": since, "trending_date__lte": until}
        papers = Paper.objects.visible().filter(**window).aggregate(n=Count("id"), changed=Max("updated_at"))
        scores = PaperTopic.objects.filter(**{f"paper__{k}": v for k, v in window.items()}).aggregate(
            n=Count("id"), last=Max("id")
        )
        topics = tuple(Topic.objects.order_by("id").values_list("id", "name", "active"))
        return now.replace(minute=0, second=0, microsecond=0), tuple(papers.values()), tuple(scores.values()), topics

    def get(self, since: date, until: date, now: datetime) -> Pool:
        version = self.version(since, until, now)
        cached = self.pools.get((since, until))
        if cached and cached[0] == version:
            return cached[1]
        # The hour is part of every version: a pool of an earlier hour would be loaded again if asked for, so
        # it goes now, with its rankings, rather than when LIMIT windows have piled up.
        hour = version[0]
        self.pools = {window: kept for window, kept in self.pools.items() if kept[0][0] == hour}
        if len(self.pools) >= self.LIMIT:
            self.pools.clear()
        pool = load_pool(since, until, now)
        self.pools[(since, until)] = (version, pool)
        return pool

    def clear(self) -> None:
        self.pools.clear()


pools = PoolCache()


def _topic_weights(subscriber_ids: list[int]) -> dict[int, dict[int, float]]:
    weights: dict[int, dict[int, float]] = defaultdict(dict)
    for sid, tid, weight in SubscriberTopic.objects.filter(subscriber_id__any=subscriber_ids).values_list(
        "subscriber_id", "topic_id", "weight"
    ):
        weights[sid][tid] = weight
    return weights


def _already_sent(subscriber_ids: list[int], since: date, composing: list[int]) -> dict[int, set[int]]:
    """For each reader, the papers trending since `since` that an earlier digest of theirs carried (or is about to).

    Filtered by the papers' date rather than by the pool's ids: a few parameters instead of thousands.
    """
    sent: dict[int, set[int]] = defaultdict(set)
    for sid, pid in (
        DeliveryItem.objects.filter(delivery__subscriber_id__any=subscriber_ids, paper__trending_date__gte=since)
        .exclude(delivery_id__any=composing)
        .exclude(delivery__status__in=[Delivery.Status.FAILED, Delivery.Status.SKIPPED])
        .values_list("delivery__subscriber_id", "paper_id")
    ):
        sent[sid].add(pid)
    return sent


def _profiles(subscriber_ids: list[int], pool: Pool) -> dict:
    """The batch's profiles, with the vectors of their papers the pool lacks: at most two queries."""
    profiles, titles = profiles_for(subscriber_ids)
    missing = pool.missing_vectors(titles)
    pool.know(vectors_for(missing) if missing else {}, titles)
    return profiles


def _recorded_picks(delivery_ids: list[int], pool: Pool) -> dict[int, list[Item]]:
    """The items already recorded for these deliveries (a retry, a web version), as they were picked."""
    rows: dict[int, list[dict]] = defaultdict(list)
    for row in DeliveryItem.objects.filter(delivery_id__any=delivery_ids).values(
        "delivery_id", "paper_id", "reason", "fill"
    ):
        rows[row["delivery_id"]].append(row)
    papers = {c.id: (c.row, c.topics) for c in pool.candidates}
    missing = {row["paper_id"] for items in rows.values() for row in items} - papers.keys()
    if missing:  # older papers than this batch's window: two more queries, whatever their number
        topics = PaperTopic.objects.filter(paper_id__in=missing).by_paper()
        for row in Paper.objects.visible().filter(id__in=missing).values(*PAPER_FIELDS):
            papers[row["id"]] = (row, topics[row["id"]])
    return {
        delivery_id: [
            Item(papers[r["paper_id"]][0], r["reason"], r["fill"], _badges(papers[r["paper_id"]][1], pool.topic_names))
            for r in items
            if r["paper_id"] in papers
        ]
        for delivery_id, items in rows.items()
    }


def _took_off_rows(offers: dict) -> dict[int, dict]:
    """The rows of the papers offered as having taken off (older than the pool's window): one query, or none."""
    ids = {offer.paper_id for offer in offers.values()}
    return {row["id"]: row for row in Paper.objects.visible().filter(id__in=ids).values(*PAPER_FIELDS)} if ids else {}


@dataclass
class Batch:
    """What a batch's digests are made of, loaded before any reader is ranked: a fixed number of queries."""

    pool: Pool
    candidates: dict[int, Candidate]  # the pool's, by paper id
    starts: list[date]  # by delivery, in order: the first trending day its digest may pick from
    demo: DemoSpan | None
    weights: dict[int, dict[int, float]]  # by reader: topic id -> weight
    recorded: dict[int, list[Item]]  # by delivery: the items recorded before (a retry, a web version)
    sent: dict[int, set[int]]  # by reader: the papers they have had, or are about to
    profiles: dict[int, Profile]
    follows: dict[int, tuple[tuple[str, ...], tuple[str, ...]]]
    took_off: dict[int, TookOff]  # by reader: the paper that took off since their last digest
    took_off_rows: dict[int, dict]


def compose(
    deliveries: list[Delivery], now: datetime | None = None, save: bool = True, cache: PoolCache | None = None
) -> list[Digest]:
    """Rank and assemble one digest per delivery in a constant number of queries.

    `deliveries` come with their subscriber (select_related). A delivery that already has items (a retry)
    gets the same papers again; new picks are recorded as DeliveryItems when `save` is true. With a
    `cache`, the pool (and its rankings) of earlier batches is reused while the papers are unchanged.
    """
    now = now or timezone.now()
    batch = load_batch(deliveries, now, cache)
    digests = [digest_for(batch, d, start, now) for d, start in zip(deliveries, batch.starts, strict=True)]
    if save:
        record_picks([d for d in digests if d.delivery.id and d.delivery.id not in batch.recorded])
    return digests


def load_batch(deliveries: list[Delivery], now: datetime, cache: PoolCache | None = None) -> Batch:
    """Everything the batch's readers are ranked from: the pool of their window and what each has had."""
    subscriber_ids = [d.subscriber_id for d in deliveries]
    saved_ids = [d.id for d in deliveries if d.id]
    weights = _topic_weights(subscriber_ids)
    starts = [since(d.subscriber, now) for d in deliveries]
    demo = demo_span()
    if demo:
        # Nothing newer than the demo exists: its days are what is "new", each paper still sent only once.
        starts = [min(start, demo.first) for start in starts]
    window = min(starts, default=now.date()), now.date()
    pool = cache.get(*window, now) if cache else load_pool(*window, now)
    recorded = _recorded_picks(saved_ids, pool)
    sent = _already_sent(subscriber_ids, window[0], saved_ids)
    profiles = _profiles(subscriber_ids, pool)
    follows = follows_for(subscriber_ids)
    candidates = {c.id: c for c in pool.candidates}
    fresh = [d.subscriber for d in deliveries if d.id not in recorded]
    took_off = took_off_for(fresh, weights, sent)
    took_off_rows = _took_off_rows(took_off)
    return Batch(pool, candidates, starts, demo, weights, recorded, sent, profiles, follows, took_off, took_off_rows)


def digest_for(batch: Batch, delivery: Delivery, start: date, now: datetime) -> Digest:
    """One reader's digest: the items recorded for its delivery before, or new picks."""
    sub, pool = delivery.subscriber, batch.pool
    topic_names = sorted(pool.topic_names[tid] for tid in batch.weights[sub.id] if tid in pool.topic_names)
    digest = Digest(delivery, sub, period_label(sub, delivery.scheduled_for or now), topic_names)
    digest.demo = batch.demo.label if batch.demo else ""
    if delivery.id in batch.recorded:
        digest.items = batch.recorded[delivery.id]
    else:
        digest.items = _choose(batch, sub, start, digest.daily)
    digest.new_papers = max(pool.new_since(start, batch.sent[sub.id]), len(digest.items))
    return digest


def _choose(batch: Batch, sub: Subscriber, start: date, daily: bool) -> list[Item]:
    """A reader's new items: their picks from the pool, and the paper that took off in the last place."""
    profile = batch.profiles.get(sub.id)
    authors, organizations = batch.follows.get(sub.id, ((), ()))
    prefs = Preferences.build(
        batch.weights[sub.id],
        sub.follow_keywords,
        sub.mute_keywords,
        sub.paper_count,
        daily,
        profile,
        authors,
        organizations,
        sub.only_with_code,
    )
    if profile:  # the papers that taught the profile are known to the reader already
        batch.sent[sub.id].update(profile.liked + profile.disliked)
    topic_names = batch.pool.topic_names
    items = []
    for pick in picks_for(batch.pool, prefs, start, batch.sent[sub.id]):
        paper = batch.candidates[pick.paper_id]
        items.append(Item(paper.row, pick.reason, pick.fill, _badges(paper.topics, topic_names)))
    offer = batch.took_off.get(sub.id)
    if offer and offer.paper_id in batch.took_off_rows:
        # Offered once, in the last place: recorded as an item, it counts as sent from now on.
        if len(items) >= sub.paper_count:
            items.pop()
        row = batch.took_off_rows[offer.paper_id]
        items.append(Item(row, offer.reason, False, _badges(offer.topics, topic_names)))
    return items


# On PostgreSQL a batch's items go in as one JSON array of rows in one statement: no model instance per item,
# and the standard library's C encoder writes it (binding five Python lists costs psycopg ten times as much).
INSERT_ITEMS_SQL = """
INSERT INTO {table} (delivery_id, paper_id, position, reason, fill)
SELECT (r->>0)::bigint, (r->>1)::bigint, (r->>2)::smallint, r->>3, (r->>4)::boolean
FROM jsonb_array_elements(%s::jsonb) AS r
ON CONFLICT DO NOTHING
"""


def record_picks(digests: list[Digest]) -> None:
    """Record the digests' items as DeliveryItems, in order: one multi-row insert for the batch."""
    rows = [
        (digest.delivery.id, item.paper["id"], position, item.reason, item.fill)
        for digest in digests
        for position, item in enumerate(digest.items, start=1)
    ]
    if not rows:
        return
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(DeliveryItem._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(INSERT_ITEMS_SQL.format(table=table), [json.dumps(rows)])
        return
    fields = ("delivery_id", "paper_id", "position", "reason", "fill")
    items = [DeliveryItem(**dict(zip(fields, row, strict=True))) for row in rows]
    DeliveryItem.objects.bulk_create(items, ignore_conflicts=True, batch_size=1000)


def compose_ids(delivery_ids: list[int], now: datetime | None = None) -> list[Digest]:
    """Compose the deliveries of a batch that may still be sent; gone or finished ones are left out."""
    deliveries = list(
        Delivery.objects.filter(id__any=delivery_ids, status__in=Delivery.SENDABLE)
        .select_related("subscriber")
        .order_by("id")
    )
    return compose(deliveries, now, cache=pools)


def preview(subscriber: Subscriber, now: datetime | None = None) -> Digest:
    """What `subscriber` would get now, without recording anything."""
    now = now or timezone.now()
    delivery = Delivery(subscriber=subscriber, period="preview", scheduled_for=now)
    return compose([delivery], now, save=False)[0]


def web_version(delivery: Delivery) -> Digest:
    """A recorded delivery as it was sent: its own items, never a new ranking."""
    now = delivery.scheduled_for or delivery.created_at
    digest = compose([delivery], now, save=False)[0] if delivery.items.exists() else None
    if digest is None:
        sub = delivery.subscriber
        digest = Digest(delivery, sub, period_label(sub, now), [])
    digest.new_papers = max(delivery.new_papers, len(digest.items))
    return digest
