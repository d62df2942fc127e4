"""The words of a pick: why a paper is in a reader's digest, as the email and the web version say it."""

from dataclasses import dataclass

from newsletter.pool import Candidate, Pool
from subscribers.models import weight_level

TITLE_CHARS = 60  # a liked paper's title in a reason is cut at a word before this


@dataclass(slots=True)
class Ranked:
    """What a pick's reason is made of: the paper, and what the ranking found in it for this reader."""

    candidate: Candidate
    matched: list[tuple[int, float]]  # followed topics of the paper, with score x weight
    keywords: list[str]  # followed keywords it mentions
    pinned: bool
    primary_topic: int | None  # the followed topic this pick counts against for variety
    liked: str = ""  # the title of the liked paper it is close to, when that moved it up
    mostly_liked: bool = False  # that closeness moved it up more than its topics and keywords


def tuned(entry: Ranked, topic_names: dict[int, str], weights: dict[int, float]) -> str:
    """Say so when the reader's feedback moved the weight of this paper's main topic."""
    name = topic_names.get(entry.primary_topic, "?")
    said = weight_level(weights.get(entry.primary_topic, 1.0))
    if said == "less":
        return f"Shown less: you asked for fewer {name} papers"
    if said == "more":
        return f"Shown more: you asked for more {name} papers"
    return ""


def close_to(title: str) -> str:
    """The reason part "Close to 'Medusa: simple LLM inference…', which you liked"."""
    title = " ".join(title.split())
    if len(title) > TITLE_CHARS:
        title = title[:TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",.:;") + "…"
    return f"Close to '{title}', which you liked"


def reason(entry: Ranked, topic_names: dict[int, str], weights: dict[int, float] | None = None) -> str:
    names = [topic_names.get(tid, "?") for tid, _ in sorted(entry.matched, key=lambda m: -m[1])]
    parts = []
    if entry.pinned:
        parts.append(f"Editor's pick for {names[0]}")
    if entry.liked and entry.mostly_liked:
        parts.append(close_to(entry.liked))
    if entry.keywords:
        parts.append("Mentions " + ", ".join(f"'{k}'" for k in entry.keywords))
    if names:
        parts.append(("Matches your topic: " if len(names) == 1 else "Matches your topics: ") + ", ".join(names))
    if entry.liked and not entry.mostly_liked:
        parts.append(close_to(entry.liked))
    if weights and entry.primary_topic is not None:
        parts.append(tuned(entry, topic_names, weights))
    return " · ".join(p for p in parts if p)


def trending_reason(daily: bool) -> str:
    return f"Top trending {'today' if daily else 'this week'}, outside your topics"


def followed_reason(pool: Pool, position: int, authors: tuple[str, ...], organizations: tuple[str, ...]) -> str:
    """Why a followed paper is picked, or "" when it is by none of these authors and organisations (name keys)."""
    organization, spelled = pool.name_keys()[position]
    parts = []
    if organization and organization in organizations:
        parts.append(f"From {pool.at[position].row['organization'].strip()}, which you follow")
    names = [spelled[key] for key in authors if key in spelled]
    if names:
        parts.append(f"New paper by {' and '.join(names)}, whom you follow")
    return " · ".join(parts)
