"""django-post-office under bench/peers, run by it in the peer's own virtualenv (Paperboy never imports it).

setup: migrate, store the digest as one EmailTemplate (templates/post_office/)
run:   queue one email per recipient, rendered at delivery from a context of its own (the reader's
       papers, their links), then send them with post-office's own `send_queued_mail --processes 2`
       (5 threads each, its default batches of 100)
"""

import random
import time
from pathlib import Path

from peer_common import report, start

PAPERS_PER_MESSAGE = 7
QUEUE_CHUNK = 1000
TEMPLATES = Path(__file__).resolve().parent / "templates" / "post_office"
SITE = "https://paperboy.example.org"
REASONS = ["in your topics", "popular this week", "by an author you follow", "matches a keyword you follow"]


def context(n: int, address: str, papers: list[dict]) -> dict:
    """What the reader's email is rendered from: their own papers (a seeded draw) and their own links."""
    rng = random.Random(n)
    token = f"{n:06d}{rng.getrandbits(64):016x}"
    picks = [
        {
            **paper,
            "reason": rng.choice(REASONS),
            "more_url": f"{SITE}/feedback/{token}/{paper['id']}/more/",
            "less_url": f"{SITE}/feedback/{token}/{paper['id']}/less/",
        }
        for paper in rng.sample(papers, PAPERS_PER_MESSAGE)
    ]
    return {
        "name": address.split("@")[0],
        "papers": picks,
        "preferences_url": f"{SITE}/preferences/{token}/",
        "unsubscribe_url": f"{SITE}/unsubscribe/{token}/",
    }


def setup() -> None:
    from django.core.management import call_command
    from post_office.models import EmailTemplate

    call_command("migrate", verbosity=0)
    EmailTemplate.objects.update_or_create(
        name="digest",
        defaults={
            "subject": (TEMPLATES / "digest-subject.txt").read_text().strip(),
            "content": (TEMPLATES / "digest.txt").read_text(),
            "html_content": (TEMPLATES / "digest.html").read_text(),
        },
    )


def queue(recipients: list[str], papers: list[dict]) -> None:
    from post_office import mail
    from post_office.models import EmailTemplate

    template = EmailTemplate.objects.get(name="digest")
    for first in range(0, len(recipients), QUEUE_CHUNK):
        kwargs = []
        for n, address in enumerate(recipients[first : first + QUEUE_CHUNK], start=first):
            values = context(n, address, papers)
            headers = {
                "List-Unsubscribe": f"<{values['unsubscribe_url']}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
            kwargs.append(
                {
                    "recipients": [address],
                    "template": template,
                    "context": values,
                    "headers": headers,
                    "render_on_delivery": True,
                }
            )
        mail.send_many(kwargs)


def run(recipients: list[str], papers: list[dict]) -> None:
    from django.core.management import call_command
    from django.db.models import Count
    from post_office.models import STATUS, Email

    Email.objects.all().delete()
    start_queue = time.perf_counter()
    queue(recipients, papers)
    queued = time.perf_counter() - start_queue
    start_send = time.perf_counter()
    call_command("send_queued_mail", processes=2)
    sent = time.perf_counter() - start_send
    statuses = dict(Email.objects.values_list("status").annotate(n=Count("id")).order_by())
    report(queue_s=queued, send_s=sent, statuses={STATUS._fields[k]: v for k, v in statuses.items()})


def main() -> None:
    phase, workload = start()
    started = time.perf_counter()
    if phase == "setup":
        setup()
        report(setup_s=time.perf_counter() - started)
    else:
        run(workload["recipients"], workload["papers"])


if __name__ == "__main__":
    main()
