import calendar
import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from papers.models import Topic
from subscribers.email_address import masked
from subscribers.tokens import BadToken, make_token, read_link

# A pending address gets at most one confirmation email per this interval, however often the form is sent.
RESEND_INTERVAL = timedelta(minutes=5)
# Soft bounces (a full mailbox, a refusal that is not "no such user") in a row that suppress an address.
SOFT_BOUNCE_LIMIT = 3


class SubscriberQuerySet(models.QuerySet):
    def by_email(self, address: str):
        return self.filter(email__iexact=address)

    def from_link(self, purpose: str, token: str) -> "Subscriber":
        """The subscriber a signed link names, or BadToken when it is forged, expired or revoked since."""
        link = read_link(purpose, token)
        payload = link.payload["id"] if purpose == "confirm" and isinstance(link.payload, dict) else link.payload
        subscriber = self.filter(pk=payload).first() if isinstance(payload, int) else None
        if subscriber is None or subscriber.link_version != link.version:
            raise BadToken("invalid")
        return subscriber

    def receiving(self):
        """Subscribers who get digests."""
        return self.filter(status=Subscriber.Status.ACTIVE)

    # State changes for many rows at once (admin actions); a row in any other state is left alone.

    def move(self, from_states: list[str], **changes) -> int:
        return self.filter(status__in=from_states).update(updated_at=timezone.now(), **changes)

    def pause(self) -> int:
        return self.move([Subscriber.Status.ACTIVE], status=Subscriber.Status.PAUSED)

    def resume(self) -> int:
        # A fresh send time: the one kept from before the pause may be long past.
        return self.move([Subscriber.Status.PAUSED], status=Subscriber.Status.ACTIVE, next_digest_at=None)

    def unsubscribe(self) -> int:
        S = Subscriber.Status
        return self.move(
            [S.PENDING, S.ACTIVE, S.PAUSED], status=S.UNSUBSCRIBED, unsubscribed_at=timezone.now(), confirm_nonce=""
        )

    # The suppression list is the status itself: bounced and complained addresses get nothing, and every
    # send checks the status at the moment it goes out. An unsubscribed address stays unsubscribed.

    def hard_bounce(self) -> int:
        """No such mailbox (an SMTP 5.1.x or a provider's hard bounce): suppressed at once."""
        S = Subscriber.Status
        self.update(consecutive_failures=F("consecutive_failures") + 1)
        return self.move([S.PENDING, S.ACTIVE, S.PAUSED], status=S.BOUNCED)

    def complain(self) -> int:
        """A spam complaint: suppressed at once, also when the address had bounced before."""
        S = Subscriber.Status
        return self.move([S.PENDING, S.ACTIVE, S.PAUSED, S.BOUNCED], status=S.COMPLAINED)

    def record_feedback(self, event_type: str, soft: bool = False) -> int:
        """A provider's report on an address (anymail's normalized event type): complaints and hard bounces
        suppress at once, soft bounces after repeats; anything else changes nothing."""
        if event_type == "complained":
            return self.complain()
        if event_type == "bounced":
            return self.soft_bounce() if soft else self.hard_bounce()
        return 0

    def soft_bounce(self) -> int:
        """A failure that may pass: suppressed only after SOFT_BOUNCE_LIMIT in a row (a sent digest resets it)."""
        self.update(consecutive_failures=F("consecutive_failures") + 1)
        return self.filter(consecutive_failures__gte=SOFT_BOUNCE_LIMIT).move(
            [Subscriber.Status.ACTIVE, Subscriber.Status.PAUSED], status=Subscriber.Status.BOUNCED
        )


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

    class UnsubscribeReason(models.TextChoices):
        TOO_MANY = "too_many", "Too many emails"
        NOT_RELEVANT = "not_relevant", "The papers were not relevant to me"
        NEVER_SIGNED_UP = "never_signed_up", "I never signed up"
        OTHER = "other", "Another reason"

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
    only_with_code = models.BooleanField(default=False, help_text="Only papers that link a code repository")
    next_digest_at = models.DateTimeField(null=True, blank=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveSmallIntegerField(default=0)
    confirm_nonce = models.CharField(
        max_length=32, blank=True, help_text="Ties confirmation links to the current opt-in; emptied once used"
    )
    unsubscribe_reason = models.CharField(max_length=20, choices=UnsubscribeReason.choices, blank=True)
    link_version = models.PositiveIntegerField(
        default=0, help_text="Goes up when the reader revokes their links: links made for an older one stop working"
    )
    pending_preferences = models.JSONField(
        default=dict, blank=True, help_text="Choices sent for an unconfirmed address: applied when it confirms"
    )

    objects = SubscriberQuerySet.as_manager()

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

    # Links. Tokens carry the id (and for confirmation the opt-in nonce), never the address.

    def confirm_token(self) -> str:
        return make_token("confirm", {"id": self.pk, "n": self.confirm_nonce}, self.link_version)

    def token(self, purpose: str) -> str:
        return make_token(purpose, self.pk, self.link_version)

    def absolute_url(self, url_name: str, purpose: str | None = None) -> str:
        token = self.confirm_token() if url_name == "confirm" else self.token(purpose or url_name)
        return settings.SITE_URL.rstrip("/") + reverse(url_name, args=[token])

    @property
    def preferences_url(self) -> str:
        return self.absolute_url("preferences")

    @property
    def unsubscribe_url(self) -> str:
        return self.absolute_url("unsubscribe")

    @property
    def masked_email(self) -> str:
        """The address as a page may show it to whoever holds a link: "a•••@example.org"."""
        return masked(self.email)

    def revoke_links(self) -> None:
        """Kill every link sent so far (they carry the old link version); links made from now on work."""
        self._this().update(link_version=F("link_version") + 1, updated_at=timezone.now())
        self.refresh_from_db()

    @property
    def schedule_display(self) -> str:
        """When digests arrive, in the reader's words: "every Monday at 08:00 (Europe/Paris)"."""
        days = "every weekday" if self.frequency == self.Frequency.DAILY else f"every {calendar.day_name[self.weekday]}"
        return f"{days} at {self.hour:02d}:00 ({self.timezone})"

    @property
    def topic_slugs(self) -> list[str]:
        return sorted(t.slug for t in self.topics.all())

    # State changes: each is one conditional UPDATE, so repeats and races are harmless.

    def _this(self) -> SubscriberQuerySet:
        return Subscriber.objects.filter(pk=self.pk)

    def _changed(self, rows: int) -> bool:
        if rows:
            self.refresh_from_db()
        return bool(rows)

    def _opt_in(self, rows: SubscriberQuerySet, from_states: list[str], consent: "ConsentEvidence") -> bool:
        """Activate the row if it is still in `from_states`, and keep the evidence of consent with it."""
        with transaction.atomic():
            activated = self._changed(
                rows.move(
                    from_states,
                    status=self.Status.ACTIVE,
                    confirm_nonce="",
                    confirmed_at=timezone.now(),
                    unsubscribed_at=None,
                    unsubscribe_reason="",
                    next_digest_at=None,
                )
            )
            if activated:
                self.apply_pending_preferences()
                consent.record(self)
        return activated

    def propose(self, choices: dict) -> None:
        """Keep choices sent for this address (topics as slugs) until its owner confirms them."""
        self.pending_preferences = choices
        self._this().update(pending_preferences=choices, updated_at=timezone.now())

    def topics_to_confirm(self) -> list[Topic]:
        """The topics confirming would subscribe to: the proposed ones, if any were sent since."""
        slugs = self.pending_preferences.get("topics")
        topics = self.topics.all() if slugs is None else Topic.objects.filter(slug__in=slugs, active=True)
        return list(topics.order_by("position", "name"))

    def apply_pending_preferences(self) -> None:
        """The owner confirmed: the choices kept aside become theirs."""
        choices = dict(self.pending_preferences)
        if not choices:
            return
        topics = self.topics_to_confirm()
        for name, value in choices.items():
            if name != "topics":
                setattr(self, name, value)
        self.pending_preferences = {}
        self.save(update_fields=[*(name for name in choices if name != "topics"), "pending_preferences", "updated_at"])
        self.set_topics(topics)

    def start_opt_in(self) -> None:
        """Give a new confirmation round its own nonce, so links from an earlier round never re-activate."""
        if not self.confirm_nonce:
            self.confirm_nonce = secrets.token_hex(8)
            self._this().update(confirm_nonce=self.confirm_nonce)

    def claim_confirmation_email(self) -> bool:
        """True for the one caller allowed to send a confirmation email now (at most one per RESEND_INTERVAL)."""
        now = timezone.now()
        due = Q(confirmation_sent_at__isnull=True) | Q(confirmation_sent_at__lt=now - RESEND_INTERVAL)
        return bool(self._this().filter(due).update(confirmation_sent_at=now))

    def release_confirmation_email(self) -> None:
        """The email could not be sent: let the next attempt send it instead of waiting out the interval."""
        self._this().update(confirmation_sent_at=None)

    def confirm(self, nonce: str, consent: "ConsentEvidence") -> bool:
        """Activate a subscriber whose current opt-in nonce this is; a used or older link changes nothing."""
        if not nonce:
            return False
        rows = self._this().filter(confirm_nonce=nonce)
        return self._opt_in(rows, [self.Status.PENDING, self.Status.UNSUBSCRIBED], consent)

    def confirm_imported(self, consent: "ConsentEvidence") -> bool:
        """Activate a pending subscriber whose opt-in an operator vouches for (a CSV import with --confirmed)."""
        return self._opt_in(self._this(), [self.Status.PENDING], consent)

    def unsubscribe(self) -> bool:
        return self._changed(self._this().unsubscribe())

    def record_unsubscribe_reason(self, reason: str) -> bool:
        if reason not in self.UnsubscribeReason.values:
            return False
        return self._changed(self._this().move([self.Status.UNSUBSCRIBED], unsubscribe_reason=reason))

    def pause(self) -> bool:
        return self._changed(self._this().pause())

    def resume(self) -> bool:
        return self._changed(self._this().resume())

    def set_topics(self, topics) -> None:
        """Follow exactly `topics`, keeping the weights of topics already followed."""
        ids = {t.pk for t in topics}
        self.topic_weights.exclude(topic_id__in=ids).delete()
        existing = set(self.topic_weights.values_list("topic_id", flat=True))
        SubscriberTopic.objects.bulk_create(
            [SubscriberTopic(subscriber=self, topic_id=pk) for pk in sorted(ids - existing)]
        )

    def personal_data(self) -> dict:
        """Everything stored about this subscriber, for a data export."""
        fields = [
            "email", "status", "follow_keywords", "mute_keywords", "frequency", "weekday", "hour", "timezone",
            "paper_count", "only_with_code", "next_digest_at", "last_digest_at", "created_at", "updated_at",
            "confirmation_sent_at", "confirmed_at", "unsubscribed_at", "unsubscribe_reason",
        ]  # fmt: skip
        data = {name: _jsonable(getattr(self, name)) for name in fields}
        data["topics"] = [
            {"slug": w.topic.slug, "name": w.topic.name, "weight": w.weight}
            for w in sorted(self.topic_weights.all(), key=lambda w: w.topic.slug)
        ]
        data["consents"] = [
            {
                "given_at": _jsonable(c.given_at),
                "ip_address": c.ip_address,
                "user_agent": c.user_agent,
                "text_sha256": c.text_sha256,
                "topics": c.topics,
            }
            for c in self.consents.all()
        ]
        deliveries = self.deliveries.order_by("scheduled_for", "id").prefetch_related("items__paper", "feedback__paper")
        data["digests"] = [
            {
                "period": d.period,
                "status": d.status,
                "sent_at": _jsonable(d.sent_at),
                "papers": [
                    {"arxiv_id": i.paper.arxiv_id, "title": i.paper.title, "reason": i.reason}
                    for i in sorted(d.items.all(), key=lambda i: i.position)
                ],
                "feedback": [
                    {
                        "arxiv_id": f.paper.arxiv_id,
                        "direction": f.direction,
                        "given_at": _jsonable(f.created_at),
                        "topics": f.topics,
                        "muted_keyword": f.muted_keyword,
                    }
                    for f in d.feedback.all()
                ],
            }
            for d in deliveries
        ]
        # What the digest learned (newsletter's profile rows, read through their reverse relation).
        data["profile"] = [
            {
                "arxiv_id": v.paper.arxiv_id,
                "title": v.paper.title,
                "direction": v.direction,
                "source": v.source,
                "learned_at": _jsonable(v.updated_at),
            }
            for v in self.profile_votes.select_related("paper").order_by("created_at", "id")
        ]
        # Authors and organisations followed (newsletter's rows, read through their reverse relation).
        data["follows"] = [
            {"kind": f.kind, "name": f.name, "since": _jsonable(f.created_at)}
            for f in self.follows.order_by("created_at", "id")
        ]
        return data


def _jsonable(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


class ConsentEvidence:
    """What the reader saw and where they were when they opted in."""

    def __init__(self, text: str, ip_address: str | None = None, user_agent: str = ""):
        self.text = text
        self.ip_address = ip_address
        self.user_agent = user_agent[:1000]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def record(self, subscriber: "Subscriber") -> "Consent":
        return Consent.objects.create(
            subscriber=subscriber,
            ip_address=self.ip_address,
            user_agent=self.user_agent,
            text_sha256=self.sha256,
            topics=subscriber.topic_slugs,
        )


def weight_level(weight: float) -> str:
    """A topic weight in the reader's words: "less", "normal" or "more"."""
    if weight < 0.95:
        return "less"
    if weight > 1.05:
        return "more"
    return "normal"


class SubscriberTopic(models.Model):
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="topic_weights")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="subscriber_weights")
    weight = models.FloatField(default=1.0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscriber", "topic"], name="unique_subscriber_topic")]

    @property
    def level(self) -> str:
        return weight_level(self.weight)


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
