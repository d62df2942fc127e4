"""Measure ingestion speed and queries: N papers built from the real HF records, created then re-ingested.

.venv/bin/python -m bench.ingest [N]     # uses DATABASE_URL; writes into a throwaway test database
"""

import json
import os
import sys
import time

from bench.tagging import FIXTURES, ROOT


def records(n: int) -> str:
    real = json.loads((FIXTURES / "real" / "hf_daily_papers_2025-10-01.indent2.json").read_bytes())
    out = []
    for i in range(n):
        item = json.loads(json.dumps(real[i % len(real)]))
        item["paper"]["id"] = f"2611.{i:05d}"
        out.append(item)
    return json.dumps(out)


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsletter.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test.utils import get_runner

    settings.DEBUG = True  # count queries
    settings.PAPERS_MAX_RESPONSE_BYTES = 1 << 30
    runner = get_runner(settings)(verbosity=0)
    old = runner.setup_databases()
    try:
        from papers.ingest import ingest_content
        from papers.models import Topic

        print(f"topics={Topic.objects.count()} database={connection.vendor}")
        content = records(n)
        for label in ("create", "re-ingest"):
            reset_queries()
            start = time.perf_counter()
            run = ingest_content("hf-daily", content)
            elapsed = time.perf_counter() - start
            queries = len(connection.queries)
            print(f"{label}: {run.summary} in {elapsed:.2f}s = {n / elapsed:.0f} papers/s, {queries} queries")
    finally:
        runner.teardown_databases(old)
    return 0


if __name__ == "__main__":
    sys.exit(main())
