from django.db import models

from papers.models import Paper
from subscribers.models import Subscriber


class Delivery(models.Model):
    """One digest for one subscriber and one period: the record of what was (or will be) sent."""

    class Status(models.TextChoices):
        CLAIMED = "claimed", "Claimed by the tick"
        QUEUED = "queued", "Queued for a worker"
        SENT = "sent"
        SKIPPED = "skipped", "Skipped (nothing to send)"
        RETRY = "retry", "Waiting to retry"
        FAILED = "failed"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    period = models.CharField(max_length=20, help_text="2026-W48 for weekly digests, 2026-11-26 for daily ones")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CLAIMED, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    papers = models.ManyToManyField(Paper, through="DeliveryItem", related_name="deliveries", blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["subscriber", "period"], name="one_delivery_per_period")]

    def __str__(self) -> str:
        return f"{self.subscriber_id} {self.period} {self.status}"


class DeliveryItem(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="items")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="delivery_items")
    position = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["delivery", "paper"], name="unique_delivery_paper")]
