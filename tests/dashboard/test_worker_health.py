from django.contrib.auth.models import User

from tests.conftest import wait_for
from tests.dashboard.conftest import figure, open_dashboard


def test_it_shows_a_running_worker_as_answering(celery_worker, client, settings):
    settings.WORKER_PING_TIMEOUT = 1.0
    client.force_login(User.objects.create_superuser("op", "op@example.com", "a long enough password"))

    def answered():
        # The worker needs a moment to start consuming; until then the tile honestly says none.
        return figure(open_dashboard(client), "workers") == "1"

    wait_for(answered, timeout=60, interval=0.5, message=f"a worker answer; its log:\n{celery_worker.output()[-2000:]}")
