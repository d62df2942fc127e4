"""Health at a glance: ingestion by source, workers and broker, this period's deliveries, subscribers by status."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Q
from django.db.models.functions import Coalesce

from newsletter import health
from newsletter.dashboard.clock import current_periods
from newsletter.models import Delivery, SendingSwitch
from papers.models import IngestionRun
from subscribers.models import Subscriber

Status = Subscriber.Status
SUPPRESSED = [Status.BOUNCED, Status.COMPLAINED]
# The statuses a subscriber leaves "active" for; updated_at dates that change for paused and suppressed ones.
LEFT = [Status.UNSUBSCRIBED, Status.PAUSED, *SUPPRESSED]
WAITING = [Delivery.Status.CLAIMED, Delivery.Status.QUEUED, Delivery.Status.RETRY]


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
