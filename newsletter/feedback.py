"""Feedback from the email: "more/less like this" teaches the reader's profile that one paper.

Topic weights are the reader's own setting on the preferences page (within bounds); a click no longer moves a
whole topic, so "less like this" on one paper lowers papers like it and leaves the rest of its topic alone.
"""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from newsletter import profile
from newsletter.models import Delivery, DeliveryItem, Feedback, ProfileVote
from papers.models import Paper, PaperTopic
from subscribers.models import Subscriber, SubscriberTopic
from subscribers.tokens import BadToken, make_token, read_link

MIN_WEIGHT = 0.25  # bounds of a topic weight
MAX_WEIGHT = 3.0
# The weights the preferences page sets for each plain word.
LEVELS = {"less": 0.5, "normal": 1.0, "more": 2.0}


def token_for(delivery_id: int, version: int = 0) -> str:
    """One signed token per delivery (for its reader's link `version`); the paper and the direction travel in
    the URL path beside it."""
    return make_token("feedback", delivery_id, version)


@dataclass
class Target:
    """What a feedback link points at, checked against the delivery's own items."""

    delivery: Delivery
    paper: Paper
    direction: str
    followed: list[str] = field(default_factory=list)  # names of the paper's topics the reader follows
    outside: list[str] = field(default_factory=list)  # names of its topics they don't follow

    @property
    def subscriber(self) -> Subscriber:
        return self.delivery.subscriber

    @property
    def more(self) -> bool:
        return self.direction == Feedback.Direction.MORE

    @property
    def keywords(self) -> list[str]:
        """The paper's Hugging Face keywords a reader may mute."""
        words = [w.strip().lower() for w in self.paper.ai_keywords or [] if isinstance(w, str) and w.strip()]
        return list(dict.fromkeys(w for w in words if len(w) <= 100))[:12]


def delivered(token: str, paper_id: int) -> DeliveryItem | None:
    """The digest item a paper's link (feedback, follow) points at, with its delivery, reader and paper; None when
    the link is forged, stale, revoked or names a paper that digest did not carry."""
    try:
        link = read_link("feedback", token)
    except BadToken:
        return None
    if not isinstance(link.payload, int):
        return None
    item = (
        DeliveryItem.objects.filter(delivery_id=link.payload, paper_id=paper_id)
        .select_related("delivery__subscriber", "paper")
        .first()
    )
    if item is None or item.delivery.subscriber.link_version != link.version:
        return None
    return item


def find_target(token: str, paper_id: int, direction: str) -> Target | None:
    """The delivery, paper and topics of a feedback link, or None when the link is forged or foreign."""
    if direction not in Feedback.Direction.values:
        return None
    item = delivered(token, paper_id)
    if item is None:
        return None
    target = Target(item.delivery, item.paper, direction)
    followed = dict(SubscriberTopic.objects.filter(subscriber=target.subscriber).values_list("topic_id", "weight"))
    scores = PaperTopic.objects.filter(paper=item.paper, score__gt=0, topic__active=True).select_related("topic")
    for row in scores.order_by("-score", "topic__position"):
        if row.topic_id in followed:
            target.followed.append(row.topic.name)
        else:
            target.outside.append(row.topic.name)
    return target


def existing(target: Target) -> Feedback | None:
    return Feedback.objects.filter(delivery=target.delivery, paper=target.paper).first()


def apply(target: Target) -> tuple[Feedback, bool]:
    """Record the feedback and teach the profile once; a replay of the same link changes nothing."""
    try:
        with transaction.atomic():
            feedback = Feedback.objects.create(delivery=target.delivery, paper=target.paper, direction=target.direction)
            profile.learn(target.subscriber.pk, target.paper.pk, target.direction, ProfileVote.Source.DIGEST)
    except IntegrityError:
        return existing(target), False
    return feedback, True


def mute(target: Target, feedback: Feedback, keyword: str) -> bool:
    """Mute one of the paper's HF keywords for this reader; only after a "less like this"."""
    keyword = keyword.strip().lower()
    if feedback.direction != Feedback.Direction.LESS or keyword not in target.keywords:
        return False
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=target.subscriber.pk)
        if keyword not in subscriber.mute_keywords:
            subscriber.mute_keywords = [*subscriber.mute_keywords, keyword]
            subscriber.save(update_fields=["mute_keywords", "updated_at"])
        Feedback.objects.filter(pk=feedback.pk).update(muted_keyword=keyword)
    return True


def outcome(direction: str) -> str:
    """What a click does, in the reader's words."""
    if direction == Feedback.Direction.MORE:
        return "You'll see more papers like this one."
    return "You'll see fewer papers like this one; the rest of its topics stay as they are."


def set_levels(subscriber: Subscriber, levels: dict[int, str]) -> int:
    """Set followed topics to the weight of a plain word; a topic whose word is unchanged keeps its weight."""
    changed = 0
    for row in SubscriberTopic.objects.filter(subscriber=subscriber, topic_id__in=levels):
        wanted = levels[row.topic_id]
        if wanted in LEVELS and row.level != wanted:
            changed += SubscriberTopic.objects.filter(pk=row.pk).update(weight=LEVELS[wanted])
    return changed


def reset(subscriber: Subscriber) -> None:
    """Weights back to 1, the learned profile emptied and the keywords muted from feedback unmuted; keywords muted
    on the form stay."""
    given = Feedback.objects.filter(delivery__subscriber=subscriber).exclude(muted_keyword="")
    with transaction.atomic():
        muted = set(given.values_list("muted_keyword", flat=True))
        SubscriberTopic.objects.filter(subscriber=subscriber).update(weight=1.0)
        row = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        row.mute_keywords = [w for w in row.mute_keywords if w not in muted]
        row.save(update_fields=["mute_keywords", "updated_at"])
        given.update(muted_keyword="")
        profile.forget_all(subscriber)
