"""Rebuild the demo bundle from the recorded Hugging Face corpus (a development step, never run by the service).

    .venv/bin/python -m bench.demo_bundle ../shared/fixtures/corpus/hf_daily

Takes the days of papers/demo/__init__.py's DEMO_FIRST to DEMO_LAST, keeps every field the hf-daily
parser reads (and nothing it ignores: avatars, internal ids, media links), and writes them gzipped as
one JSON object of day -> that day's list, in the shape of `/api/daily_papers?date=…`.
"""

import gzip
import json
import os
import sys
from datetime import date, timedelta
from pathlib import Path

import django

PAPER_FIELDS = (
    "id", "title", "summary", "publishedAt", "submittedOnDailyAt", "upvotes", "githubRepo", "githubStars",
    "projectPage", "organization", "ai_keywords",
)  # fmt: skip
ITEM_FIELDS = ("publishedAt", "numComments", "thumbnail", "organization", "submitterOrganization")


def _name(value):
    return {k: value[k] for k in ("name", "fullname") if k in value} if isinstance(value, dict) else value


def slim(item: dict) -> dict:
    paper = item["paper"]
    kept = {k: paper[k] for k in PAPER_FIELDS if k in paper}
    kept["organization"] = _name(kept.get("organization"))
    kept["authors"] = [{"name": a["name"]} for a in paper.get("authors", []) if not a.get("hidden")]
    out = {k: _name(item[k]) for k in ITEM_FIELDS if k in item}
    if "submittedBy" in item:
        out["submittedBy"] = _name(item["submittedBy"])
    out["paper"] = {k: v for k, v in kept.items() if v is not None}
    return out


def build(corpus: Path, first: date, last: date) -> dict[str, list[dict]]:
    days = {}
    day = first
    while day <= last:
        path = corpus / f"hf_daily_papers_{day.isoformat()}.json"
        if path.exists():  # weekends have no file
            days[day.isoformat()] = [slim(item) for item in json.loads(path.read_text())]
        day += timedelta(days=1)
    return days


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsletter.settings")
    django.setup()
    # papers.demo loads models, so it can only be imported once Django is set up.
    from papers.demo import BUNDLE, DEMO_FIRST, DEMO_LAST

    days = build(Path(sys.argv[1]), DEMO_FIRST, DEMO_LAST)
    BUNDLE.write_bytes(gzip.compress(json.dumps(days, ensure_ascii=False, separators=(",", ":")).encode(), 9, mtime=0))
    print(f"{BUNDLE.name}: {len(days)} days, {sum(map(len, days.values()))} papers, {BUNDLE.stat().st_size} bytes")
