"""arXiv: the API's Atom feed (`export.arxiv.org/api/query`, current and legacy formats) and the RSS
listing of a category (`rss.arxiv.org/rss/<cat>`).

The API reports a bad query as HTTP 400 with a feed holding one entry titled "Error"; that is an
unusable response, not a paper. Weekend RSS feeds have a channel and no items: a valid, empty day.
"""

import json
import re
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.conf import settings

from papers import http
from papers.records import PaperRecord, Parsed, RecordError, SourceError, clean_text, normalize_arxiv_id, parse_datetime

SOURCE = "arxiv"
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
# A code repository named in the authors' comment ("Code: https://github.com/org/repo"); a github.io project
# page is not code.
GITHUB_REPO = re.compile(r"https?://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


def unwrap(content: bytes | str) -> bytes | str:
    """The body of a recorded response saved as {"url", "status_code", "body"}; anything else unchanged."""
    if content.lstrip()[:1] not in (b"{", "{"):
        return content
    try:
        data = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise SourceError("not an arXiv feed: the file looks like JSON but is not valid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("body"), str):
        raise SourceError("not an arXiv feed: a JSON file without a recorded response body")
    return data["body"]


def _root(content: bytes | str) -> Element:
    if not content or not content.strip():
        raise SourceError("the response is empty")
    try:
        return fromstring(content)
    except DefusedXmlException as exc:
        raise SourceError(f"refused unsafe XML: {type(exc).__name__}") from None
    except (ParseError, UnicodeDecodeError, ValueError) as exc:
        raise SourceError(f"not valid XML (truncated, binary or HTML?): {clean_text(str(exc))[:120]}") from None


def _text(element: Element | None) -> str:
    return clean_text("".join(element.itertext())) if element is not None else ""


def _categories(terms: list[str]) -> list[str]:
    return list(dict.fromkeys(t for t in terms if t))


def _atom_record(entry: Element) -> PaperRecord:
    arxiv_id = normalize_arxiv_id(_text(entry.find(f"{ATOM}id")))
    title = _text(entry.find(f"{ATOM}title"))
    if not title:
        raise RecordError(f"{arxiv_id} has no title")
    categories = _categories([c.get("term", "") for c in entry.findall(f"{ATOM}category")])
    primary = entry.find(f"{ARXIV}primary_category")
    authors = [_text(a.find(f"{ATOM}name")) for a in entry.findall(f"{ATOM}author")]
    code = GITHUB_REPO.search(_text(entry.find(f"{ARXIV}comment")))
    return PaperRecord(
        arxiv_id=arxiv_id,
        source=SOURCE,
        title=title,
        abstract=_text(entry.find(f"{ATOM}summary")),
        authors=[a for a in authors if a] or None,
        published_at=parse_datetime(_text(entry.find(f"{ATOM}published"))),
        arxiv_categories=categories or None,
        primary_category=(primary.get("term") if primary is not None else None) or (categories or [None])[0],
        github_repo=code.group(0).rstrip(".") if code else None,
    )


def _parse_atom(feed: Element) -> Parsed:
    entries = feed.findall(f"{ATOM}entry")
    for entry in entries:
        if "/api/errors" in _text(entry.find(f"{ATOM}id")) or _text(entry.find(f"{ATOM}title")) == "Error":
            raise SourceError(f"arXiv API error: {_text(entry.find(f'{ATOM}summary')) or 'unknown'}")
    parsed = Parsed()
    for index, entry in enumerate(entries):
        parsed.add(lambda entry=entry: _atom_record(entry), f"entry {index + 1}")
    return parsed


def _rss_record(item: Element) -> PaperRecord:
    arxiv_id = normalize_arxiv_id(_text(item.find("guid")) or _text(item.find("link")))
    title = _text(item.find("title"))
    if not title:
        raise RecordError(f"{arxiv_id} has no title")
    description = _text(item.find("description"))
    _, found, abstract = description.partition("Abstract:")
    announce = _text(item.find(f"{ARXIV}announce_type"))
    pub_date = _text(item.find("pubDate"))
    categories = _categories([_text(c) for c in item.findall("category")])
    return PaperRecord(
        arxiv_id=arxiv_id,
        source=SOURCE,
        title=title,
        abstract=clean_text(abstract) if found else description,
        authors=[a for a in (clean_text(n) for n in _text(item.find(f"{DC}creator")).split(",")) if a] or None,
        # Only a "new" announcement is the first version; replacements keep their original date.
        published_at=parsedate_to_datetime(pub_date) if pub_date and announce == "new" else None,
        arxiv_categories=categories or None,
    )


def _parse_rss(rss: Element) -> Parsed:
    channel = rss.find("channel")
    if channel is None:
        raise SourceError("not an arXiv RSS feed: no channel")
    parsed = Parsed()
    for index, item in enumerate(channel.findall("item")):
        parsed.add(lambda item=item: _rss_record(item), f"item {index + 1}")
    return parsed


def parse(content: bytes | str) -> Parsed:
    """Records of one arXiv API Atom response or one arXiv RSS feed."""
    root = _root(unwrap(content))
    if root.tag == f"{ATOM}feed":
        return _parse_atom(root)
    if root.tag == "rss":
        return _parse_rss(root)
    raise SourceError(f"not an arXiv Atom or RSS feed (root element <{root.tag.rsplit('}', 1)[-1]}>)")


def fetch_ids(arxiv_ids: list[str]) -> bytes:
    """The API's Atom entries of these papers (a 400 answer carries the API's error entry)."""
    params = {"id_list": ",".join(arxiv_ids), "max_results": len(arxiv_ids)}
    return http.fetch(settings.PAPERS_ARXIV_API_URL, params, accept_status=(400,))


def fetch_category(category: str) -> bytes:
    """Today's RSS listing of one category, e.g. cs.CL (empty on weekends)."""
    if not re.fullmatch(r"[a-zA-Z\-]+(\.[A-Za-z\-]+)?", category):
        raise http.FetchError(f"not an arXiv category: {category!r}")
    return http.fetch(f"{settings.PAPERS_ARXIV_RSS_URL}/{category}")
