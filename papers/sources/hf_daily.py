"""Hugging Face daily papers API (`/api/daily_papers`): a JSON list of {paper: {...}, ...} records.

The 2024, 2025 and 2026 payloads differ: optional fields are absent rather than null, and only the
newer ones carry `submittedOnDailyAt` and `ai_keywords`, so every field is read defensively.
"""

import json
from datetime import date

from django.conf import settings

from papers import http
from papers.records import PaperRecord, Parsed, RecordError, SourceError, clean_text, normalize_arxiv_id, parse_datetime

SOURCE = "hf-daily"


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _url(value) -> str | None:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def _name(value) -> str | None:
    """An organization or user given as an object (name/fullname) or a plain string."""
    if isinstance(value, dict):
        value = value.get("fullname") or value.get("name")
    return clean_text(value)[:200] or None if isinstance(value, str) else None


def _authors(paper: dict) -> list[str]:
    authors = paper.get("authors")
    if not isinstance(authors, list):
        return []
    names = (a.get("name") for a in authors if isinstance(a, dict) and not a.get("hidden"))
    return [clean_text(n) for n in names if isinstance(n, str) and clean_text(n)]


def record_from_paper(paper: dict, source: str, listed_on: date | None = None) -> PaperRecord:
    """A record from an HF `paper` object (the daily API and the single paper page share its shape)."""
    if not isinstance(paper, dict):
        raise RecordError("record has no paper object")
    arxiv_id = normalize_arxiv_id(paper.get("id") if isinstance(paper.get("id"), str) else None)
    title = clean_text(paper.get("title") if isinstance(paper.get("title"), str) else "")
    if not title:
        raise RecordError(f"{arxiv_id} has no title")
    submitted = parse_datetime(paper.get("submittedOnDailyAt"))
    keywords = paper.get("ai_keywords")
    return PaperRecord(
        arxiv_id=arxiv_id,
        source=source,
        title=title,
        abstract=clean_text(paper.get("summary")) if isinstance(paper.get("summary"), str) else None,
        authors=_authors(paper) or None,
        published_at=parse_datetime(paper.get("publishedAt")),
        hf_listed_on=submitted.date() if submitted else listed_on,
        upvotes=_int(paper.get("upvotes")),
        github_repo=_url(paper.get("githubRepo")),
        github_stars=_int(paper.get("githubStars")),
        project_page=_url(paper.get("projectPage")),
        organization=_name(paper.get("organization")),
        ai_keywords=[clean_text(k) for k in keywords if isinstance(k, str)] if isinstance(keywords, list) else None,
    )


def record_from_item(item: dict, source: str, listed_on: date | None = None) -> PaperRecord:
    """A record from one element of the daily list: the paper plus the listing's own fields."""
    if not isinstance(item, dict):
        raise RecordError("record is not an object")
    if listed_on is None:
        # The 2024 schema has no submittedOnDailyAt; the listing's own publishedAt is the day it was listed.
        paper = item.get("paper") if isinstance(item.get("paper"), dict) else {}
        listed = None if "submittedOnDailyAt" in paper else parse_datetime(item.get("publishedAt"))
        listed_on = listed.date() if listed else None
    record = record_from_paper(item.get("paper"), source, listed_on)
    record.num_comments = _int(item.get("numComments"))
    record.thumbnail = _url(item.get("thumbnail"))
    record.submitted_by = _name(item.get("submittedBy"))
    record.organization = record.organization or _name(item.get("organization") or item.get("submitterOrganization"))
    return record


def load_json(content: bytes | str):
    """Decoded JSON, or SourceError with a one-line reason."""
    if not content or not content.strip():
        raise SourceError("the response is empty")
    try:
        return json.loads(content)
    except UnicodeDecodeError:
        raise SourceError("the response is not text (binary data)") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise SourceError(f"not valid JSON (truncated or corrupt): {exc.msg} at {where}") from None


def parse(content: bytes | str, listed_on: date | None = None) -> Parsed:
    """Records of one `/api/daily_papers` response; `listed_on` is the requested day, if any."""
    data = load_json(content)
    if isinstance(data, dict) and "error" in data:
        raise SourceError(f"Hugging Face answered with an error: {clean_text(str(data['error']))[:200]}")
    if not isinstance(data, list):
        raise SourceError(f"expected a JSON list of daily papers, got a JSON {type(data).__name__}")
    parsed = Parsed()
    for index, item in enumerate(data):
        parsed.add(lambda item=item: record_from_item(item, SOURCE, listed_on), f"record {index + 1}")
    return parsed


def fetch(day: date | None = None, week: str | None = None, max_pages: int = 20) -> list[bytes]:
    """Every page of the daily papers of one day (or ISO week, "2026-W48"; or the latest day when neither)."""
    limit = settings.PAPERS_HF_PAGE_SIZE
    params: dict = {"limit": limit}
    if day:
        params["date"] = day.isoformat()
    if week:
        params["week"] = week
    pages = []
    for page in range(max_pages):
        body = http.fetch(f"{settings.PAPERS_HF_URL}/api/daily_papers", {**params, "p": page})
        pages.append(body)
        try:
            items = load_json(body)
        except SourceError:
            break  # the parser reports it with the rest of the run
        if not isinstance(items, list) or len(items) < limit:
            break
    return pages
