from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from papers.models import Topic


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        ACTIVE = "active"
        PAUSED = "paused"
        UNSUBSCRIBED = "unsubscribed"
        BOUNCED = "bounced"
        COMPLAINED = "complained"

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        DAILY = "daily", "Daily on weekdays"

    email = models.EmailField(max_length=254, help_text="Canonical form: trimmed, domain IDNA-encoded and lower-cased")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    topics = models.ManyToManyField(Topic, through="SubscriberTopic", related_name="subscribers", blank=True)
    follow_keywords = models.JSONField(default=list, blank=True)
    mute_keywords = models.JSONField(default=list, blank=True)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY)
    weekday = models.PositiveSmallIntegerField(default=0, help_text="0 = Monday (weekly digests)")
    hour = models.PositiveSmallIntegerField(default=8, help_text="Local hour, 0-23")
    timezone = models.CharField(max_length=64, default="UTC")
    paper_count = models.PositiveSmallIntegerField(default=10)
    next_digest_at = models.DateTimeField(null=True, blank=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="unique_subscriber_email_ci"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="subscriber_weekday_range"),
            models.CheckConstraint(condition=Q(hour__lte=23), name="subscriber_hour_range"),
            models.CheckConstraint(condition=Q(paper_count__gte=3, paper_count__lte=25), name="subscriber_paper_count"),
        ]
        indexes = [models.Index(fields=["status", "next_digest_at"], name="subscriber_due_idx")]

    def __str__(self) -> str:
        return self.email


class SubscriberTopic(models.Model):
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="topic_weights")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="subscriber_weights")
    weight = models.FloatField(default=1.0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscriber", "topic"], name="unique_subscriber_topic")]


class Consent(models.Model):
    """What a reader agreed to, when and from where: kept as evidence of opt-in."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="consents")
    given_at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(blank=True)
    text_sha256 = models.CharField(max_length=64, help_text="Hash of the exact consent text shown")
    topics = models.JSONField(default=list)

    class Meta:
        ordering = ["-given_at"]
