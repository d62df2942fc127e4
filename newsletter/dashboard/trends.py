"""The charts' series: subscribers by week, papers ingested and digests sent per day."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce, TruncDate

from newsletter.dashboard.clock import day_start, last_days, week_start
from newsletter.dashboard.status import LEFT, SUPPRESSED, Status
from newsletter.models import Delivery
from papers.models import Paper
from subscribers.models import Subscriber

SERIES_STATES = ["active", "pending", "paused", "unsubscribed", "suppressed"]


@dataclass
class WeeklySubscribers:
    weeks: list[date]  # the Monday of each week, oldest first
    counts: dict[str, list[int]]  # state -> one count per week, at the end of that week (now for this one)


def subscribers_by_week(now: datetime, weeks: int = 12) -> WeeklySubscribers:
    """How many subscribers were in each state at the end of each of the last `weeks` weeks.

    Derived from timestamps: created_at, confirmed_at (else created_at for subscribers who are past
    pending), unsubscribed_at, and updated_at for paused and suppressed ones. One query groups the
    subscribers by status and by the week of each of those moments (earlier weeks folded into one),
    so Python sums at most a few thousand groups whatever the number of subscribers.
    """
    this_monday = week_start(now)
    mondays = [this_monday - timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    ends = [*mondays[1:], now + timedelta(microseconds=1)]

    def week_of(field: str) -> Case:
        # -1 before the first week, then 0..weeks-1; NULL when the moment has not happened (yet).
        return Case(
            When(**{f"{field}__lt": mondays[0]}, then=Value(-1)),
            *[When(**{f"{field}__lt": end}, then=Value(i)) for i, end in enumerate(ends)],
            output_field=IntegerField(),
        )

    groups = (
        Subscriber.objects.annotate(
            active_from=Case(
                When(confirmed_at__isnull=False, then=F("confirmed_at")),
                When(status__in=[Status.ACTIVE, Status.PAUSED, *SUPPRESSED], then=F("created_at")),
            ),
            left_at=Case(
                When(status=Status.UNSUBSCRIBED, then=Coalesce("unsubscribed_at", "updated_at")),
                When(status__in=LEFT, then=F("updated_at")),
            ),
        )
        .annotate(joined=week_of("created_at"), activated=week_of("active_from"), left=week_of("left_at"))
        .values("status", "joined", "activated", "left")
        .annotate(n=Count("id"))
        .values_list("status", "joined", "activated", "left", "n")
    )
    counts = {state: [0] * weeks for state in SERIES_STATES}
    for status, joined, activated, left, n in groups:
        if joined is None:
            continue
        left_state = "suppressed" if status in SUPPRESSED else status
        for week in range(max(joined, 0), weeks):
            if left is not None and left <= week:
                state = left_state
            elif activated is not None and activated <= week:
                state = "active"
            else:
                state = "pending"
            counts[state][week] += n
    return WeeklySubscribers([monday.date() for monday in mondays], counts)


def papers_ingested_per_day(now: datetime, days: int = 14) -> tuple[list[date], list[int]]:
    """Papers first stored on each of the last `days` days (created_at)."""
    span = last_days(now, days)
    counts = dict(
        Paper.objects.filter(created_at__gte=day_start(span[0]))
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    return span, [counts.get(day, 0) for day in span]


def deliveries_per_day(now: datetime, days: int = 14) -> tuple[list[date], list[int], list[int]]:
    """Digests sent (by sent_at) and failed (by the time they were marked failed) on each of the last `days` days."""
    span = last_days(now, days)
    start = day_start(span[0])
    rows = (
        Delivery.objects.filter(
            Q(status=Delivery.Status.SENT, sent_at__gte=start) | Q(status=Delivery.Status.FAILED, updated_at__gte=start)
        )
        .annotate(day=TruncDate(Case(When(status=Delivery.Status.SENT, then=F("sent_at")), default=F("updated_at"))))
        .values("day", "status")
        .annotate(n=Count("id"))
        .values_list("day", "status", "n")
    )
    counts = {(day, status): n for day, status, n in rows}
    sent = [counts.get((day, Delivery.Status.SENT), 0) for day in span]
    failed = [counts.get((day, Delivery.Status.FAILED), 0) for day in span]
    return span, sent, failed
