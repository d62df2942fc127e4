"""Prepare an installation to run: migrate, demo data, an admin account. Safe to run again."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Migrate, load the demo papers and make sure an admin account exists (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true", help="Skip loading the bundled demo papers")

    def handle(self, *args, no_demo=False, **options):
        check_admin_password()  # before anything changes: a refused password leaves the installation as it was
        self.stdout.write("Migrating the database...")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        if not no_demo:
            self.load_demo()
        admin_line = self.ensure_admin()
        self.stdout.write(admin_line)

    def load_demo(self) -> None:
        from papers.demo import load_demo_papers

        self.stdout.write("Loading the demo papers...")
        for line in load_demo_papers():
            self.stdout.write(f"  {line}")

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
