from django.db import models
from django.utils import timezone

from papers.models import Paper
from subscribers.models import Subscriber


class DeliveryQuerySet(models.QuerySet):
    def move(self, status: str, **changes) -> int:
        """The one way deliveries change status: each move stamps `updated_at` with the wall clock, which
        the dashboard dates failures by and the sweep measures lost work with. Returns the rows moved."""
        return self.update(status=status, updated_at=timezone.now(), **changes)

    def touch(self) -> int:
        """Stamp `updated_at` without a change of status (a delivery queued again to the same state)."""
        return self.update(updated_at=timezone.now())


class Delivery(models.Model):
    """One digest for one subscriber and one period: the record of what was (or will be) sent."""

    class Status(models.TextChoices):
        CLAIMED = "claimed", "Claimed by the tick"
        QUEUED = "queued", "Queued for a worker"
        SENDING = "sending", "Being sent"
        SENT = "sent"
        SKIPPED = "skipped", "Skipped (nothing to send)"
        RETRY = "retry", "Waiting to retry"
        FAILED = "failed"

    # A worker may only take a delivery in one of these states; SENDING and after are never sent again.
    SENDABLE = (Status.CLAIMED, Status.QUEUED, Status.RETRY)

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    period = models.CharField(max_length=20, help_text="2026-W48 for weekly digests, 2026-11-26 for daily ones")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CLAIMED, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    scheduled_for = models.DateTimeField(null=True, blank=True, help_text="The schedule slot this digest serves")
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    new_papers = models.PositiveIntegerField(default=0, help_text="New papers in the period the picks came from")
    skip_reason = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    papers = models.ManyToManyField(Paper, through="DeliveryItem", related_name="deliveries", blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["subscriber", "period"], name="one_delivery_per_period")]
        indexes = [
            models.Index(fields=["status", "retry_at"], name="delivery_retry_idx"),
            # The dashboard: digests sent and failed per day, the current period's (or a retried period's)
            # counts, the latest failures.
            models.Index(fields=["sent_at"], name="delivery_sent_at_idx"),
            models.Index(fields=["period", "status"], name="delivery_period_status_idx"),
            models.Index(fields=["status", "updated_at"], name="delivery_status_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber_id} {self.period} {self.status}"


class DeliveryItem(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="items")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="delivery_items")
    position = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=300)
    fill = models.BooleanField(default=False, help_text="Trending outside the reader's topics, added to fill")

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["delivery", "paper"], name="unique_delivery_paper")]


class SendingSwitch(models.Model):
    """The one global pause: while paused, the tick claims nothing and workers send nothing."""

    paused = models.BooleanField(default=False)
    reason = models.CharField(max_length=200, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "sending switch"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="one_sending_switch")]

    def __str__(self) -> str:
        return "paused" if self.paused else "sending"

    def save(self, *args, **kwargs):
        self.id = 1
        super().save(*args, **kwargs)

    @classmethod
    def is_paused(cls) -> bool:
        return cls.objects.filter(id=1, paused=True).exists()

    @classmethod
    def set(cls, paused: bool, reason: str = "") -> None:
        cls.objects.update_or_create(id=1, defaults={"paused": paused, "reason": reason, "changed_at": timezone.now()})


class Feedback(models.Model):
    """A reader's "more like this" / "less like this" on one paper of one digest, and what it changed."""

    class Direction(models.TextChoices):
        MORE = "more", "More like this"
        LESS = "less", "Less like this"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="feedback")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="feedback")
    direction = models.CharField(max_length=4, choices=Direction.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    topics = models.JSONField(default=list, blank=True, help_text="Names of the topics whose weight it moved")
    muted_keyword = models.CharField(max_length=100, blank=True, help_text="HF keyword the reader muted with it")

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["delivery", "paper"], name="one_feedback_per_digest_paper")]

    def __str__(self) -> str:
        return f"{self.direction} {self.paper_id} in {self.delivery_id}"


class ProfileVote(models.Model):
    """One paper that taught a reader's profile: liked ("more") or not ("less"), from a digest or picked.

    The profile is these rows and nothing else, so the reader sees every one on the preferences page,
    removing a row undoes exactly its effect, and deleting the reader deletes them.
    """

    class Source(models.TextChoices):
        DIGEST = "digest", "From a digest"
        PICKED = "picked", "Picked on the preferences page"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="profile_votes")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="profile_votes")
    direction = models.CharField(max_length=4, choices=Feedback.Direction.choices)
    source = models.CharField(max_length=10, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["subscriber", "paper"], name="one_profile_vote_per_paper")]

    def __str__(self) -> str:
        return f"{self.subscriber_id} {self.direction} {self.paper_id}"


class Follow(models.Model):
    """An author or an organisation a reader follows: their papers are picked first, whatever the topics.

    `key` is the name as matched (papers.names.name_key: accents dropped, case folded), so "Zoë Müller"
    followed once matches "Zoe Muller" on a paper and cannot be followed twice; `name` is how the reader
    sees it.
    """

    class Kind(models.TextChoices):
        AUTHOR = "author", "Author"
        ORGANIZATION = "organization", "Organisation"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="follows")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=200)
    key = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["subscriber", "kind", "key"], name="one_follow_per_name")]

    def __str__(self) -> str:
        return f"{self.subscriber_id} follows {self.kind} {self.name}"
