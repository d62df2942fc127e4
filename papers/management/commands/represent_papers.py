"""`manage.py represent_papers [--all] [--batch N]`: compute the text vectors the stored papers lack."""

from django.core.management.base import BaseCommand, CommandError

from papers.models import Paper
from papers.representation import BATCH, model_name, represent_papers


class Command(BaseCommand):
    help = "Compute the text vector of every paper that has none (or one made by another model)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="recompute every paper's vector, not only stale ones")
        # Checked in handle() rather than by argparse's type=int, so a bad value gets a one-line reason.
        parser.add_argument("--batch", default=str(BATCH), help=f"papers per batch (default {BATCH})")

    def handle(self, *args, all=False, batch=str(BATCH), **options):
        try:
            size = int(batch)
            if size < 1:
                raise ValueError(batch)
        except ValueError:
            raise CommandError(f"--batch must be a whole number of at least 1, got {batch!r}") from None
        total = Paper.objects.count()
        which = "every paper" if all else "papers without a current vector"
        self.stdout.write(f"Representing {which} with {model_name()}...")

        def progress(done: int, todo: int) -> None:
            self.stdout.write(f"  {done}/{todo}")

        ids = Paper.objects.values_list("pk", flat=True) if all else None
        done = represent_papers(ids, batch=size, progress=progress)
        self.stdout.write(f"represented={done} up_to_date={total - done} model={model_name()}")
