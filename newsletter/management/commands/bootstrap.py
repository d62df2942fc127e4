"""Prepare an installation to run: migrate, this week's papers (or the demo), an admin account. Safe to run again."""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from newsletter import local
from papers import http
from papers.backfill import DAYS, answered, catch_up, has_live_papers
from papers.demo import load_demo_papers
from papers.models import IngestionRun
from papers.representation import represent_papers


class Command(BaseCommand):
    help = (
        "Migrate, fetch the last 7 days of Hugging Face daily papers (the bundled demo papers when it does not "
        "answer) and make sure an admin account exists (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-fetch", action="store_true", help="Do not ask Hugging Face for the last 7 days")
        parser.add_argument("--no-demo", action="store_true", help="Never load the bundled demo papers")

    def handle(self, *args, no_fetch=False, no_demo=False, **options):
        check_admin_password()  # before anything changes: a refused password leaves the installation as it was
        for made in local.prepare(settings.VAR_DIR, filesystem_broker=not settings.REDIS_URL):
            self.stdout.write(f"Made {made}")
        self.stdout.write("Migrating the database...")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        live = False if no_fetch else self.fetch_recent()
        if not live and not no_demo and not has_live_papers():
            self.load_demo()
        self.represent()
        admin_line = self.ensure_admin()
        self.stdout.write(admin_line)

    def fetch_recent(self) -> bool:
        """The last days from Hugging Face, with short timeouts: someone is waiting for the site to start."""
        self.stdout.write(f"Fetching the last {DAYS} days of Hugging Face daily papers...")
        with http.impatient():
            runs = catch_up(trigger=IngestionRun.Trigger.CLI, report=lambda line: self.stdout.write(f"  {line}"))
        return answered(runs)

    def load_demo(self) -> None:
        self.stdout.write("Loading the bundled demo papers (the site says it is showing demo data)...")
        for line in load_demo_papers():
            self.stdout.write(f"  {line}")

    def represent(self) -> None:
        # Rows ingested before vectors existed (or by another model) get theirs; a no-op on a fresh database.
        count = represent_papers()
        if count:
            self.stdout.write(f"Computed the text vectors of {count} papers.")

    def ensure_admin(self) -> str:
        User = get_user_model()
        email = os.environ.get("ADMIN_EMAIL", "").strip() or "admin@localhost"
        password = os.environ.get("ADMIN_PASSWORD", "")
        username = email
        if User.objects.filter(username=username).exists():
            return f"Admin account: {username} (exists)"
        generated = not password
        password = password or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email=email, password=password)
        if generated:
            return f"Admin account created: {username} / {password}  (shown once; set ADMIN_PASSWORD to choose it)"
        return f"Admin account created: {username} (password from ADMIN_PASSWORD)"


def check_admin_password() -> None:
    """Refuse an ADMIN_PASSWORD that the password validators refuse, with their own words, in one line."""
    password = os.environ.get("ADMIN_PASSWORD", "")
    if not password:
        return  # a generated one is long and random
    email = os.environ.get("ADMIN_EMAIL", "").strip() or "admin@localhost"
    try:
        validate_password(password, get_user_model()(username=email, email=email))
    except ValidationError as exc:
        raise CommandError(f"ADMIN_PASSWORD is refused: {' '.join(exc.messages)}") from None
