"""Render digests to subject, text and HTML.

Each template is rendered and CSS-inlined once per run with markers in place of everything personal;
per reader only the markers are filled with escaped values. A paper card is rendered and inlined once
per run however many readers get it.

The HTML is ASCII: every other character is written as a character reference (`&#9650;` for ▲), in the
shell and the cards once, in a reader's values as they are filled in. A browser shows the same page, and a
body held in one byte per character is measured and encoded for the wire by a copy instead of a UTF-8
transcoding of fifty kilobytes, twice per message.
"""

import functools
import re
from dataclasses import dataclass
from functools import cached_property
from html import escape  # what django.utils.html.escape calls, without its lazy-string wrapper per call
from pathlib import Path

import css_inline
from django.conf import settings
from django.core.signals import setting_changed
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse

from newsletter.compose import Digest, Item
from newsletter.feedback import token_for
from newsletter.follows import paper_names
from newsletter.scheduling import zone
from papers.models import paper_urls
from subscribers.tokens import make_token

CSS_PATH = Path(__file__).resolve().parent / "static" / "newsletter" / "digest.css"
MAX_HTML_BYTES = 100_000  # Gmail clips messages above ~102 KB
FULL_CARDS = 5  # cards that keep their abstract when a digest must shrink
EXCERPT_CHARS = 200  # two or three lines on a phone
AUTHORS_SHOWN = 3
SHELL_SLOTS = (
    "subject", "greeting", "summary", "period", "cards", "fill", "more", "why",
    "web_url", "preferences_url", "unsubscribe_url",
)  # fmt: skip


def marker(name: str) -> str:
    return f"PBSLOT{name}PBSLOT"


CARD_SLOTS = ("reason", "feedback")


@functools.cache
def slot_pattern(names: tuple[str, ...]) -> re.Pattern:
    return re.compile("PBSLOT(" + "|".join(map(re.escape, names)) + ")PBSLOT")


class Slots:
    """A text with markers for `names`, split at them once: filling it in joins its pieces and the values, with
    no search of the text (a digest fills three shells and twenty cards). Any other marker-like text, in a
    scraped title say, is text."""

    __slots__ = ("first", "rest")

    def __init__(self, text: str, names: tuple[str, ...]):
        parts = slot_pattern(names).split(text)
        self.first = parts[0]
        self.rest = tuple(zip(parts[1::2], parts[2::2], strict=True))  # (a slot's name, the text after it)

    def into(self, out: list[str], values: dict[str, str]) -> None:
        """Append the filled-in text to `out`, piece by piece."""
        out.append(self.first)
        for name, piece in self.rest:
            out.append(values[name])
            out.append(piece)

    def fill(self, values: dict[str, str]) -> str:
        out: list[str] = []
        self.into(out, values)
        return "".join(out)


def ascii_html(html: str) -> str:
    """`html` with every non-ASCII character as a numeric character reference (not for <style> or <script>)."""
    return html if html.isascii() else html.encode("ascii", "xmlcharrefreplace").decode("ascii")


def escape_html(text: str) -> str:
    """A reader's value as HTML text or attribute: escaped, in ASCII."""
    return ascii_html(escape(text))


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


TOKEN_SLOT = "PBTOKENPB"  # noqa: S105 (a placeholder in a reversed path, not a secret)


@functools.lru_cache(maxsize=32)
def _token_path(name: str, urlconf: str | None, prefix: str) -> str:
    return reverse(name, urlconf=urlconf, args=[TOKEN_SLOT])


def token_link(name: str, token: str) -> str:
    """The absolute URL of the page `name` for `token`: reversed once per process, not once per link."""
    return absolute(_token_path(name, get_urlconf(), get_script_prefix()).replace(TOKEN_SLOT, token))


def personal_links(digest: Digest) -> dict[str, str]:
    """The signed links of one reader's digest (the subscriber pages by their URL names, as `Subscriber` does).

    A digest not being delivered (a preview or a test send: no delivery row) gets `preview_links()` instead."""
    if not digest.delivery.id:
        return preview_links()
    sub_id = digest.subscriber.id
    version = digest.subscriber.link_version
    delivery_id = digest.delivery.id
    return {
        "web_url": token_link("digest_web", make_token("digest", delivery_id, version)),
        # Feedback links are this prefix + "<paper id>/more/" or "<paper id>/less/": one signature per digest.
        "feedback_url": absolute(f"/feedback/{token_for(delivery_id, version)}/"),
        "preferences_url": token_link("preferences", make_token("preferences", sub_id, version)),
        "unsubscribe_url": token_link("unsubscribe", make_token("unsubscribe", sub_id, version)),
    }


def preview_links() -> dict[str, str]:
    """Links that open nothing of the reader's: a preview or a test copy in a staff inbox must not be a key
    to the reader's preferences, feedback or unsubscribe. Each says it comes from a preview."""
    return {name: absolute(reverse("preview_link", args=[name.removesuffix("_url")])) for name in PERSONAL_LINKS}


PERSONAL_LINKS = ("web_url", "feedback_url", "preferences_url", "unsubscribe_url")


def stars(count: int | None) -> str:
    """GitHub stars as a card shows them: "870", "1.2k", "15k"; "" when unknown."""
    if not count:
        return ""
    if count < 1000:
        return str(count)
    return f"{count / 1000:.1f}k".replace(".0k", "k") if count < 10_000 else f"{count // 1000}k"


def shorten_authors(authors: list) -> str:
    names = [str(a) for a in authors or []]
    if len(names) > AUTHORS_SHOWN:
        return ", ".join(names[:AUTHORS_SHOWN]) + " et al."
    return ", ".join(names)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """About three lines of an abstract, cut at a word."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def web_link(url: str | None) -> str:
    """A scraped link only if it is http(s): a `javascript:` or `data:` URL is dropped, not escaped."""
    url = (url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else ""


def paper_view(item: Item, with_abstract: bool = True) -> dict:
    """What a card shows of a paper row."""
    row = item.paper
    arxiv_id = row["arxiv_id"]
    return {
        "title": " ".join(row["title"].split()),
        **paper_urls(arxiv_id),
        "code_url": web_link(row.get("github_repo")),
        "code_stars": stars(row.get("github_stars")),
        "authors": shorten_authors(row["authors"]),
        "excerpt": excerpt(row["abstract"]) if with_abstract else "",
        "badges": item.badges,
        "upvotes": row["upvotes"],
        "num_comments": row["num_comments"],
        "id": row["id"],
        "follow": paper_names(row),
    }


def greeting(digest: Digest) -> str:
    when = digest.delivery.scheduled_for
    hour = when.astimezone(zone(digest.subscriber.timezone)).hour if when else 9
    return "Good morning" if hour < 12 else "Good afternoon" if hour < 18 else "Good evening"


def summary(digest: Digest) -> str:
    picked = len(digest.items)
    papers = f"{picked} paper{'s' if picked != 1 else ''} picked for you"
    if digest.demo:
        return f"{papers} from {digest.new_papers} demo papers."
    return f"{papers} from {digest.new_papers} new {'today' if digest.daily else 'this week'}."


def why(digest: Digest) -> str:
    kind = "weekday" if digest.daily else "weekly"
    topics = digest.topics
    about = " and ".join([", ".join(topics[:-1]), topics[-1]] if len(topics) > 1 else topics) or "trending papers"
    return f"You get this email because you subscribed to the {kind} {settings.SITE_NAME} digest for {about}."


def period(digest: Digest) -> str:
    """'Week of 30 November 2026', and where the papers come from when they are the bundled demo."""
    label = digest.label[0].upper() + digest.label[1:]
    return f"{label} · Demo data: real papers of {digest.demo}" if digest.demo else label


def subject(digest: Digest) -> str:
    """'The week of 23 November 2026: <best paper> and 7 more'."""
    label = digest.label[0].upper() + digest.label[1:]
    if not digest.items:
        return label
    top = " ".join(digest.items[0].paper["title"].split())
    top = top if len(top) <= 60 else top[:57].rsplit(" ", 1)[0] + "…"
    others = len(digest.items) - 1
    return f"{label}: {top} and {others} more" if others else f"{label}: {top}"


@dataclass
class Rendered:
    subject: str
    text: str
    html: str


class Renderer:
    """Renders many digests; keeps the inlined shells and the paper cards it has rendered.

    `Renderer.shared()` is the one a worker process keeps across batches: a card belongs to the paper row
    it was rendered from, so an edited paper (a new row) gets a new card; the shells are dropped when
    settings change.
    """

    CARDS_LIMIT = 20_000
    _shared: "Renderer | None" = None

    @classmethod
    def shared(cls) -> "Renderer":
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    @classmethod
    def forget(cls, **kwargs) -> None:
        cls._shared = None

    def __init__(self):
        self.css = CSS_PATH.read_text()
        if not self.css.isascii():  # the shell is made ASCII with character references, which CSS does not read
            raise ValueError(f"{CSS_PATH.name} must be ASCII: write other characters as CSS escapes (\\25B2)")
        self.inliner = css_inline.CSSInliner(keep_at_rules=True)
        self._cards: dict[tuple, tuple[dict, Slots]] = {}

    def _context(self, **extra) -> dict:
        return {
            "site_name": settings.SITE_NAME,
            "postal_address": settings.POSTAL_ADDRESS,
            "css": self.css,
            **{name: marker(name) for name in SHELL_SLOTS},
            **extra,
        }

    @cached_property
    def html_shell(self) -> Slots:
        html = self.inliner.inline(render_to_string("newsletter/email/digest.html", self._context()))
        return Slots(ascii_html(html), SHELL_SLOTS)

    @cached_property
    def text_shell(self) -> Slots:
        return Slots(render_to_string("newsletter/email/digest.txt", self._context()), SHELL_SLOTS)

    @cached_property
    def subject_shell(self) -> Slots:
        subject = render_to_string("newsletter/email/digest-subject.txt", self._context(headline=marker("subject")))
        return Slots(subject, SHELL_SLOTS)

    def fragment(self, template: str, context: dict) -> str:
        return ascii_html(css_inline.inline_fragment(render_to_string(template, context), self.css))

    def card(self, item: Item, fmt: str, with_abstract: bool = True) -> Slots:
        """One paper's card (html or txt) with slots for the reader's reason line and feedback links."""
        row = item.paper
        # A card is a function of its row's values: a pool loaded again (every hour, or after an edit) brings
        # new rows, and a row equal to the one a card was rendered from keeps that card, so the cards of a
        # long-running worker do not pile up with its pools. An edited paper's row differs and gets a new card.
        key = (fmt, with_abstract, row["id"], tuple(item.badges))
        cached = self._cards.get(key)
        if cached is not None and cached[0] is not row:
            cached = (row, cached[1]) if cached[0] == row else None  # an equal row lets the older one go
            if cached:
                self._cards[key] = cached
        if cached is None:
            if len(self._cards) >= self.CARDS_LIMIT:
                self._cards.clear()
            context = {
                "paper": paper_view(item, with_abstract),
                **{name: marker(name) for name in CARD_SLOTS},
            }
            template = f"newsletter/email/_paper.{fmt}"
            card = (
                self.fragment(template, context)
                if fmt == "html"
                else render_to_string(template, context).strip("\n") + "\n\n"
            )
            self._cards[key] = cached = (row, Slots(card, CARD_SLOTS))
        return cached[1]

    def cards(self, items: list[Item], fmt: str, full: int | None = None, feedback: str = "") -> str:
        escape_text = escape_html if fmt == "html" else str
        values = {"feedback": escape_text(feedback)}
        out: list[str] = []
        for n, item in enumerate(items):
            values["reason"] = escape_text(item.reason)
            self.card(item, fmt, full is None or n < full).into(out, values)
        return "".join(out)

    def render(self, digest: Digest, links: dict[str, str] | None = None) -> Rendered:
        links = links or personal_links(digest)
        picked = [i for i in digest.items if not i.fill]
        fill = [i for i in digest.items if i.fill]
        fill_heading = "Also trending, outside your topics"
        values = {
            "subject": subject(digest),
            "greeting": greeting(digest),
            "summary": summary(digest),
            "period": period(digest),
            "why": why(digest),
            **links,
        }
        feedback = links.get("feedback_url", "")
        text = self.text_shell.fill(
            {
                **values,
                "cards": self.cards(picked, "txt", feedback=feedback),
                "fill": f"{fill_heading}:\n\n{self.cards(fill, 'txt', feedback=feedback)}" if fill else "",
                "more": "",
            },
        )
        html = self.html(values, picked, fill, fill_heading, links)
        return Rendered(self.subject_shell.fill(values).strip(), text, html)

    def html(self, values: dict, picked: list[Item], fill: list[Item], fill_heading: str, links: dict) -> str:
        """The HTML version, shrunk below MAX_HTML_BYTES: fewer abstracts first, then fewer cards."""
        escaped = {name: escape_html(value) for name, value in values.items()}
        section = self.fragment("newsletter/email/_section.html", {"heading": fill_heading}) if fill else ""
        feedback = links.get("feedback_url", "")
        full = None
        shown = len(picked) + len(fill)
        while True:
            shown_picked = picked[:shown]
            shown_fill = fill[: max(shown - len(picked), 0)]
            hidden = len(picked) + len(fill) - shown
            more = ""
            if hidden:
                label = f"{hidden} more paper{'s' if hidden != 1 else ''} on the web"
                more = self.fragment("newsletter/email/_more.html", {"url": links["web_url"], "label": label})
            html = self.html_shell.fill(
                {
                    **escaped,
                    "cards": self.cards(shown_picked, "html", full, feedback),
                    "fill": section + self.cards(shown_fill, "html", full, feedback) if shown_fill else "",
                    "more": more,
                },
            )
            # Every line ends in CRLF on the wire, where the clipping limit is counted.
            if len(html.encode()) + html.count("\n") <= MAX_HTML_BYTES or shown <= 1:
                return html
            if full is None:
                full = FULL_CARDS
            else:
                shown -= 1


setting_changed.connect(Renderer.forget)
setting_changed.connect(lambda **kwargs: _token_path.cache_clear())
