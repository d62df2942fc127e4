from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from newsletter import health
from newsletter.compose import web_version
from newsletter.models import Delivery
from newsletter.render import paper_view, personal_links
from newsletter.tick import request_digest_now
from subscribers.models import Subscriber
from subscribers.tokens import BadToken, read_token


@never_cache
@require_GET
def healthz(request):
    checks = {"database": health.database_ok(), "broker": health.broker_ok()}
    status = 200 if all(checks.values()) else 503
    return JsonResponse({name: "ok" if ok else "unreachable" for name, ok in checks.items()}, status=status)


def bad_link(request):
    return render(request, "newsletter/bad_link.html", status=404)


def _record(purpose: str, token: str, queryset):
    """The row a signed link points at, or None for a forged, foreign or stale link."""
    try:
        pk = read_token(purpose, token)
    except BadToken:
        return None
    return queryset.filter(pk=pk).first() if isinstance(pk, int) else None


@require_GET
def digest_web(request, token):
    delivery = _record("digest", token, Delivery.objects.select_related("subscriber"))
    if delivery is None:
        return bad_link(request)
    digest = web_version(delivery)
    cards = [{"paper": paper_view(item), "reason": item.reason, "fill": item.fill} for item in digest.items]
    context = {
        "digest": digest,
        "picked": [card for card in cards if not card["fill"]],
        "fill": [card for card in cards if card["fill"]],
        "links": personal_links(digest),
    }
    return render(request, "newsletter/digest_web.html", context)


@require_http_methods(["GET", "POST"])
def send_digest_now(request, token):
    """'Send me my digest now' from the preferences page. A GET only shows the button: scanners follow links."""
    subscriber = _record("preferences", token, Subscriber.objects.filter(status=Subscriber.Status.ACTIVE))
    if subscriber is None:
        return bad_link(request)
    if request.method == "GET":
        return render(request, "newsletter/send_now.html", {"subscriber": subscriber, "state": "ask"})
    state = "queued" if request_digest_now(subscriber) else "already"
    return render(request, "newsletter/send_now.html", {"subscriber": subscriber, "state": state})
