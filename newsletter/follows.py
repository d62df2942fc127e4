"""Authors and organisations a reader follows: adding one (checked against the ingested papers), removing
one, the names a search box suggests, and each batch's follows in one query for ranking.

A name is matched by its key (papers.names.name_key), so a follow finds a paper whatever accents or case
either side was written with.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min

from newsletter.models import Follow
from papers.models import Paper
from papers.names import MAX_NAME, name_key
from subscribers.models import Subscriber

MAX_FOLLOWS = 100  # per reader: far more than a digest of 25 papers can honour
SUGGESTIONS = 8


@dataclass(frozen=True)
class Name:
    kind: str  # Follow.Kind
    name: str  # the most common spelling on the papers
    key: str
    papers: int


class FollowError(Exception):
    """The follow was refused; the message says why in one line and nothing was changed."""


_names_cache: dict[str, tuple[tuple, dict]] = {}  # this process's names, with the papers' version they were read at


def known_names() -> dict[tuple[str, str], Name]:
    """Every author and organisation of the visible papers, by (kind, key), with their paper counts.

    Read again only when the papers changed (their count, last id or latest `updated_at`: one aggregate query), so a
    reader typing in the box costs one small query per suggestion, not a scan of the archive.
    """
    version = tuple(
        Paper.objects.visible().aggregate(n=Count("id"), last=Max("id"), changed=Max("updated_at")).values()
    )
    cached = _names_cache.get("names")
    if cached and cached[0] == version:
        return cached[1]
    counts: Counter = Counter()
    spellings: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for authors, organization in Paper.objects.visible().values_list("authors", "organization"):
        names = [(Follow.Kind.AUTHOR, a) for a in authors or () if isinstance(a, str)]
        if organization:
            names.append((Follow.Kind.ORGANIZATION, organization))
        for kind, name in names:
            key = name_key(name)
            if key:
                counts[(kind, key)] += 1
                spellings[(kind, key)][name.strip()] += 1
    found = {
        (kind, key): Name(kind, spellings[(kind, key)].most_common(1)[0][0], key, n)
        for (kind, key), n in counts.items()
    }
    _names_cache["names"] = (version, found)
    return found


def suggest(query: str, limit: int = SUGGESTIONS) -> list[Name]:
    """Names containing `query` (as matched), the ones with most papers first; nothing for under two letters."""
    key = name_key(query)[:MAX_NAME]
    if len(key) < 2:
        return []
    found = [n for n in known_names().values() if key in n.key]
    found.sort(key=lambda n: (not n.key.startswith(key), -n.papers, n.key))
    return found[:limit]


def follow(subscriber: Subscriber, kind: str, name: str, known: Name | None = None) -> Follow:
    """Follow one author or organisation named on at least one paper; FollowError says why not.

    An empty `kind` (the search box's default) follows whichever the name is, the organisation first. `known`
    is the name as a paper gives it (a digest's follow link), which needs no search of the papers.
    """
    if kind and kind not in Follow.Kind.values:
        raise FollowError("Choose whether to follow an author or an organisation.")
    text = " ".join((name or "").split())
    if not text:
        raise FollowError("Type the name of an author or an organisation to follow.")
    if len(text) > MAX_NAME:
        raise FollowError(f"That name is too long: at most {MAX_NAME} characters.")
    key = name_key(text)
    if known is not None:
        found = known
    else:
        names = known_names()
        kinds = [kind] if kind else [Follow.Kind.ORGANIZATION, Follow.Kind.AUTHOR]
        found = next((names[(k, key)] for k in kinds if (k, key) in names), None)
    what = Follow.Kind(kind).label.lower() if kind else "author or organisation"
    if found is None:
        raise FollowError(f"No paper lists “{text}” as an {what}: check the spelling, or pick a suggested name.")
    kind = found.kind
    if subscriber.follows.filter(kind=kind, key=key).exists():
        raise FollowError(f"You already follow {found.name}.")
    if subscriber.follows.count() >= MAX_FOLLOWS:
        raise FollowError(f"You follow {MAX_FOLLOWS} names already: unfollow one first.")
    try:
        with transaction.atomic():
            return Follow.objects.create(subscriber=subscriber, kind=kind, name=found.name, key=key)
    except IntegrityError:  # the same follow from another tab, a moment earlier
        raise FollowError(f"You already follow {found.name}.") from None


def paper_names(paper: dict) -> list[tuple[str, str]]:
    """The names a digest card offers to follow, as (name, which) with `which` for the link's path: the
    organisation ("org"), the first author and the last one (often the lab's head) ("author-N")."""
    offers = []
    organization = (paper.get("organization") or "").strip()
    if organization:
        offers.append((organization, "org"))
    authors = [a for a in paper.get("authors") or () if isinstance(a, str) and a.strip()]
    for n in sorted({0, len(authors) - 1}) if authors else ():
        offers.append((authors[n].strip(), f"author-{n}"))
    return offers


def offered(paper: dict, which: str) -> Name | None:
    """The name a card's follow link `which` stands for, or None when the paper has no such name."""
    for name, slug in paper_names(paper):
        if slug == which:
            kind = Follow.Kind.ORGANIZATION if which == "org" else Follow.Kind.AUTHOR
            return Name(kind, name, name_key(name), 1)
    return None


def follows_name(subscriber: Subscriber, name: Name) -> bool:
    return subscriber.follows.filter(kind=name.kind, key=name.key).exists()


def unfollow(subscriber: Subscriber, follow_id: int) -> str | None:
    """Stop following one name; the name, or None when the reader did not follow it."""
    row = subscriber.follows.filter(id=follow_id).first()
    if row is None:
        return None
    row.delete()
    return row.name


def follows_for(subscriber_ids: list[int]) -> dict[int, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each reader's followed (author keys, organisation keys), sorted; readers following nothing are left out."""
    authors: dict[int, set[str]] = defaultdict(set)
    orgs: dict[int, set[str]] = defaultdict(set)
    for sid, kind, key in Follow.objects.filter(subscriber_id__any=subscriber_ids).values_list(
        "subscriber_id", "kind", "key"
    ):
        (authors if kind == Follow.Kind.AUTHOR else orgs)[sid].add(key)
    return {sid: (tuple(sorted(authors[sid])), tuple(sorted(orgs[sid]))) for sid in authors.keys() | orgs.keys()}


def most_followed(limit: int = 10) -> list[dict]:
    """The names most readers follow, for the dashboard: kind, name and the number of followers, one query."""
    return list(
        Follow.objects.values("kind", "key")
        .annotate(followers=Count("subscriber", distinct=True), name=Min("name"))
        .order_by("-followers", "kind", "key")
        .values("kind", "name", "followers")[:limit]
    )
