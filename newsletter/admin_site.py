"""The admin index with the operator dashboard above the usual list of apps."""

from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from newsletter import charts, dashboard
from newsletter.charts import Series
from newsletter.dashboard.trends import SERIES_STATES
from papers.models import IngestionRun

STATE_NAMES = {
    "active": "active",
    "pending": "pending",
    "paused": "paused",
    "unsubscribed": "unsubscribed",
    "suppressed": "bounced or complained",
}

# Links to the operator's pages, by group; the controls that change state are POST forms in the template.
ACTIONS = [
    ("Ingestion", "Upload a saved response", "admin:papers_ingestionrun_upload"),
    ("Ingestion", "Ingestion runs", "admin:papers_ingestionrun_changelist"),
    ("Ingestion", "Edit topics", "admin:papers_topic_changelist"),
    ("Digests", "Deliveries", "admin:newsletter_delivery_changelist"),
    ("Subscribers", "Preview a digest", "dashboard_preview"),
    ("Subscribers", "Subscribers", "admin:subscribers_subscriber_changelist"),
    ("Schedules", "Edit schedules", "admin:django_celery_beat_periodictask_changelist"),
]


def actions() -> dict[str, list[tuple[str, str]]]:
    """The action links, grouped: {group: [(label, url), ...]}."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for group, label, name in ACTIONS:
        groups.setdefault(group, []).append((label, reverse(name)))
    return groups


def chart_svgs(figures: dict) -> dict:
    weekly = figures["subscribers_by_week"]
    days, papers = figures["papers_per_day"]
    _, sent, failed = figures["deliveries_per_day"]
    coverage = figures["coverage"]
    day_labels = [f"{day:%-d %b}" for day in days]
    return {
        "subscribers": charts.columns(
            [f"{monday:%-d %b}" for monday in weekly.weeks],
            [Series(STATE_NAMES[state], f"s-{state}", weekly.counts[state]) for state in SERIES_STATES],
            title="Subscribers by status at the end of each week",
            y_label="subscribers",
            x_label="week starting",
            stacked=True,
        ),
        "papers": charts.columns(
            day_labels,
            [Series("papers stored", "s-papers", papers)],
            title="Papers ingested per day",
            y_label="new papers per day",
        ),
        "deliveries": charts.columns(
            day_labels,
            [Series("sent", "s-sent", sent), Series("failed", "s-failed", failed)],
            title="Digests sent and failed per day",
            y_label="digests per day",
        ),
        "followers": charts.bars(
            [topic.name for topic, _ in figures["followers"]],
            [Series("active followers", "s-active", [n for _, n in figures["followers"]])],
            title="Active followers per topic",
        ),
        "coverage": charts.bars(
            [row.topic.name for row in coverage.topics],
            [Series("candidate papers this week", "s-papers", [row.papers for row in coverage.topics])],
            notes=[f"{row.short:,} short" if row.short else "" for row in coverage.topics],
            title="Candidate papers per topic this week, and followers who would get fewer than they asked for",
        ),
    }


# The dashboard names subscribers (failed deliveries): staff who may not view them get the stock index.
DASHBOARD_PERMISSION = "subscribers.view_subscriber"


def index(request, extra_context=None):
    if not request.user.has_perm(DASHBOARD_PERMISSION):
        return admin.site.index(request, extra_context=extra_context)
    figures = dashboard.build(timezone.now())
    context = {
        "dashboard": figures,
        "charts": chart_svgs(figures),
        "actions": actions(),
        "sources": IngestionRun.Source.choices,
        **(extra_context or {}),
    }
    return admin.site.index(request, extra_context=context)


admin.site.site_header = f"{settings.SITE_NAME} admin"
admin.site.site_title = f"{settings.SITE_NAME} admin"
admin.site.index_title = "Dashboard"

# Staff only: anyone else is sent to the admin login page, as for every admin view.
dashboard_index = admin.site.admin_view(index)
