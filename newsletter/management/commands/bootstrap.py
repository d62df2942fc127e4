"""Prepare an installation to run: migrate, demo data, an admin account. Safe to run again."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from papers.representation import represent_papers


class Command(BaseCommand):
    help = "Migrate, load the demo papers and make sure an admin account exists (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true", help="Skip loading the bundled demo papers")

    def handle(self, *args, no_demo=False, **options):
        self.stdout.write("Migrating the database...")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        if not no_demo:
            self.load_demo()
        self.represent()
        admin_line = self.ensure_admin()
        self.stdout.write(admin_line)

    def load_demo(self) -> None:
        from papers.demo import load_demo_papers

        self.stdout.write("Loading the demo papers...")
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
