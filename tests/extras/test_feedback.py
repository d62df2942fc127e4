import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.urls import reverse

from newsletter import delivery
from newsletter.compose import preview
from newsletter.feedback import token_for
from newsletter.models import Feedback, ProfileVote
from subscribers.models import Subscriber, SubscriberTopic
from subscribers.tokens import make_token, read_token
from tests.factories import make_delivery, make_paper, make_subscriber, make_topic

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.frozen(NOW)]

LINK_RE = re.compile(r'href="http://[^"]+(/feedback/[^"/]+/(\d+)/(more|less)/)"')


@pytest.fixture
def topics():
    return make_topic("vision", "Computer vision"), make_topic("llm", "Language models")


def weight(reader: Subscriber, slug: str) -> float:
    return SubscriberTopic.objects.get(subscriber=reader, topic__slug=slug).weight


def votes(reader: Subscriber) -> set[tuple[int, str]]:
    return set(ProfileVote.objects.filter(subscriber=reader).values_list("paper_id", "direction"))


def feedback_links(smtp_server, reader) -> dict[tuple[int, str], str]:
    """The feedback links of the reader's latest email, by (paper id, direction)."""
    html = smtp_server.handler.to(reader.email)[-1].message.get_body(("html",)).get_content()
    return {(int(pid), direction): path for path, pid, direction in LINK_RE.findall(html)}


def sent_digest(smtp_server, reader, period: str, now: datetime = NOW):
    d = make_delivery(reader, period)
    assert delivery.send_deliveries([d.id], now).counts["sent"] == 1
    return d


def test_every_paper_of_an_email_carries_more_and_less_links_signed_once_per_digest(smtp_server, topics):
    papers = [make_paper(topics={"vision": 1.0}, upvotes=n, trending_date=NOW.date()) for n in range(3)]
    reader = make_subscriber(topics=["vision"])
    d = sent_digest(smtp_server, reader, "2026-W48")
    links = feedback_links(smtp_server, reader)
    assert set(links) == {(p.id, way) for p in papers for way in ("more", "less")}
    assert {read_token("feedback", path.split("/")[2]) for path in links.values()} == {d.id}
    text = smtp_server.handler.to(reader.email)[-1].message.get_body(("plain",)).get_content()
    assert f"Less like this: http://127.0.0.1:8000{links[(papers[0].id, 'less')]}" in text
    assert reader.email not in "".join(links.values())


def test_a_scanners_get_changes_nothing_and_the_post_says_what_changed(client, smtp_server):
    make_topic("efficiency", "Efficient models"), make_topic("llm", "Language models")
    paper = make_paper(topics={"efficiency": 0.9, "llm": 0.5}, trending_date=NOW.date())
    reader = make_subscriber(topics=["efficiency", "llm"])
    sent_digest(smtp_server, reader, "2026-W48")
    url = feedback_links(smtp_server, reader)[(paper.id, "more")]

    page = client.get(url)
    assert page.status_code == 200
    assert "You'll see more papers like this one." in unescape(page.content.decode())
    assert b"data-autosubmit" in page.content and b"feedback.js" in page.content
    assert Feedback.objects.count() == 0 and votes(reader) == set()

    done = unescape(client.post(url).content.decode())
    assert "You'll see more papers like this one." in done
    assert votes(reader) == {(paper.id, "more")}
    assert weight(reader, "efficiency") == weight(reader, "llm") == 1.0  # one paper does not move a whole topic
    assert Feedback.objects.get().direction == "more"


def test_a_replayed_link_changes_nothing_more(client, smtp_server, topics):
    paper = make_paper(topics={"vision": 1.0}, trending_date=NOW.date())
    reader = make_subscriber(topics=["vision"])
    sent_digest(smtp_server, reader, "2026-W48")
    links = feedback_links(smtp_server, reader)
    client.post(links[(paper.id, "less")])
    again = client.post(links[(paper.id, "less")])
    other_way = client.post(links[(paper.id, "more")])
    assert b"pressing again changes nothing" in again.content
    assert "You already answered “less like this” for this paper; pressing again changes nothing" in unescape(
        other_way.content.decode()
    )
    assert votes(reader) == {(paper.id, "less")} and Feedback.objects.count() == 1


def test_each_click_teaches_the_profile_its_own_paper_and_replays_change_nothing(client, smtp_server, topics):
    reader = make_subscriber(topics=["vision", "llm"], paper_count=12)
    for n in range(12):
        make_paper(topics={"vision": 1.0, "llm": 1.0}, upvotes=n, trending_date=NOW.date())
    sent_digest(smtp_server, reader, "2026-W48")
    links = feedback_links(smtp_server, reader)
    ids = sorted({pid for pid, _ in links})
    for pid in ids[:6]:
        client.post(links[(pid, "less")])
    for pid in ids[6:]:
        client.post(links[(pid, "more")])
    learned = {(pid, "less") for pid in ids[:6]} | {(pid, "more") for pid in ids[6:]}
    assert votes(reader) == learned
    for pid in ids[6:]:
        assert client.post(links[(pid, "less")]).status_code == 200  # replays: nothing moves
    assert votes(reader) == learned
    assert weight(reader, "vision") == weight(reader, "llm") == 1.0
    assert Feedback.objects.count() == 12


def test_a_topic_set_to_less_ranks_lower_next_time_and_says_so(client, topics):
    reader = make_subscriber(topics=["vision", "llm"], paper_count=4)
    control = make_subscriber(topics=["vision", "llm"], paper_count=4)
    vision_id = topics[0].id
    levels = reverse("set_topic_levels", args=[make_token("preferences", reader.id)])
    client.post(levels, {f"level-{vision_id}": "less"})

    week2 = NOW + timedelta(days=7)
    for _ in range(2):
        make_paper(topics={"vision": 1.0}, upvotes=100, trending_date=week2.date(), title="A vision result")
        make_paper(topics={"llm": 1.0}, upvotes=50, trending_date=week2.date(), title="A language result")
    Subscriber.objects.filter(pk__in=[reader.pk, control.pk]).update(last_digest_at=week2 - timedelta(days=1))
    reader.refresh_from_db(), control.refresh_from_db()

    def titles(subscriber):
        return [i.paper["title"] for i in preview(subscriber, week2).items]

    assert titles(control) == ["A vision result"] * 2 + ["A language result"] * 2
    assert titles(reader) == ["A language result"] * 2 + ["A vision result"] * 2
    reasons = [i.reason for i in preview(reader, week2).items]
    assert reasons[2] == "Matches your topic: Computer vision · Shown less: you asked for fewer Computer vision papers"
    assert reasons[0] == "Matches your topic: Language models"


def test_less_like_this_can_mute_one_of_the_papers_hf_keywords(client, smtp_server, topics):
    paper = make_paper(topics={"vision": 1.0}, ai_keywords=["Gaussian Splatting", "NeRF"], trending_date=NOW.date())
    reader = make_subscriber(topics=["vision"], mute_keywords=["crypto"])
    sent_digest(smtp_server, reader, "2026-W48")
    url = feedback_links(smtp_server, reader)[(paper.id, "less")]
    page = client.post(url).content.decode()
    assert 'value="gaussian splatting"' in page and 'value="nerf"' in page
    assert b"could not be muted" in client.post(url, {"keyword": "not one of its keywords"}).content
    assert b"Muted: papers about" in client.post(url, {"keyword": "NeRF"}, follow=True).content
    reader.refresh_from_db()
    assert reader.mute_keywords == ["crypto", "nerf"]
    assert Feedback.objects.get().muted_keyword == "nerf"


def test_more_like_this_ignores_topics_the_reader_does_not_follow_and_says_where_to_add_them(
    client, smtp_server, topics
):
    make_topic("audio", "Speech & audio")
    paper = make_paper(topics={"audio": 1.0}, trending_date=NOW.date(), upvotes=500)
    reader = make_subscriber(topics=["vision"], paper_count=3)
    sent_digest(smtp_server, reader, "2026-W48")
    page = unescape(client.post(feedback_links(smtp_server, reader)[(paper.id, "more")]).content.decode())
    assert "It is about Speech & audio, which you don't follow yet" in page
    assert list(reader.topic_weights.values_list("topic__slug", "weight")) == [("vision", 1.0)]


def test_a_forged_or_foreign_feedback_link_is_refused(client, topics):
    paper = make_paper(topics={"vision": 1.0})
    other = make_paper(topics={"vision": 1.0})
    d = make_delivery(make_subscriber(topics=["vision"]))
    d.items.create(paper=paper, position=1, reason="Matches your topic: Computer vision")
    assert client.get(reverse("feedback", args=[token_for(d.id), paper.id, "less"])).status_code == 200
    for args in (
        [token_for(d.id), other.id, "less"],  # not in that digest
        [make_token("digest", d.id), paper.id, "less"],  # another purpose
        [token_for(d.id), paper.id, "sideways"],
        ["forged", paper.id, "more"],
    ):
        assert client.post(reverse("feedback", args=args)).status_code == 400
    assert Feedback.objects.count() == 0


def test_the_preferences_page_shows_weights_in_words_and_sets_them(client, topics):
    reader = make_subscriber(topics={"vision": 0.64, "llm": 1.0})
    token = make_token("preferences", reader.id)
    page = client.get(reverse("preferences", args=[token])).content.decode()
    vision_id = topics[0].id
    assert f'name="level-{vision_id}" value="less" checked' in page
    feed_token = re.search(r'href="/feeds/([^"/]+)\.xml"', page)[1]
    assert read_token("feed", feed_token) == reader.id
    client.post(
        reverse("set_topic_levels", args=[token]), {f"level-{vision_id}": "less", f"level-{topics[1].id}": "more"}
    )
    assert weight(reader, "vision") == 0.64  # its word did not change, so its weight did not either
    assert weight(reader, "llm") == 2.0
    client.post(reverse("set_topic_levels", args=[token]), {f"level-{vision_id}": "loads"})
    assert weight(reader, "vision") == 0.64


def test_reset_puts_weights_back_and_unmutes_only_keywords_muted_from_feedback(client, smtp_server, topics):
    paper = make_paper(topics={"vision": 1.0}, ai_keywords=["NeRF"], trending_date=NOW.date())
    reader = make_subscriber(topics=["vision", "llm"], mute_keywords=["crypto"])
    SubscriberTopic.objects.filter(subscriber=reader, topic__slug="llm").update(weight=2.5)
    sent_digest(smtp_server, reader, "2026-W48")
    url = feedback_links(smtp_server, reader)[(paper.id, "less")]
    client.post(url)
    client.post(url, {"keyword": "nerf"})
    response = client.post(reverse("reset_personalisation", args=[make_token("preferences", reader.id)]), follow=True)
    assert b"Your personalisation is reset" in response.content
    reader.refresh_from_db()
    assert reader.mute_keywords == ["crypto"]
    assert weight(reader, "vision") == weight(reader, "llm") == 1.0
    assert Feedback.objects.filter(delivery__subscriber=reader).count() == 1  # kept as history
    assert votes(reader) == set()  # the profile is emptied


def test_the_web_version_carries_the_same_feedback_links(client, smtp_server, topics):
    paper = make_paper(topics={"vision": 1.0}, trending_date=NOW.date())
    reader = make_subscriber(topics=["vision"])
    d = sent_digest(smtp_server, reader, "2026-W48")
    page = client.get(reverse("digest_web", args=[make_token("digest", d.id)])).content.decode()
    paths = {(int(pid), way): path for path, pid, way in LINK_RE.findall(page)}
    assert set(paths) == {(paper.id, "more"), (paper.id, "less")}
    assert client.post(paths[(paper.id, "less")]).status_code == 200
    assert votes(reader) == {(paper.id, "less")}


def test_the_admin_lists_feedback_read_only(admin_client, smtp_server, topics):
    paper = make_paper(topics={"vision": 1.0}, trending_date=NOW.date(), title="A vision paper")
    reader = make_subscriber(topics=["vision"])
    d = sent_digest(smtp_server, reader, "2026-W48")
    Feedback.objects.create(delivery=d, paper=paper, direction="less", topics=["Computer vision"])
    page = admin_client.get(reverse("admin:newsletter_feedback_changelist"))
    assert page.status_code == 200 and b"A vision paper" in page.content
    assert admin_client.get(reverse("admin:newsletter_feedback_add")).status_code == 403
