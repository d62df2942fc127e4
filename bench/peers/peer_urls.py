"""URLs of the peers' throwaway project: django-newsletter's emails link to its own views."""

from django.conf import settings
from django.urls import include, path

urlpatterns = [path("newsletter/", include("newsletter.urls"))] if settings.PEER == "newsletter" else []
