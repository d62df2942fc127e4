"""What every source turns one response into: plain records, free of Django, keyed on the arXiv id."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

# New-style ids (2407.21783) and old-style ones (astro-ph/0601001, math.AG/0309136).
ARXIV_ID = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})$")
_VERSION = re.compile(r"v\d+$")
_ABS_URL = re.compile(r"^(?:https?://)?(?:export\.)?arxiv\.org/(?:abs|pdf)/")


class SourceError(Exception):
    """The whole response cannot be read: the run fails with this one-line reason and no paper changes."""


class RecordError(Exception):
    """One record cannot be used: it is counted as failed with this reason; the rest of the response lands."""


def check_text(content: bytes | str) -> None:
    """SourceError unless `content` is non-empty UTF-8 text (a binary file, an image, a gzip stream are not)."""
    if not content or not content.strip():
        raise SourceError("the response is empty")
    if isinstance(content, bytes):
        head = content[:8192]
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # not merely a character cut at the end of the sample
                raise SourceError("the response is not text (binary data)") from None
        if b"\x00" in head:
            raise SourceError("the response is not text (binary data)")


def clean_text(value: str | None) -> str:
    """Collapse runs of whitespace (arXiv hard-wraps titles and abstracts) into single spaces."""
    return " ".join((value or "").split())


def normalize_arxiv_id(value: str | None) -> str:
    """The version-less arXiv id of an id, abs/pdf URL or OAI guid; RecordError when it is not one."""
    raw = clean_text(value)
    text = _ABS_URL.sub("", raw)
    text = text.removeprefix("oai:arXiv.org:").removeprefix("arXiv:").removesuffix(".pdf")
    text = _VERSION.sub("", text)
    if not ARXIV_ID.match(text):
        raise RecordError(f"not an arXiv id: {raw[:60]!r}" if raw else "record has no arXiv id")
    return text


def parse_datetime(value: str | None) -> datetime | None:
    """An ISO-8601 timestamp as sent by HF and arXiv (a trailing Z included), or None."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass
class PaperRecord:
    """One paper as one source reported it. None means "this source does not say"; it never erases data."""

    arxiv_id: str
    source: str
    title: str = ""
    abstract: str | None = None
    authors: list[str] | None = None
    published_at: datetime | None = None
    hf_listed_on: date | None = None
    upvotes: int | None = None
    num_comments: int | None = None
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    thumbnail: str | None = None
    organization: str | None = None
    submitted_by: str | None = None
    ai_keywords: list[str] | None = None
    arxiv_categories: list[str] | None = None
    primary_category: str | None = None


@dataclass
class Parsed:
    """What a source read from one response: usable records, and one reason per record it had to drop."""

    records: list[PaperRecord] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def add(self, build, label: str) -> None:
        """Append build()'s record, or note why it failed (`label` says which record)."""
        try:
            self.records.append(build())
        except RecordError as exc:
            self.failures.append(f"{label}: {exc}")
