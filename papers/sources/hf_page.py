"""Hugging Face papers HTML pages: the daily list (`/papers?date=...`) and a single paper (`/papers/<id>`).

The pages embed their data as JSON in the `data-props` attribute of Svelte components: `DailyPapers` on
the list, `PaperContent` on a paper page. When a layout change drops the props, the list falls back to
reading the `<article>` cards (title, id, upvotes, comments).
"""

import json
import re
from datetime import date

from bs4 import BeautifulSoup
from django.conf import settings

from papers import http
from papers.records import PaperRecord, Parsed, RecordError, SourceError, clean_text, normalize_arxiv_id, parse_datetime
from papers.sources.hf_daily import record_from_item, record_from_paper

SOURCE = "hf-page"
_PAPER_HREF = re.compile(r"^/papers/([^/?#]+)$")
_COUNT = re.compile(r"^\d[\d,]*$")


def _soup(content: bytes | str) -> BeautifulSoup:
    if not content or not content.strip():
        raise SourceError("the response is empty")
    if isinstance(content, bytes):
        if b"\x00" in content[:4096]:
            raise SourceError("the response is not text (binary data)")
        content = content.decode("utf-8", errors="replace")
    if "<" not in content[:4096]:
        raise SourceError("the response is not an HTML page")
    return BeautifulSoup(content, "lxml")


def _props(soup: BeautifulSoup, target: str) -> dict | None:
    element = soup.find(attrs={"data-target": target, "data-props": True})
    if element is None:
        return None
    try:
        props = json.loads(element["data-props"])
    except json.JSONDecodeError:
        raise SourceError(f"the {target} data on the page is not valid JSON") from None
    return props if isinstance(props, dict) else None


def _number(text: str) -> int | None:
    text = clean_text(text)
    return int(text.replace(",", "")) if _COUNT.match(text) else None


def _record_from_card(article, listed_on: date | None) -> PaperRecord:
    link = next((a for a in article.select("h3 a[href]") if _PAPER_HREF.match(a["href"])), None)
    if link is None:
        raise RecordError("card has no link to a paper")
    arxiv_id = normalize_arxiv_id(_PAPER_HREF.match(link["href"]).group(1))
    title = clean_text(link.get_text())
    if not title:
        raise RecordError(f"{arxiv_id} has no title")
    upvote_box = article.select_one("input[type=checkbox] ~ div")
    comments = article.select_one(f'a[href="/papers/{arxiv_id}#community"]')
    return PaperRecord(
        arxiv_id=arxiv_id,
        source=SOURCE,
        title=title,
        hf_listed_on=listed_on,
        upvotes=_number(upvote_box.get_text()) if upvote_box else None,
        num_comments=_number(comments.get_text()) if comments else None,
    )


def parse(content: bytes | str, listed_on: date | None = None) -> Parsed:
    """Records of a papers list page, or of a single paper page."""
    soup = _soup(content)
    parsed = Parsed()
    paper_page = _props(soup, "PaperContent")
    if paper_page is not None:
        comments = paper_page.get("comments")
        parsed.add(lambda: record_from_paper(paper_page.get("paper"), SOURCE), "paper")
        for record in parsed.records:
            record.num_comments = len(comments) if isinstance(comments, list) else None
        return parsed
    daily = _props(soup, "DailyPapers")
    if daily is not None and isinstance(daily.get("dailyPapers"), list):
        day = parse_datetime(daily.get("date"))
        listed_on = listed_on or (day.date() if day else None)
        for index, item in enumerate(daily["dailyPapers"]):
            parsed.add(lambda item=item: record_from_item(item, SOURCE, listed_on), f"record {index + 1}")
    else:
        for index, article in enumerate(soup.find_all("article")):
            parsed.add(lambda article=article: _record_from_card(article, listed_on), f"card {index + 1}")
    if not parsed.records and not parsed.failures:
        raise SourceError("no papers found on the page (not a Hugging Face papers page?)")
    return parsed


def fetch(day: date | None = None) -> bytes:
    """The papers list page of one day (the latest day when None)."""
    return http.fetch(f"{settings.PAPERS_HF_URL}/papers", {"date": day.isoformat()} if day else None)
