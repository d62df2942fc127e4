"""Every figure on the admin dashboard, computed in one place: one function per figure, aggregates in the database.

The number of queries is fixed: no function loops over rows of a table that grows with
subscribers or papers (the Python loops below run over days, weeks, topics or topic sets).
"""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cron_descriptor import Options, get_description
from django.conf import settings
from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Max, Prefetch, Q, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from newsletter import health
from newsletter.models import Delivery, SendingSwitch
from papers.models import IngestionRun, Paper, PaperTopic, Topic
from subscribers.models import Subscriber, SubscriberTopic

Status = Subscriber.Status
SUPPRESSED = [Status.BOUNCED, Status.COMPLAINED]
# The statuses a subscriber leaves "active" for; updated_at dates that change for paused and suppressed ones.
LEFT = [Status.UNSUBSCRIBED, Status.PAUSED, *SUPPRESSED]
WAITING = [Delivery.Status.CLAIMED, Delivery.Status.QUEUED, Delivery.Status.RETRY]


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of the ISO week holding `now`, in the current time zone."""
    local = timezone.localtime(now)
    monday = local.date() - timedelta(days=local.weekday())
    return timezone.make_aware(datetime.combine(monday, datetime.min.time()))


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def current_periods(now: datetime) -> list[str]:
    """The delivery periods running now: this ISO week (weekly digests) and today (daily ones)."""
    local = timezone.localtime(now)
    year, week, _ = local.isocalendar()
    return [f"{year}-W{week:02d}", local.date().isoformat()]


# Health at a glance


@dataclass
class SourceHealth:
    source: str
    label: str
    last_success: datetime | None
    age: timedelta | None
    stale: bool  # it ran, and has not succeeded for longer than INGESTION_MAX_AGE_HOURS
    used: bool  # it ran at least once, successfully or not


def last_ingestions(now: datetime) -> list[SourceHealth]:
    """The last successful run of each source and its age; stale when older than INGESTION_MAX_AGE_HOURS."""
    max_age = timedelta(hours=settings.INGESTION_MAX_AGE_HOURS)
    succeeded = Q(status__in=[IngestionRun.Status.SUCCEEDED, IngestionRun.Status.PARTIAL])
    rows = {
        row["source"]: row
        for row in IngestionRun.objects.values("source").annotate(
            last=Max(Coalesce("finished_at", "started_at"), filter=succeeded), runs=Count("id")
        )
    }
    sources = []
    for source, label in IngestionRun.Source.choices:
        row = rows.get(source, {"last": None, "runs": 0})
        age = now - row["last"] if row["last"] else None
        used = row["runs"] > 0
        stale = used and (age is None or age > max_age)
        sources.append(SourceHealth(source, label, row["last"], age, stale, used))
    return sources


def failed_runs_last_7_days(now: datetime) -> int:
    return IngestionRun.objects.filter(
        status=IngestionRun.Status.FAILED, started_at__gte=now - timedelta(days=7)
    ).count()


def broker_reachable() -> bool:
    return health.broker_ok()


def workers_answering(broker_up: bool) -> int:
    """How many Celery workers answer a ping within WORKER_PING_TIMEOUT seconds (0 when the broker is down)."""
    if not broker_up:
        return 0
    from newsletter.celery import app

    timeout = settings.WORKER_PING_TIMEOUT
    try:
        return len(app.control.ping(timeout=timeout) or [])
    except Exception:  # a broker that drops the connection mid-ping means no worker we can reach
        return 0


def deliveries_this_period(now: datetime) -> dict[str, int]:
    """Deliveries of the current week and day: waiting (claimed, queued or retrying), sent, failed."""
    counts = Delivery.objects.filter(period__in=current_periods(now)).aggregate(
        waiting=Count("id", filter=Q(status__in=WAITING)),
        sent=Count("id", filter=Q(status=Delivery.Status.SENT)),
        failed=Count("id", filter=Q(status=Delivery.Status.FAILED)),
        skipped=Count("id", filter=Q(status=Delivery.Status.SKIPPED)),
    )
    return counts


def sending_switch() -> SendingSwitch:
    """The global pause the tick and the workers obey (sending, when never switched)."""
    return SendingSwitch.objects.filter(id=1).first() or SendingSwitch(paused=False)


def failed_periods(limit: int = 8) -> list[dict]:
    """The periods that have failed deliveries, latest failure first: [{"period", "failed", "last"}]."""
    return list(
        Delivery.objects.filter(status=Delivery.Status.FAILED)
        .values("period")
        .annotate(failed=Count("id"), last=Max("updated_at"))
        .order_by("-last")[:limit]
    )


def subscribers_by_status() -> dict[str, int]:
    """Subscribers now, per status (every status present, zero when none)."""
    counts = dict(Subscriber.objects.values("status").annotate(n=Count("id")).values_list("status", "n"))
    return {status: counts.get(status, 0) for status in Status.values}


def suppressed_addresses() -> int:
    """Addresses we no longer send to because they bounced or complained."""
    return Subscriber.objects.filter(status__in=SUPPRESSED).count()


# Charts

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


def last_days(now: datetime, days: int) -> list[date]:
    today = timezone.localdate(now)
    return [today - timedelta(days=i) for i in range(days - 1, -1, -1)]


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


MASK_BITS = 62  # topics per bigint mask column


@dataclass
class TopicSets:
    """Active subscribers grouped by (paper_count, set of followed topics), from one grouped query."""

    topics: list[Topic]  # ordered by id; topic i of chunk c is bit i of mask column c
    chunks: list[list[Topic]]
    groups: list[tuple[int, int, tuple]]  # (paper_count, subscribers, followed topic ids)


def active_topic_sets() -> TopicSets:
    """Group active subscribers by paper_count and topic set, the set being one bit per topic.

    The ORM cannot group the rows of a grouped query, so the outer query is SQL around the ORM's inner one.
    """
    topics = list(Topic.objects.order_by("id"))
    chunks = [topics[i : i + MASK_BITS] for i in range(0, len(topics), MASK_BITS)]
    masks = {
        f"mask{i}": Sum(Case(*[When(topic_id=t.id, then=Value(1 << n)) for n, t in enumerate(chunk)], default=0))
        for i, chunk in enumerate(chunks)
    }
    inner, params = SubscriberTopic.objects.values("subscriber_id").annotate(**masks).order_by().query.sql_with_params()
    columns = "".join(f", m.mask{i}" for i in range(len(chunks)))
    # Only our own table and column names are formatted in; every value is a parameter.
    sql = (
        f"SELECT s.paper_count, COUNT(*){columns} FROM {Subscriber._meta.db_table} s "  # noqa: S608
        f"LEFT JOIN ({inner}) m ON m.subscriber_id = s.id WHERE s.status = %s GROUP BY s.paper_count{columns}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, Status.ACTIVE])
        rows = cursor.fetchall()
    followed: dict[tuple, tuple] = {}  # a few thousand distinct sets at most: decode each once
    groups = []
    for paper_count, n, *chunk_masks in rows:
        key = tuple(int(m or 0) for m in chunk_masks)
        if key not in followed:
            followed[key] = tuple(
                t.id for chunk, m in zip(chunks, key, strict=True) for b, t in enumerate(chunk) if m >> b & 1
            )
        groups.append((paper_count, n, followed[key]))
    return TopicSets(topics, chunks, groups)


def followers_per_topic(sets: TopicSets | None = None) -> list[tuple[Topic, int]]:
    """Active subscribers following each topic, most followed first."""
    sets = sets or active_topic_sets()
    followers: dict[int, int] = {}
    for _, n, topic_ids in sets.groups:
        for topic_id in topic_ids:
            followers[topic_id] = followers.get(topic_id, 0) + n
    ranked = sorted(sets.topics, key=lambda t: (-followers.get(t.id, 0), t.position, t.name))
    return [(topic, followers.get(topic.id, 0)) for topic in ranked]


@dataclass
class TopicCoverage:
    topic: Topic
    papers: int  # candidate papers this week tagged with the topic
    short: int  # active followers who would get fewer papers than they asked for


@dataclass
class Coverage:
    active: int
    short: int
    papers: int  # candidate papers this week, tagged or not
    topics: list[TopicCoverage]


def topic_coverage(now: datetime, sets: TopicSets | None = None) -> Coverage:
    """How many active subscribers would get fewer papers this week than their paper_count.

    A subscriber's candidates are this week's visible papers tagged with any of their topics
    (all of this week's papers when they follow none). Python walks the groups of active_topic_sets,
    never the subscribers.
    """
    sets = sets or active_topic_sets()
    monday = week_start(now).date()
    candidates = Paper.objects.visible().filter(trending_date__range=(monday, monday + timedelta(days=6)))
    week_papers = candidates.count()
    # One bit per candidate paper, one integer per topic: the union of a topic set is an OR.
    index: dict[int, int] = {}
    papers_of: dict[int, int] = {}
    for paper_id, topic_id in PaperTopic.objects.filter(paper__in=candidates).values_list("paper_id", "topic_id"):
        bit = 1 << index.setdefault(paper_id, len(index))
        papers_of[topic_id] = papers_of.get(topic_id, 0) | bit

    available: dict[tuple, int] = {}
    short_of: dict[int, int] = {}
    active = short = 0
    for paper_count, n, topic_ids in sets.groups:
        if topic_ids not in available:
            union = 0
            for topic_id in topic_ids:
                union |= papers_of.get(topic_id, 0)
            available[topic_ids] = union.bit_count() if topic_ids else week_papers
        active += n
        if available[topic_ids] < paper_count:
            short += n
            for topic_id in topic_ids:
                short_of[topic_id] = short_of.get(topic_id, 0) + n
    per_topic = [
        TopicCoverage(t, papers_of.get(t.id, 0).bit_count(), short_of.get(t.id, 0))
        for t in sorted(sets.topics, key=lambda t: (t.position, t.name))
        if t.active
    ]
    return Coverage(active, short, week_papers, per_topic)


# Tables


def top_papers_this_week(now: datetime, limit: int = 10) -> list[Paper]:
    """The most upvoted visible papers trending this week, each with `topic_list` (best score first)."""
    monday = week_start(now).date()
    papers = list(
        Paper.objects.visible()
        .filter(trending_date__range=(monday, monday + timedelta(days=6)))
        .order_by("-upvotes", "-trending_date", "id")
        .prefetch_related(
            Prefetch("topic_scores", queryset=PaperTopic.objects.select_related("topic").order_by("-score"))
        )[:limit]
    )
    for paper in papers:
        paper.topic_list = [score.topic for score in paper.topic_scores.all()]
    return papers


def recent_runs(limit: int = 10) -> list[IngestionRun]:
    return list(IngestionRun.objects.order_by("-started_at")[:limit])


def recent_failed_deliveries(limit: int = 10) -> list[Delivery]:
    return list(
        Delivery.objects.filter(status=Delivery.Status.FAILED)
        .select_related("subscriber")
        .order_by("-updated_at")[:limit]
    )


# Schedules

CRON_OPTIONS = Options()
CRON_OPTIONS.use_24hour_time_format = True


@dataclass
class Schedule:
    task: PeriodicTask
    when: str  # "every 5 minutes", "at 07:00, only on Monday"
    next_run: datetime | None
    summary: str  # "every 5 minutes, next at 14:35 UTC"


def _when(task: PeriodicTask) -> str:
    if task.interval_id:
        return str(task.interval)
    if task.crontab_id:
        cron = task.crontab
        expression = f"{cron.minute} {cron.hour} {cron.day_of_month} {cron.month_of_year} {cron.day_of_week}"
        try:
            text = get_description(expression, CRON_OPTIONS)
        except Exception:  # an expression cron-descriptor cannot phrase: show it as written
            text = f"cron {expression}"
        zone = str(cron.timezone)
        return text[:1].lower() + text[1:] + ("" if zone == "UTC" else f" ({zone})")
    if task.clocked_id:
        return "once"
    if task.solar_id:
        return str(task.solar)
    return "no schedule"


def _at(moment: datetime, now: datetime) -> str:
    local = timezone.localtime(moment)
    zone = local.tzname()
    if local.date() == timezone.localdate(now):
        return f"{local:%H:%M} {zone}"
    if local.date() - timezone.localdate(now) < timedelta(days=7):
        return f"{local:%a %H:%M} {zone}"
    return f"{local:%a %-d %b %H:%M} {zone}"


def schedules(now: datetime) -> list[Schedule]:
    """Every beat schedule with a plain-language summary of when it runs next."""
    result = []
    tasks = PeriodicTask.objects.select_related("interval", "crontab", "solar", "clocked").order_by("name")
    for task in tasks:
        when = _when(task)
        next_run = None
        if not task.enabled:
            summary = f"{when}; disabled"
        elif task.one_off and task.total_run_count:
            summary = f"{when}; already ran"
        else:
            try:
                next_run = now + max(task.schedule.remaining_estimate(task.last_run_at or now), timedelta(0))
                # celery reads its own clock a moment after `now`: 17:59:59.98 means the 18:00 run.
                next_run = (next_run + timedelta(seconds=30)).replace(second=0, microsecond=0)
            except Exception:  # a schedule celery cannot evaluate (bad solar coordinates, say)
                next_run = None
            if next_run is None:
                summary = f"{when}; next run unknown"
            elif next_run <= now:
                summary = f"{when}, due now"
            else:
                summary = f"{when}, next at {_at(next_run, now)}"
        result.append(Schedule(task, when, next_run, summary))
    return result


def network_health() -> tuple[bool, int]:
    """(broker reachable, workers answering): the two checks that wait on the network, not the database."""
    broker_up = broker_reachable()
    return broker_up, workers_answering(broker_up)


def build(now: datetime | None = None) -> dict:
    """Every figure of the dashboard, computed once per page."""
    now = now or timezone.now()
    # The ping waits for its timeout when no worker runs: let it wait while the queries run.
    with ThreadPoolExecutor(max_workers=1) as pool:
        network = pool.submit(network_health)
        topic_sets = active_topic_sets()  # shared by the followers and the coverage figures
        figures = {
            "now": now,
            "periods": current_periods(now),
            "last_ingestions": last_ingestions(now),
            "failed_runs_7d": failed_runs_last_7_days(now),
            "deliveries_now": deliveries_this_period(now),
            "sending": sending_switch(),
            "failed_periods": failed_periods(),
            "subscribers": subscribers_by_status(),
            "suppressed": suppressed_addresses(),
            "subscribers_by_week": subscribers_by_week(now),
            "papers_per_day": papers_ingested_per_day(now),
            "deliveries_per_day": deliveries_per_day(now),
            "followers": followers_per_topic(topic_sets),
            "coverage": topic_coverage(now, topic_sets),
            "top_papers": top_papers_this_week(now),
            "recent_runs": recent_runs(),
            "failed_deliveries": recent_failed_deliveries(),
            "schedules": schedules(now),
        }
        figures["broker_ok"], figures["workers"] = network.result()
    return figures
