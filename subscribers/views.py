from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone

from papers.models import Paper


def home(request):
    since = timezone.localdate() - timedelta(days=7)
    papers = list(Paper.objects.visible().filter(trending_date__gte=since).order_by("-upvotes")[:20])
    return render(request, "subscribers/home.html", {"papers": papers})
