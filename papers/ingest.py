"""Upsert papers on their version-less arXiv id and record one IngestionRun per run.

Re-ingesting the same response changes nothing and reports every paper unchanged. A record a source
could not read is counted as failed with its reason while the rest lands; a response that cannot be
read at all fails the run with a one-line reason before any paper is touched. Existing rows are read
in one query and written with bulk_create/bulk_update, so a run costs a handful of queries per batch.
"""

import logging
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from papers.http import FetchError
from papers.models import IngestionRun, Paper, UpvoteSnapshot
from papers.records import PaperRecord, Parsed, SourceError, check_text
from papers.representation import TEXT_FIELDS, set_vectors
from papers.sources import arxiv, hf_daily, hf_page
from papers.tagging import matchers, tag_papers

log = logging.getLogger(__name__)

PARSERS: dict[str, Callable[..., Parsed]] = {
    IngestionRun.Source.HF_DAILY: hf_daily.parse,
    IngestionRun.Source.HF_PAGE: hf_page.parse,
    IngestionRun.Source.ARXIV: arxiv.parse,
}
# arXiv is the authority on what a paper says; HF copies it and sometimes lags behind a new version.
ARXIV_OWNED = ("title", "abstract", "authors", "published_at")
MERGED = (
    "title", "abstract", "authors", "published_at", "upvotes", "num_comments", "github_repo", "github_stars",
    "project_page", "thumbnail", "organization", "submitted_by", "ai_keywords", "arxiv_categories",
    "primary_category",
)  # fmt: skip
TAGGED_BY = {"title", "abstract", "ai_keywords", "arxiv_categories", "primary_category"}
REPRESENTED_BY = set(TEXT_FIELDS)
BATCH = 500


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _fit(name: str, value):
    """A value the column can hold: over-long URLs are dropped, over-long names cut."""
    column = Paper._meta.get_field(name)
    if isinstance(value, str) and column.max_length and len(value) > column.max_length:
        return None if isinstance(column, models.URLField) else value[: column.max_length]
    return value


def merge(paper: Paper, record: PaperRecord) -> set[str]:
    """Copy what `record` knows into `paper`; return the names of the fields that changed."""
    changed = set()
    arxiv_seen = IngestionRun.Source.ARXIV in paper.sources
    for name in MERGED:
        value = _fit(name, getattr(record, name))
        if value is None or value == "" or value == []:
            continue
        if name in ARXIV_OWNED and arxiv_seen and record.source != IngestionRun.Source.ARXIV and getattr(paper, name):
            continue
        if getattr(paper, name) != value:
            setattr(paper, name, value)
            changed.add(name)
    if record.hf_listed_on and paper.hf_listed_on is None:
        paper.hf_listed_on = record.hf_listed_on
        changed.add("hf_listed_on")
    if record.source not in paper.sources:
        paper.sources = sorted({*paper.sources, record.source})
        changed.add("sources")
    trending = paper.hf_listed_on or (paper.published_at.date() if paper.published_at else None)
    if trending != paper.trending_date:
        paper.trending_date = trending
        changed.add("trending_date")
    return changed


def upsert(records: Iterable[PaperRecord], counts: Counts) -> Counts:
    """Create or update a paper per record (one row per arXiv id), snapshot upvote changes, and represent and
    tag what is new or changed."""
    by_id: dict[str, list[PaperRecord]] = {}
    for record in records:
        by_id.setdefault(record.arxiv_id, []).append(record)
    topic_matchers = matchers()
    ids = list(by_id)
    for start in range(0, len(ids), BATCH):
        chunk = {arxiv_id: by_id[arxiv_id] for arxiv_id in ids[start : start + BATCH]}
        try:
            created, updated = _upsert_chunk(chunk, topic_matchers)
        except IntegrityError:
            # Another run created one of these papers meanwhile: read the rows again and merge into them.
            created, updated = _upsert_chunk(chunk, topic_matchers)
        counts.created += created
        counts.updated += updated
        counts.unchanged += len(chunk) - created - updated
    return counts


def _upsert_chunk(chunk: dict[str, list[PaperRecord]], topic_matchers) -> tuple[int, int]:
    now = timezone.now()
    existing = Paper.objects.in_bulk(list(chunk), field_name="arxiv_id")
    new, changed, changed_fields, snapshots, retag, rewritten = [], [], set(), [], [], []
    for arxiv_id, records in chunk.items():
        paper = existing.get(arxiv_id) or Paper(arxiv_id=arxiv_id, title="", sources=[])
        before = paper.upvotes
        fields = set().union(*(merge(paper, r) for r in records))
        if paper.pk is None:
            new.append(paper)
            if any(r.upvotes is not None for r in records):
                snapshots.append(paper)
        elif fields:
            paper.updated_at = now
            changed.append(paper)
            changed_fields |= fields
            if "upvotes" in fields and paper.upvotes != before:
                snapshots.append(paper)
            if fields & TAGGED_BY:
                retag.append(paper)
            if fields & REPRESENTED_BY:
                rewritten.append(paper)
    # Vectors before tags: the tagger reads them. Computed outside the transaction, in one batch per chunk.
    set_vectors(new + rewritten)
    if rewritten:
        changed_fields |= {"vector", "vector_model"}
    with transaction.atomic():
        Paper.objects.bulk_create(new, batch_size=BATCH)
        if changed:
            Paper.objects.bulk_update(changed, sorted(changed_fields | {"updated_at"}), batch_size=BATCH)
        UpvoteSnapshot.objects.bulk_create(
            [UpvoteSnapshot(paper_id=p.pk, upvotes=p.upvotes, taken_at=now) for p in snapshots]
        )
        tag_papers(new + retag, topic_matchers)
    return len(new), len(changed)


# No run takes this long (a task is killed after CELERY_TASK_TIME_LIMIT, a request after its HTTP deadlines):
# one still "running" was stopped with its worker or its command.
ABANDONED_AFTER = timedelta(hours=1)


def close_abandoned_runs(now: datetime | None = None) -> int:
    """Mark runs that can no longer finish as failed, so the admin stops showing them as running."""
    now = now or timezone.now()
    return IngestionRun.objects.filter(
        status=IngestionRun.Status.RUNNING, started_at__lt=now - ABANDONED_AFTER
    ).update(
        status=IngestionRun.Status.FAILED,
        finished_at=now,
        errors=f"Interrupted: still running {ABANDONED_AFTER.total_seconds() / 60:.0f} minutes after it started "
        "(its worker or command was stopped)",
    )


def start_run(source: str, parameters: dict | None = None, trigger: str = IngestionRun.Trigger.CLI) -> IngestionRun:
    if source not in PARSERS:
        raise ValueError(f"unknown source {source!r}; choose one of {', '.join(PARSERS)}")
    close_abandoned_runs()
    return IngestionRun.objects.create(source=source, parameters=parameters or {}, trigger=trigger)


def finish_run(run: IngestionRun, counts: Counts | None = None, error: str = "") -> IngestionRun:
    counts = counts or Counts()
    run.created, run.updated = counts.created, counts.updated
    run.unchanged, run.failed = counts.unchanged, counts.failed
    run.errors = "\n".join([error, *counts.errors] if error else counts.errors)
    landed = counts.created + counts.updated + counts.unchanged
    if error or (counts.failed and not landed):
        run.status = IngestionRun.Status.FAILED
    elif counts.failed:
        run.status = IngestionRun.Status.PARTIAL
    else:
        run.status = IngestionRun.Status.SUCCEEDED
    run.finished_at = max(timezone.now(), run.started_at)
    run.save()
    return run


def ingest_parsed(run: IngestionRun, parsed: Parsed) -> IngestionRun:
    """Land parsed records into `run`; an unexpected error fails the run with its traceback in the errors."""
    counts = Counts(failed=len(parsed.failures), errors=list(parsed.failures))
    try:
        upsert(parsed.records, counts)
    except Exception as exc:
        log.exception("ingestion run %s failed", run.pk)
        return finish_run(run, counts, f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
    return finish_run(run, counts)


def ingest_content(
    source: str,
    content: bytes | str,
    *,
    parameters: dict | None = None,
    trigger: str = IngestionRun.Trigger.CLI,
    listed_on: date | None = None,
) -> IngestionRun:
    """Ingest one saved or fetched response of `source` as one run."""
    run = start_run(source, parameters, trigger)
    try:
        parsed = parse(source, content, listed_on)
    except SourceError as exc:
        return finish_run(run, error=str(exc))
    return ingest_parsed(run, parsed)


def parse(source: str, content: bytes | str, listed_on: date | None = None) -> Parsed:
    limit = settings.PAPERS_MAX_RESPONSE_BYTES
    if len(content) > limit:
        raise SourceError(f"the response is {len(content) / 1e6:.1f} MB, over the {limit / 1e6:.1f} MB limit")
    check_text(content)
    parser = PARSERS[source]
    return parser(content) if source == IngestionRun.Source.ARXIV else parser(content, listed_on)


def enrichment_candidates(limit: int = 200) -> list[str]:
    """Recent papers arXiv has not described yet (no primary category): the ids to ask the API about."""
    queryset = Paper.objects.filter(primary_category="", hidden=False).order_by("-trending_date", "-pk")
    return list(queryset.values_list("arxiv_id", flat=True)[:limit])


def fetch_parsed(source: str, day: date | None, week: str | None, category: str | None) -> Parsed:
    """Fetch every response a run needs and parse them all before anything is written."""
    if source == IngestionRun.Source.HF_DAILY:
        pages = [parse(source, body, day) for body in hf_daily.fetch(day, week)]
    elif source == IngestionRun.Source.HF_PAGE:
        pages = [parse(source, hf_page.fetch(day), day)]
    elif category:
        pages = [parse(source, arxiv.fetch_category(category))]
    else:
        ids = enrichment_candidates()
        chunk = settings.PAPERS_ARXIV_IDS_PER_REQUEST
        pages = []
        for start in range(0, len(ids), chunk):
            if start:
                time.sleep(settings.PAPERS_ARXIV_DELAY)  # arXiv asks clients to space their requests
            pages.append(parse(source, arxiv.fetch_ids(ids[start : start + chunk])))
    return Parsed(
        records=[r for page in pages for r in page.records], failures=[f for page in pages for f in page.failures]
    )


def run_source(
    source: str,
    *,
    day: date | None = None,
    week: str | None = None,
    category: str | None = None,
    trigger: str = IngestionRun.Trigger.CLI,
    run: IngestionRun | None = None,
) -> IngestionRun:
    """Fetch from the network and ingest as one run (an existing `run` row, e.g. made by the admin, or a new one)."""
    parameters = {k: v for k, v in {"date": day and day.isoformat(), "week": week, "category": category}.items() if v}
    run = run or start_run(source, parameters, trigger)
    try:
        parsed = fetch_parsed(source, day, week, category)
    except (SourceError, FetchError) as exc:
        return finish_run(run, error=str(exc))
    return ingest_parsed(run, parsed)


def detect_source(content: bytes) -> str:
    """Which source a saved response came from: HF JSON, an HF HTML page, or an arXiv Atom/RSS feed."""
    head = content[:4096].lstrip().lower()
    if head.startswith((b"[", b"{")):
        recorded_feed = b'"status_code"' in head and b'"body"' in head
        return IngestionRun.Source.ARXIV if recorded_feed else IngestionRun.Source.HF_DAILY
    if b"<feed" in head or b"<rss" in head:
        return IngestionRun.Source.ARXIV
    return IngestionRun.Source.HF_PAGE
