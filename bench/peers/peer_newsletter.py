"""django-newsletter under bench/peers, run by it in the peer's own virtualenv (Paperboy never imports it).

setup: migrate, one Newsletter, one Message of ARTICLES articles (real paper texts), a subscription
       per recipient
run:   a Submission of the message to every subscription, marked ready as the admin's "submit" does,
       sent by django-newsletter's own `submit_newsletter` (one process, one rendering and one new
       SMTP connection per message)
"""

import time

from peer_common import report, start

ARTICLES = 3
SENDER = "paperboy@bench.example.org"


def setup(recipients: list[str], papers: list[dict]) -> None:
    from django.conf import settings
    from django.contrib.sites.models import Site
    from django.core.management import call_command
    from django.utils import timezone

    from newsletter.models import Article, Message, Newsletter, Subscription

    now = timezone.now()
    call_command("migrate", verbosity=0)
    Site.objects.filter(id=settings.SITE_ID).update(domain="paperboy.example.org", name="Paperboy")
    newsletter = Newsletter.objects.create(title="Paperboy bench", slug="bench", email=SENDER, sender="Paperboy")
    message = Message.objects.create(title="Papers of the week", slug="this-week", newsletter=newsletter)
    # An editor's pick of the week: papers with a short author list (the Llama 3 paper's would fill the message).
    picks = [paper for paper in papers if len(paper["authors"]) <= 10][:ARTICLES]
    for order, paper in enumerate(picks, start=1):
        text = f"<p>{', '.join(paper['authors'])}</p>\n<p>{paper['abstract']}</p>"
        Article.objects.create(post=message, sortorder=order * 10, title=paper["title"], text=text, url=paper["url"])
    # Subscription.save() only stamps the subscribe date for a new, subscribed row: bulk_create does the same.
    Subscription.objects.bulk_create(
        [
            Subscription(newsletter=newsletter, email_field=address, subscribed=True, subscribe_date=now)
            for address in recipients
        ],
        batch_size=5000,
    )


def run() -> None:
    from django.core.management import call_command

    from newsletter.models import Message, Submission

    start_queue = time.perf_counter()
    submission = Submission.from_message(Message.objects.get(slug="this-week"))
    submission.prepared = True
    submission.save()
    queued = time.perf_counter() - start_queue
    start_send = time.perf_counter()
    call_command("submit_newsletter", verbosity=0)
    sent = time.perf_counter() - start_send
    submission.refresh_from_db()
    report(queue_s=queued, send_s=sent, statuses={"submission sent": submission.sent})


def main() -> None:
    phase, workload = start()
    started = time.perf_counter()
    if phase == "setup":
        setup(workload["recipients"], workload["papers"])
        report(setup_s=time.perf_counter() - started)
    else:
        run()


if __name__ == "__main__":
    main()
