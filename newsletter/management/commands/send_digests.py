"""Run the beat tick once, synchronously: claim due subscribers and send their digests in this process."""

from collections import Counter
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from newsletter import delivery
from newsletter.claims import batches, claim_and_sweep


def parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--now {value!r} is not an ISO-8601 date and time, e.g. 2026-11-30T08:00:00+00:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Claim the subscribers whose digest is due and send their digests now (the beat job, run once)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Pretend it is this moment (ISO-8601; UTC when no offset is given)")

    def handle(self, *args, now=None, **options):
        moment = parse_now(now)
        claimed, swept = claim_and_sweep(moment, on_commit=None)  # sent below, in this process
        counts = Counter()
        for batch in batches(claimed + swept):
            counts += delivery.send_deliveries(batch, moment).counts
        if counts["retry"]:
            self.stdout.write(f"{counts['retry']} deliveries failed for now and will be retried")
        failed = counts["failed"] + counts["retry"]
        self.stdout.write(f"due={len(claimed)} sent={counts['sent']} skipped={counts['skipped']} failed={failed}")
