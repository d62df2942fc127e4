"""Papers that took off after a reader's previous digest: listed before it, not sent to them, matching their
topics, and one of the most upvoted of their week now. Each is offered once, in the next digest.

"Then" is the paper's upvotes at the previous digest (its last snapshot before it); a paper without one, or
that was already as popular then, is not offered.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from newsletter.models import DeliveryItem
from papers.models import Paper, PaperTopic, UpvoteSnapshot
from subscribers.models import Subscriber

TOP_OF_WEEK = 5  # "one of the most upvoted of its week": among its week's first five now
LOOKBACK = timedelta(days=7)  # papers listed up to a week before the previous digest
GROWTH = 2.0  # at least twice the upvotes it had then


@dataclass(frozen=True)
class TookOff:
    paper_id: int
    then: int
    now: int
    topics: dict[int, float]  # its topic scores, for the card's badges

    @property
    def reason(self) -> str:
        return f"Took off since your last digest: ▲ {self.then} then, ▲ {self.now} now"


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def took_off_for(
    subscribers: list[Subscriber], weights: dict[int, dict[int, float]], exclude: dict[int, set[int]]
) -> dict[int, TookOff]:
    """At most one paper per reader that has a previous digest, in five queries for the whole batch."""
    readers = [s for s in subscribers if s.last_digest_at]
    if not readers:
        return {}
    first = min(s.last_digest_at for s in readers).date() - LOOKBACK
    last = max(s.last_digest_at for s in readers).date()
    weeks = Paper.objects.visible().filter(
        trending_date__gte=_monday(first), trending_date__lt=_monday(last) + timedelta(days=7)
    )
    by_week: dict[date, list[tuple[int, int, date]]] = defaultdict(list)
    for pid, upvotes, day in weeks.values_list("id", "upvotes", "trending_date"):
        by_week[_monday(day)].append((upvotes, pid, day))
    top = {}  # paper id -> (upvotes now, trending day)
    for papers in by_week.values():
        for upvotes, pid, day in sorted(papers, key=lambda p: (-p[0], p[1]))[:TOP_OF_WEEK]:
            if first <= day < last and upvotes > 0:
                top[pid] = (upvotes, day)
    if not top:
        return {}
    topics = PaperTopic.objects.filter(paper_id__in=top, score__gt=0, topic__active=True).by_paper()
    sent: dict[int, set[int]] = defaultdict(set)
    had = DeliveryItem.objects.filter(delivery__subscriber_id__any=[r.id for r in readers], paper_id__in=top)
    for sid, pid in had.values_list("delivery__subscriber_id", "paper_id"):
        sent[sid].add(pid)
    history: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for pid, taken_at, upvotes in (
        UpvoteSnapshot.objects.filter(paper_id__in=top)
        .order_by("taken_at")
        .values_list("paper_id", "taken_at", "upvotes")
    ):
        history[pid].append((taken_at, upvotes))
    offers = {}
    for reader in readers:
        since = reader.last_digest_at.date()
        followed = {tid for tid, w in weights.get(reader.id, {}).items() if w > 0}
        best = None
        for pid, (now, day) in top.items():
            if not since - LOOKBACK <= day < since or pid in sent[reader.id] or pid in exclude.get(reader.id, ()):
                continue
            if not topics[pid].keys() & followed:
                continue
            before = [votes for taken_at, votes in history[pid] if taken_at <= reader.last_digest_at]
            if not before:  # its upvotes at that digest are unknown: nothing to say it took off since
                continue
            then = before[-1]
            if now >= GROWTH * max(then, 1) and (best is None or (now, -pid) > (best.now, -best.paper_id)):
                best = TookOff(pid, then, now, topics[pid])
        if best:
            offers[reader.id] = best
    return offers
