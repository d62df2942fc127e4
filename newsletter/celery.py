"""The Celery app: configured from Django settings (CELERY_*), tasks found in each app's tasks.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsletter.settings")
# One BLAS thread per worker process: the worker's processes already fill the cores, and the small matrix
# products of the reader profiles (newsletter/ranking.py) ran 1.7x slower with OpenBLAS threads competing.
# Set before NumPy is first imported, which is when OpenBLAS reads it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

app = Celery("newsletter")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
