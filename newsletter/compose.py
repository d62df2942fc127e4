"""Compose digests for a batch of deliveries: load everything once, rank, record the picks."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Max
from django.utils import timezone

from newsletter.follows import follows_for
from newsletter.models import Delivery, DeliveryItem
from newsletter.pool import PAPER_FIELDS, Pool, load_pool
from newsletter.profile import profiles_for
from newsletter.ranking import Preferences, picks_for
from newsletter.scheduling import first_window_days, period_label
from newsletter.took_off import took_off_for
from papers.demo import demo_span
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
    hour, which bounds the upvote velocity, is the same. Its rankings are kept with it.
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
    for sid, tid, weight in SubscriberTopic.objects.filter(subscriber_id__in=subscriber_ids).values_list(
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
        DeliveryItem.objects.filter(delivery__subscriber_id__in=subscriber_ids, paper__trending_date__gte=since)
        .exclude(delivery_id__in=composing)
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
    for row in DeliveryItem.objects.filter(delivery_id__in=delivery_ids).values(
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


def compose(
    deliveries: list[Delivery], now: datetime | None = None, save: bool = True, cache: PoolCache | None = None
) -> list[Digest]:
    """Rank and assemble one digest per delivery in a constant number of queries.

    `deliveries` come with their subscriber (select_related). A delivery that already has items (a retry)
    gets the same papers again; new picks are recorded as DeliveryItems when `save` is true. With a
    `cache`, the pool (and its rankings) of earlier batches is reused while the papers are unchanged.
    """
    now = now or timezone.now()
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
    rows = {c.id: c for c in pool.candidates}
    fresh = [d.subscriber for d in deliveries if d.id not in recorded]
    took_off = took_off_for(fresh, weights, sent)
    took_off_rows = _took_off_rows(took_off)

    digests = []
    new_items = []
    for delivery, start in zip(deliveries, starts, strict=True):
        sub = delivery.subscriber
        topic_names = sorted(pool.topic_names[tid] for tid in weights[sub.id] if tid in pool.topic_names)
        digest = Digest(delivery, sub, period_label(sub, delivery.scheduled_for or now), topic_names)
        digest.demo = demo.label if demo else ""
        if delivery.id in recorded:
            digest.items = recorded[delivery.id]
        else:
            profile = profiles.get(sub.id)
            authors, organizations = follows.get(sub.id, ((), ()))
            prefs = Preferences.build(
                weights[sub.id],
                sub.follow_keywords,
                sub.mute_keywords,
                sub.paper_count,
                digest.daily,
                profile,
                authors,
                organizations,
                sub.only_with_code,
            )
            if profile:  # the papers that taught the profile are known to the reader already
                sent[sub.id].update(profile.liked + profile.disliked)
            for n, pick in enumerate(picks_for(pool, prefs, start, sent[sub.id]), start=1):
                paper = rows[pick.paper_id]
                digest.items.append(Item(paper.row, pick.reason, pick.fill, _badges(paper.topics, pool.topic_names)))
                if save and delivery.id:
                    new_items.append(
                        DeliveryItem(
                            delivery=delivery, paper_id=pick.paper_id, position=n, reason=pick.reason, fill=pick.fill
                        )
                    )
            offer = took_off.get(sub.id)
            if offer and offer.paper_id in took_off_rows:
                # Offered once, in the last place: recorded as an item, it counts as sent from now on.
                if len(digest.items) >= sub.paper_count:
                    digest.items.pop()
                    if save and delivery.id:
                        new_items.pop()
                row = took_off_rows[offer.paper_id]
                digest.items.append(Item(row, offer.reason, False, _badges(offer.topics, pool.topic_names)))
                if save and delivery.id:
                    new_items.append(
                        DeliveryItem(
                            delivery=delivery,
                            paper_id=offer.paper_id,
                            position=len(digest.items),
                            reason=offer.reason,
                            fill=False,
                        )
                    )
        digest.new_papers = max(pool.new_since(start, sent[sub.id]), len(digest.items))
        digests.append(digest)
    if new_items:
        DeliveryItem.objects.bulk_create(new_items, ignore_conflicts=True, batch_size=1000)
    return digests


def compose_ids(delivery_ids: list[int], now: datetime | None = None) -> list[Digest]:
    """Compose the deliveries of a batch that may still be sent; gone or finished ones are left out."""
    deliveries = list(
        Delivery.objects.filter(id__in=delivery_ids, status__in=Delivery.SENDABLE)
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
