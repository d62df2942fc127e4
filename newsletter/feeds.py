"""Atom feeds: this week's trending papers (all, or one topic) and a reader's own digests."""

from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from newsletter.models import Delivery, DeliveryItem
from newsletter.render import excerpt, shorten_authors
from papers.models import Paper, Topic
from subscribers.models import Subscriber

TRENDING_DAYS = 7
TRENDING_ITEMS = 30
PERSONAL_ITEMS = 100


def _day(value) -> datetime:
    return datetime.combine(value, time(), tzinfo=UTC)


class TrendingFeed(Feed):
    """The most upvoted papers of the last seven days."""

    feed_type = Atom1Feed

    def title(self, obj=None) -> str:
        about = f": {obj.name}" if obj else ""
        return f"{settings.SITE_NAME}: trending machine-learning papers{about}"

    def subtitle(self, obj=None) -> str:
        return f"The {TRENDING_ITEMS} most upvoted papers of the last {TRENDING_DAYS} days."

    def link(self, obj=None) -> str:
        return reverse("archive_index")

    def feed_url(self, obj=None) -> str:
        return reverse("topic_feed", args=[obj.slug]) if obj else reverse("trending_feed")

    def items(self, obj=None):
        since = timezone.now().date() - timedelta(days=TRENDING_DAYS - 1)
        papers = Paper.objects.visible().filter(trending_date__gte=since)
        if obj:
            papers = papers.filter(topic_scores__topic=obj, topic_scores__score__gt=0)
        return papers.order_by("-upvotes", "id").only(
            "arxiv_id", "title", "abstract", "authors", "upvotes", "trending_date", "updated_at"
        )[:TRENDING_ITEMS]

    def item_title(self, paper: Paper) -> str:
        return " ".join(paper.title.split())

    def item_description(self, paper: Paper) -> str:
        return f"▲ {paper.upvotes} upvotes. {excerpt(paper.abstract, 400)}"

    def item_link(self, paper: Paper) -> str:
        return paper.hf_url

    def item_guid(self, paper: Paper) -> str:
        return paper.arxiv_url

    def item_author_name(self, paper: Paper) -> str:
        return shorten_authors(paper.authors)

    def item_pubdate(self, paper: Paper) -> datetime:
        return _day(paper.trending_date)

    def item_updateddate(self, paper: Paper) -> datetime:
        return paper.updated_at


class TopicFeed(TrendingFeed):
    def get_object(self, request, slug: str) -> Topic:
        return get_object_or_404(Topic, slug=slug, active=True)


class PersonalFeed(Feed):
    """One reader's sent digests, one entry per paper with the reason it was picked."""

    feed_type = Atom1Feed

    def get_object(self, request, subscriber: Subscriber) -> Subscriber:
        return subscriber

    def title(self, obj: Subscriber) -> str:
        return f"Your {settings.SITE_NAME} digests"

    def link(self, obj: Subscriber) -> str:
        return reverse("home")

    def feed_url(self, obj: Subscriber) -> str:
        return reverse("personal_feed", args=[obj.token("feed")])

    def items(self, obj: Subscriber):
        return (
            DeliveryItem.objects.filter(delivery__subscriber=obj, delivery__status=Delivery.Status.SENT)
            .select_related("delivery", "paper")
            .order_by("-delivery__sent_at", "position")[:PERSONAL_ITEMS]
        )

    def item_title(self, item: DeliveryItem) -> str:
        return " ".join(item.paper.title.split())

    def item_description(self, item: DeliveryItem) -> str:
        return f"{item.reason}. {excerpt(item.paper.abstract, 400)}"

    def item_link(self, item: DeliveryItem) -> str:
        return item.paper.hf_url

    def item_guid(self, item: DeliveryItem) -> str:
        return f"urn:paperboy:delivery:{item.delivery_id}:paper:{item.paper_id}"

    item_guid_is_permalink = False

    def item_author_name(self, item: DeliveryItem) -> str:
        return shorten_authors(item.paper.authors)

    def item_pubdate(self, item: DeliveryItem) -> datetime:
        return item.delivery.sent_at or item.delivery.created_at
