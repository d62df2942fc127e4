from collections import defaultdict

from django.db import models
from django.db.models import Q


class Topic(models.Model):
    """A subject readers follow; papers are scored against its keywords and arXiv categories."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True)
    keywords = models.TextField(blank=True, help_text="One keyword or phrase per line; matched case-insensitively.")
    arxiv_categories = models.CharField(
        max_length=300, blank=True, help_text="Space-separated arXiv categories, e.g. cs.CL cs.LG"
    )
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def keyword_list(self) -> list[str]:
        return [line.strip().lower() for line in self.keywords.splitlines() if line.strip()]

    @property
    def category_list(self) -> list[str]:
        return self.arxiv_categories.split()


class PaperQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(hidden=False)


def has_code(row: dict) -> bool:
    """A paper (a values() row) links a code repository: from Hugging Face or its arXiv comment."""
    return bool((row.get("github_repo") or "").strip())


class Paper(models.Model):
    arxiv_id = models.CharField(max_length=32, unique=True, help_text="arXiv identifier without version")
    title = models.TextField()
    abstract = models.TextField(blank=True)
    authors = models.JSONField(default=list, blank=True, help_text="Author names, in order")
    published_at = models.DateTimeField(null=True, blank=True, help_text="First arXiv version")
    hf_listed_on = models.DateField(null=True, blank=True, help_text="The day Hugging Face listed it")
    trending_date = models.DateField(
        null=True, blank=True, db_index=True, help_text="The HF listing day, else the arXiv date"
    )
    upvotes = models.PositiveIntegerField(default=0)
    num_comments = models.PositiveIntegerField(default=0)
    github_repo = models.URLField(max_length=500, blank=True)
    github_stars = models.PositiveIntegerField(null=True, blank=True)
    project_page = models.URLField(max_length=500, blank=True)
    thumbnail = models.URLField(max_length=500, blank=True)
    organization = models.CharField(max_length=200, blank=True)
    submitted_by = models.CharField(max_length=200, blank=True)
    ai_keywords = models.JSONField(default=list, blank=True)
    arxiv_categories = models.JSONField(default=list, blank=True)
    primary_category = models.CharField(max_length=40, blank=True)
    sources = models.JSONField(default=list, blank=True, help_text="Sources that reported this paper")
    hidden = models.BooleanField(default=False, help_text="Never shown or sent")
    pinned = models.BooleanField(default=False, help_text="Ranked first for readers of its topics")
    topics = models.ManyToManyField(Topic, through="PaperTopic", related_name="papers", blank=True)
    vector = models.BinaryField(null=True, blank=True, help_text="Text vector of title and abstract (float32)")
    vector_model = models.CharField(max_length=60, blank=True, help_text="The model that made `vector`")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PaperQuerySet.as_manager()

    class Meta:
        ordering = ["-trending_date", "-upvotes"]
        indexes = [models.Index(fields=["trending_date", "upvotes"], name="paper_trending_idx")]

    def __str__(self) -> str:
        return f"{self.arxiv_id}: {self.title[:80]}"

    @property
    def hf_url(self) -> str:
        return paper_urls(self.arxiv_id)["hf_url"]

    @property
    def arxiv_url(self) -> str:
        return paper_urls(self.arxiv_id)["arxiv_url"]

    @property
    def pdf_url(self) -> str:
        return paper_urls(self.arxiv_id)["pdf_url"]


def paper_urls(arxiv_id: str) -> dict[str, str]:
    """Where a paper lives: its Hugging Face page, its arXiv abstract and PDF (for rows as for instances)."""
    return {
        "hf_url": f"https://huggingface.co/papers/{arxiv_id}",
        "arxiv_url": f"https://arxiv.org/abs/{arxiv_id}",
        "pdf_url": f"https://arxiv.org/pdf/{arxiv_id}",
    }


class PaperTopicQuerySet(models.QuerySet):
    def by_paper(self) -> defaultdict[int, dict[int, float]]:
        """{paper id: {topic id: score}} of these rows, in one query; a paper without rows maps to {}."""
        scores: defaultdict[int, dict[int, float]] = defaultdict(dict)
        for paper_id, topic_id, score in self.values_list("paper_id", "topic_id", "score"):
            scores[paper_id][topic_id] = score
        return scores


class PaperTopic(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="topic_scores")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="paper_scores")
    score = models.FloatField()

    objects = PaperTopicQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["paper", "topic"], name="unique_paper_topic")]


class UpvoteSnapshot(models.Model):
    """Upvotes seen at one ingestion, so trending can use their velocity."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="snapshots")
    upvotes = models.PositiveIntegerField()
    taken_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["taken_at"]


class IngestionRun(models.Model):
    class Source(models.TextChoices):
        HF_DAILY = "hf-daily", "Hugging Face daily papers"
        HF_PAGE = "hf-page", "Hugging Face papers page"
        ARXIV = "arxiv", "arXiv"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule"
        ADMIN = "admin"
        CLI = "cli"

    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        PARTIAL = "partial", "Succeeded with failed records"
        FAILED = "failed"

    source = models.CharField(max_length=20, choices=Source.choices)
    parameters = models.JSONField(default=dict, blank=True)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.CLI)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.TextField(blank=True, help_text="Every error of the run, in full")

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["source", "-started_at"], name="run_source_started_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=models.F("started_at")),
                name="run_finishes_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.started_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def summary(self) -> str:
        return f"created={self.created} updated={self.updated} unchanged={self.unchanged} failed={self.failed}"
