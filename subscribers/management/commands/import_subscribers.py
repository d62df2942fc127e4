from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from subscribers.importing import BadFile, import_subscribers, send_confirmations


class Command(BaseCommand):
    help = "Create or update subscribers from a CSV file with columns email,topics,frequency,weekday,hour,timezone."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV file; topics are space-separated slugs, weekday 0=Monday")
        parser.add_argument(
            "--confirmed", action="store_true", help="the addresses already opted in elsewhere: no confirmation email"
        )

    def handle(self, *args, file: Path, confirmed: bool, **options):
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        try:
            report = import_subscribers(content, confirmed=confirmed)
        except BadFile as exc:
            raise CommandError(f"{file}: {exc}") from None
        for line, email, reason in report.rejected:
            self.stderr.write(f"line {line}: {email or '(no email)'}: {reason}")
        if report.to_confirm:
            self.stdout.write(f"confirmation emails sent: {send_confirmations(report)}")
        self.stdout.write(report.summary)
