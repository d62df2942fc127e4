"""A reader's profile: the papers they said "more" and "less" to, learned one paper at a time.

Feedback links and the "pick a few papers you like" step write `ProfileVote` rows; a batch reads the
profiles of all its readers in one query, and ranking (`newsletter/ranking.py`) scores each paper by how
close its text vector is to those papers.
"""

from collections import defaultdict

from django.db import transaction

from newsletter.models import Feedback, ProfileVote
from newsletter.ranking import Profile
from papers.models import Paper
from subscribers.models import Subscriber

MAX_PICKS = 12  # papers one "pick a few papers you like" form may add at once


def learn(subscriber_id: int, paper_id: int, direction: str, source: str) -> None:
    """Teach the profile one paper; a later answer on the same paper replaces the earlier one."""
    ProfileVote.objects.update_or_create(
        subscriber_id=subscriber_id, paper_id=paper_id, defaults={"direction": direction, "source": source}
    )


def pick(subscriber: Subscriber, paper_ids: list[int]) -> int:
    """Papers the reader picked as liked (each one a "more like this"); unknown or hidden ids are ignored."""
    wanted = list(dict.fromkeys(paper_ids))[:MAX_PICKS]
    found = list(Paper.objects.visible().filter(id__in=wanted).values_list("id", flat=True))
    with transaction.atomic():
        for paper_id in found:
            learn(subscriber.pk, paper_id, Feedback.Direction.MORE, ProfileVote.Source.PICKED)
    return len(found)


def forget(subscriber: Subscriber, paper_id: int) -> str | None:
    """Remove one paper from the profile; its title, or None when it was not there."""
    vote = ProfileVote.objects.filter(subscriber=subscriber, paper_id=paper_id).select_related("paper").first()
    if vote is None:
        return None
    vote.delete()
    return vote.paper.title


def forget_all(subscriber: Subscriber) -> int:
    return ProfileVote.objects.filter(subscriber=subscriber).delete()[0]


def learned(subscriber: Subscriber) -> list[ProfileVote]:
    """The papers that taught this reader's profile, latest first, for the preferences page."""
    return list(ProfileVote.objects.filter(subscriber=subscriber).select_related("paper"))


def profiles_for(subscriber_ids: list[int]) -> tuple[dict[int, Profile], dict[int, str]]:
    """Each reader's profile (readers without one are left out) and the titles of the papers in them: one query."""
    liked: dict[int, list[int]] = defaultdict(list)
    disliked: dict[int, list[int]] = defaultdict(list)
    titles: dict[int, str] = {}
    rows = ProfileVote.objects.filter(subscriber_id__any=subscriber_ids).values_list(
        "subscriber_id", "paper_id", "direction", "paper__title"
    )
    for sid, pid, direction, title in rows:
        (liked if direction == Feedback.Direction.MORE else disliked)[sid].append(pid)
        titles[pid] = title
    profiles = {
        sid: Profile(tuple(sorted(liked.get(sid, ()))), tuple(sorted(disliked.get(sid, ()))))
        for sid in liked.keys() | disliked.keys()
    }
    return profiles, titles
