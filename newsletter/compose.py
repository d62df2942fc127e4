"""Compose digests for a batch of deliveries: load everything once, rank, record the picks."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from newsletter.models import Delivery, DeliveryItem
from newsletter.ranking import PAPER_FIELDS, Preferences, load_pool
from newsletter.scheduling import first_window_days, period_label
from papers.models import Paper, PaperTopic
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


def compose(deliveries: list[Delivery], now: datetime | None = None, save: bool = True) -> list[Digest]:
    """Rank and assemble one digest per delivery in a constant number of queries.

    `deliveries` come with their subscriber (select_related). A delivery that already has items (a retry)
    gets the same papers again; new picks are recorded as DeliveryItems when `save` is true.
    """
    now = now or timezone.now()
    subscriber_ids = [d.subscriber_id for d in deliveries]
    saved_ids = [d.id for d in deliveries if d.id]
    weights: dict[int, dict[int, float]] = defaultdict(dict)
    for sid, tid, weight in SubscriberTopic.objects.filter(subscriber_id__in=subscriber_ids).values_list(
        "subscriber_id", "topic_id", "weight"
    ):
        weights[sid][tid] = weight
    existing: dict[int, list[dict]] = defaultdict(list)
    for row in DeliveryItem.objects.filter(delivery_id__in=saved_ids).values(
        "delivery_id", "paper_id", "reason", "fill"
    ):
        existing[row["delivery_id"]].append(row)

    starts = {d.id or i: since(d.subscriber, now) for i, d in enumerate(deliveries)}
    pool = load_pool(min(starts.values(), default=now.date()), now.date(), now)
    papers = {c.id: c for c in pool.candidates}
    sent: dict[int, set[int]] = defaultdict(set)
    for sid, pid in (
        DeliveryItem.objects.filter(delivery__subscriber_id__in=subscriber_ids, paper_id__in=list(papers))
        .exclude(delivery_id__in=saved_ids)
        .exclude(delivery__status__in=[Delivery.Status.FAILED, Delivery.Status.SKIPPED])
        .values_list("delivery__subscriber_id", "paper_id")
    ):
        sent[sid].add(pid)
    missing = {row["paper_id"] for rows in existing.values() for row in rows} - papers.keys()
    extra = {r["id"]: r for r in Paper.objects.filter(id__in=missing).values(*PAPER_FIELDS)} if missing else {}
    extra_topics: dict[int, dict[int, float]] = defaultdict(dict)
    if missing:
        for pid, tid, score in PaperTopic.objects.filter(paper_id__in=missing).values_list(
            "paper_id", "topic_id", "score"
        ):
            extra_topics[pid][tid] = score

    digests = []
    new_items = []
    for i, delivery in enumerate(deliveries):
        sub = delivery.subscriber
        topic_names = [pool.topic_names[tid] for tid in weights[sub.id] if tid in pool.topic_names]
        digest = Digest(delivery, sub, period_label(sub, delivery.scheduled_for or now), sorted(topic_names))
        start = starts[delivery.id or i]
        digest.new_papers = pool.new_since(start, sent[sub.id])
        if existing.get(delivery.id):
            picks = [(row["paper_id"], row["reason"], row["fill"]) for row in existing[delivery.id]]
        else:
            prefs = Preferences.build(
                weights[sub.id], sub.follow_keywords, sub.mute_keywords, sub.paper_count, digest.daily
            )
            picks = [(p.paper_id, p.reason, p.fill) for p in pool.picks_for(prefs, start, sent[sub.id])]
            if save and delivery.id:
                new_items += [
                    DeliveryItem(delivery=delivery, paper_id=pid, position=n, reason=reason, fill=fill)
                    for n, (pid, reason, fill) in enumerate(picks, start=1)
                ]
        for pid, reason, fill in picks:
            candidate = papers.get(pid)
            row = candidate.row if candidate else extra.get(pid)
            if row:
                badges = _badges(candidate.topics if candidate else extra_topics[pid], pool.topic_names)
                digest.items.append(Item(row, reason, fill, badges))
        digest.new_papers = max(digest.new_papers, len(digest.items))
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
    return compose(deliveries, now)


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
