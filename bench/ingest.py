"""Measure ingestion: recorded Hugging Face responses scaled to DAYS days x PER_DAY papers, then an arXiv pass.

    .venv/bin/python -m bench.ingest [--days 50] [--per-day 100]   # uses DATABASE_URL; a throwaway test database

Three passes, each timed with its queries counted: every day's daily-papers response ingested (creates),
the same responses again (unchanged), and an arXiv enrichment pass: the recorded arXiv Atom entry
rewritten for every paper, 100 entries per response as the API answers an id_list (updates).
"""

import argparse
import json
import os
import re
import sys
import time
from datetime import date, timedelta

from bench.tagging import FIXTURES, ROOT

ARXIV_FIXTURE = "arxiv_api_query_transformer_cs.LG_2026-06-14.atom.xml"
ENTRIES_PER_RESPONSE = 100


def daily_responses(days: int, per_day: int) -> list[tuple[date, str]]:
    real = json.loads((FIXTURES / "real" / "hf_daily_papers_2025-10-01.indent2.json").read_bytes())
    first = date(2026, 1, 1)
    out = []
    for day in range(days):
        items = []
        for i in range(per_day):
            item = json.loads(json.dumps(real[(day + i) % len(real)]))
            item["paper"]["id"] = f"26{day // 28 + 1:02d}.{day * per_day + i:05d}"
            items.append(item)
        out.append((first + timedelta(days=day), json.dumps(items)))
    return out


def arxiv_responses(ids: list[str]) -> list[str]:
    """The recorded Atom feed with its entries replaced by one rewritten entry per id."""
    feed = (FIXTURES / "real" / ARXIV_FIXTURE).read_text()
    head, rest = feed.split("<entry>", 1)
    entry = "<entry>" + rest.split("</entry>", 1)[0] + "</entry>"
    real_id = re.search(r"abs/(\d{4}\.\d{4,5})", entry).group(1)
    out = []
    for start in range(0, len(ids), ENTRIES_PER_RESPONSE):
        entries = "".join(entry.replace(real_id, pid) for pid in ids[start : start + ENTRIES_PER_RESPONSE])
        out.append(f"{head}{entries}</feed>")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=50)
    parser.add_argument("--per-day", type=int, default=100)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsletter.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import get_runner

    settings.PAPERS_MAX_RESPONSE_BYTES = 1 << 30
    runner = get_runner(settings)(verbosity=0)
    old = runner.setup_databases()
    try:
        from papers.ingest import ingest_content
        from papers.models import Paper, Topic

        print(f"topics={Topic.objects.count()} database={connection.vendor}")
        # A worker loads the text model and the tagger once, at its first paper: time that apart.
        from papers.representation import represent
        from papers.tagging import tagger

        start = time.perf_counter()
        represent(["warm-up"])
        tagger()
        print(f"text model and tagger loaded once in {time.perf_counter() - start:.2f}s")
        daily = daily_responses(args.days, args.per_day)
        papers = args.days * args.per_day

        def timed(label: str, runs) -> None:
            queries = [0]

            def count(execute, sql, params, many, context):
                queries[0] += 1
                return execute(sql, params, many, context)

            summaries = []
            with connection.execute_wrapper(count):
                start = time.perf_counter()
                for run in runs:
                    summaries.append(run())
                elapsed = time.perf_counter() - start
            failed = [s.errors for s in summaries if s.errors]
            print(
                f"{label}: {len(summaries)} responses, {papers} papers in {elapsed:.2f}s = {papers / elapsed:.0f} "
                f"papers/s, {queries[0] / papers:.2f} queries per paper" + (f"; errors: {failed[:1]}" if failed else "")
            )

        def day_runs():
            return [lambda d=d, c=c: ingest_content("hf-daily", c, listed_on=d) for d, c in daily]

        timed("create", day_runs())
        timed("re-ingest", day_runs())
        ids = list(Paper.objects.order_by("id").values_list("arxiv_id", flat=True))
        timed("arxiv", [lambda c=c: ingest_content("arxiv", c) for c in arxiv_responses(ids)])
        described = Paper.objects.exclude(primary_category="").count()
        print(f"papers={Paper.objects.count()} described_by_arxiv={described}")
    finally:
        runner.teardown_databases(old)
    return 0


if __name__ == "__main__":
    sys.exit(main())
