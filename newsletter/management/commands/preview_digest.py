"""Print the digest one subscriber would get now, without sending or recording anything."""

from django.core.management.base import BaseCommand, CommandError

from newsletter.compose import preview
from newsletter.management.commands.send_digests import parse_now
from newsletter.render import Renderer
from subscribers.models import Subscriber


class Command(BaseCommand):
    help = "Show the digest a subscriber would get now (text, or HTML with --html). Sends and records nothing."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--now", help="Pretend it is this moment (ISO-8601; UTC when no offset is given)")
        parser.add_argument("--html", action="store_true", help="Print the HTML version instead of the text")

    def handle(self, *args, email, now=None, html=False, **options):
        moment = parse_now(now)
        subscriber = Subscriber.objects.filter(email__iexact=email.strip()).first()
        if subscriber is None:
            raise CommandError(f"no subscriber with the email {email!r}")
        digest = preview(subscriber, moment)
        if not digest.items:
            self.stdout.write(f"Nothing new for {subscriber.email}: no digest would be sent")
            return
        rendered = Renderer().render(digest)
        self.stdout.write(f"Subject: {rendered.subject}\n")
        self.stdout.write(rendered.html if html else rendered.text)
        self.stdout.write(
            f"papers={len(digest.items)} new={digest.new_papers} html_bytes={len(rendered.html.encode())}"
        )
