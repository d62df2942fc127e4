"""The reader sees what their digest learned on the preferences page, picks papers, removes them, resets it all."""

import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.urls import reverse

from newsletter import profile
from newsletter.compose import preview
from newsletter.models import Feedback, ProfileVote
from subscribers.models import Subscriber, SubscriberTopic
from tests.factories import make_subscriber, make_topic
from tests.newsletter.corpus import corpus_paper, day_ids

NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)  # a Wednesday: this week's papers are Monday's and Tuesday's

pytestmark = [pytest.mark.django_db, pytest.mark.frozen(NOW)]

DAY = "2025-06-03"


@pytest.fixture(autouse=True)
def known_topics():
    make_topic("llm", "Language models"), make_topic("efficiency", "Efficient models")


@pytest.fixture
def week():
    """Twelve real papers trending this week, the most upvoted first."""
    ids = day_ids(DAY)[:12]
    return [
        corpus_paper(DAY, aid, {"llm": 0.8}, upvotes=100 - n, trending_date=NOW.date()) for n, aid in enumerate(ids)
    ]


def page(client, reader) -> str:
    return unescape(client.get(reverse("preferences", args=[reader.token("preferences")])).content.decode())


def pick(client, reader, papers):
    url = reverse("pick_papers", args=[reader.token("preferences")])
    return client.post(url, {"paper": [p.pk for p in papers]}, follow=True)


def picks(reader) -> list[tuple[int, str]]:
    return [(item.paper["id"], item.reason) for item in preview(reader, NOW).items]


def test_it_offers_this_weeks_trending_papers_to_pick_and_each_pick_counts_as_more_like_this(client, week):
    reader = make_subscriber(topics=["llm"])
    html = page(client, reader)
    assert "Pick a few papers you like" in html
    offered = [int(pid) for pid in re.findall(r'name="paper" value="(\d+)"', html)]
    assert offered == [p.pk for p in week[:8]]

    response = pick(client, reader, [week[2], week[5]])
    assert response.redirect_chain[-1][0].endswith("#learned")
    assert "your digests will lean towards papers like these" in unescape(response.content.decode())
    votes = set(ProfileVote.objects.filter(subscriber=reader).values_list("paper_id", "direction", "source"))
    assert votes == {(week[2].pk, "more", "picked"), (week[5].pk, "more", "picked")}
    html = page(client, reader)
    assert html.count("Liked</span>") == 2 and week[2].title in html
    assert str(week[2].pk) not in re.findall(r'name="paper" value="(\d+)"', html)  # not offered twice


def test_a_pick_of_an_unknown_or_hidden_paper_is_ignored_and_says_so(client, week):
    reader = make_subscriber(topics=["llm"])
    week[0].hidden = True
    week[0].save()
    url = reverse("pick_papers", args=[reader.token("preferences")])
    response = client.post(url, {"paper": [str(week[0].pk), "999999", "nonsense"]}, follow=True)
    assert "Nothing was picked" in response.content.decode()
    assert not ProfileVote.objects.exists()


def test_removing_a_liked_paper_on_the_preferences_page_undoes_its_effect(client, week):
    reader = make_subscriber(topics=["llm"], paper_count=5)
    control = make_subscriber(topics=["llm"], paper_count=5)
    # A few-step image-editing paper from months ago, close to this week's least upvoted one (also about that).
    old = corpus_paper("2024-08-02", "2408.00735", {"llm": 0.8}, trending_date=NOW.date() - timedelta(days=30))
    profile.learn(reader.pk, old.pk, Feedback.Direction.MORE, ProfileVote.Source.DIGEST)
    before = picks(control)
    assert week[11].pk not in dict(before)
    assert week[11].pk in dict(picks(reader))  # the liked paper pulled it up

    html = page(client, reader)
    assert f"Remove “{old.title}”" in html
    url = reverse("forget_paper", args=[reader.token("preferences"), old.pk])
    response = client.post(url, follow=True)
    assert f"Removed “{old.title}”" in unescape(response.content.decode())
    assert picks(reader) == before
    assert "Nothing yet" in page(client, reader)


def test_reset_clears_the_profile_the_topic_weights_and_the_keywords_muted_from_feedback(client, week):
    reader = make_subscriber(topics={"llm": 2.0}, paper_count=5, mute_keywords=["crypto"])
    control = make_subscriber(topics=["llm"], paper_count=5)
    pick(client, reader, week[3:6])
    response = client.post(reverse("reset_personalisation", args=[reader.token("preferences")]), follow=True)
    assert "nothing learned is kept" in response.content.decode()
    assert not ProfileVote.objects.filter(subscriber=reader).exists()
    assert SubscriberTopic.objects.get(subscriber=reader).weight == 1.0
    reader.refresh_from_db()
    assert reader.mute_keywords == ["crypto"]  # typed on the form, so kept
    assert picks(reader) == picks(control)


def test_the_profile_is_in_the_data_download_and_deleting_the_reader_deletes_it(client, week):
    reader = make_subscriber(topics=["llm"])
    pick(client, reader, week[:2])
    # The download and the deletion open from the short-lived links emailed to the address itself.
    data = json.loads(client.get(reverse("export_data", args=[reader.token("export")])).content)
    assert [(p["arxiv_id"], p["direction"], p["source"]) for p in data["profile"]] == [
        (week[0].arxiv_id, "more", "picked"),
        (week[1].arxiv_id, "more", "picked"),
    ]
    assert data["profile"][0]["title"] == week[0].title
    client.post(reverse("delete", args=[reader.token("delete")]), {"confirm": "yes"})
    assert not Subscriber.objects.filter(pk=reader.pk).exists()
    assert not ProfileVote.objects.exists()


def test_a_forged_link_changes_no_profile(client, week):
    reader = make_subscriber(topics=["llm"])
    pick(client, reader, week[:1])
    forged = reverse("forget_paper", args=[reader.token("unsubscribe"), week[0].pk])  # another purpose
    assert client.post(forged).status_code == 400
    assert client.post(reverse("pick_papers", args=["forged"]), {"paper": [week[1].pk]}).status_code == 400
    assert ProfileVote.objects.count() == 1


def test_the_page_shows_any_number_of_learned_papers_in_a_fixed_number_of_queries(
    client, week, django_assert_max_num_queries
):
    reader = make_subscriber(topics=["llm"])
    pick(client, reader, week[:2])
    with django_assert_max_num_queries(11):
        page(client, reader)
    pick(client, reader, week[2:12])
    with django_assert_max_num_queries(11):
        assert page(client, reader).count("Liked</span>") == 12


def test_the_admin_lists_what_readers_taught_their_profiles_read_only(admin_client, week):
    reader = make_subscriber("ada@example.com", topics=["llm"])
    profile.learn(reader.pk, week[0].pk, Feedback.Direction.LESS, ProfileVote.Source.DIGEST)
    page = admin_client.get(reverse("admin:newsletter_profilevote_changelist"))
    assert page.status_code == 200 and week[0].arxiv_id in page.content.decode() and b"ada@example.com" in page.content
    assert admin_client.get(reverse("admin:newsletter_profilevote_add")).status_code == 403
