"""Run the same work in several threads released at the same instant, each with its own DB connection."""

import threading

from django.db import connection


def run_together(work, count: int = 2) -> list:
    """Call `work()` in `count` threads at once; return their results, or raise the first error."""
    start = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            start.wait()
            results.append(work())
        except Exception as exc:  # re-raised in the test's thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
