import json
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from papers.demo import demo_span
from subscribers import ratelimit, signup
from subscribers.client_ip import client_ip
from subscribers.forms import PreferencesForm, ResendForm, SubscribeForm
from subscribers.learned import learned_context
from subscribers.models import ConsentEvidence, Subscriber
from subscribers.showcase import trending_week
from subscribers.tokens import BadToken, read_token

# Sign-ups per IP address and per mailbox; beyond these, a request is refused (IP) or quietly sends nothing (mailbox).
IP_LIMIT = (10, 600)
ADDRESS_LIMIT = (5, 3600)


def home(request, form=None, status=200):
    context = {"form": form or SubscribeForm(), "week": trending_week(), "demo": demo_span()}
    return render(request, "subscribers/home.html", context, status=status)


def _ip_allowed(request, scope: str) -> bool:
    return ratelimit.allow(f"{scope}-ip", client_ip(request), *IP_LIMIT)


def _address_allowed(scope: str, address: str) -> bool:
    return ratelimit.allow(f"{scope}-address", address.lower(), *ADDRESS_LIMIT)


@require_POST
def subscribe(request):
    form = SubscribeForm(request.POST)
    if not _ip_allowed(request, "subscribe"):
        form.add_error(None, "Too many sign-ups from your network. Please try again in a few minutes.")
        return home(request, form, status=429)
    if not form.is_valid():
        return home(request, form, status=400)
    if not form.looks_automated() and _address_allowed("subscribe", form.cleaned_data["email"]):
        signup.request_subscription(form)
    return redirect("check_inbox")


@require_POST
def resend(request):
    form = ResendForm(request.POST)
    if not _ip_allowed(request, "resend"):
        form.add_error(None, "Too many requests from your network. Please try again in a few minutes.")
        return render(request, "subscribers/bad_link.html", {"form": form}, status=429)
    if not form.is_valid():
        return render(request, "subscribers/bad_link.html", {"form": form}, status=400)
    if not form.looks_automated() and _address_allowed("resend", form.cleaned_data["email"]):
        signup.request_new_link(form.cleaned_data["email"])
    return redirect("check_inbox")


@require_GET
def check_inbox(request):
    return render(request, "subscribers/check_inbox.html")


def bad_link(request, expired: bool = False):
    status = 410 if expired else 400
    return render(request, "subscribers/bad_link.html", {"expired": expired, "form": ResendForm()}, status=status)


def consent_evidence(request, subscriber: Subscriber) -> ConsentEvidence:
    """The consent text as the confirm page shows it, with where it was agreed to."""
    text = consent_text(subscriber)
    return ConsentEvidence(text, client_ip(request) or None, request.META.get("HTTP_USER_AGENT", ""))


def consent_text(subscriber: Subscriber) -> str:
    frequency = subscriber.pending_preferences.get("frequency", subscriber.frequency)
    context = {"subscriber": subscriber, "topics": subscriber.topics_to_confirm(), "frequency": frequency}
    context["site_name"] = settings.SITE_NAME
    return " ".join(render_to_string("subscribers/consent.txt", context).split())


@require_http_methods(["GET", "POST"])
def confirm(request, token):
    try:
        payload = read_token("confirm", token)
        subscriber = Subscriber.objects.from_link("confirm", token)
    except BadToken as exc:
        return bad_link(request, expired=exc.expired)
    nonce = payload.get("n", "")
    if not nonce or subscriber.confirm_nonce != nonce:
        return render(request, "subscribers/already_confirmed.html")
    # Link scanners open GET links, so only the button's POST confirms.
    if request.method == "POST" and subscriber.confirm(nonce, consent_evidence(request, subscriber)):
        messages.success(request, "Your subscription is confirmed. Welcome!")
        return redirect(reverse("preferences", args=[subscriber.token("preferences")]) + "#learned")
    if request.method == "POST":
        return render(request, "subscribers/already_confirmed.html")
    return render(request, "subscribers/confirm.html", {"subscriber": subscriber, "consent": consent_text(subscriber)})


def with_subscriber(purpose: str):
    """Give the view the subscriber named by a signed token for `purpose`, or answer with the bad-link page."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, token, *args, **kwargs):
            try:
                subscriber = Subscriber.objects.from_link(purpose, token)
            except BadToken as exc:
                return bad_link(request, expired=exc.expired)
            return view(request, subscriber, token, *args, **kwargs)

        return wrapper

    return decorator


@require_http_methods(["GET", "POST"])
@with_subscriber("preferences")
def preferences(request, subscriber, token):
    form = PreferencesForm.for_subscriber(subscriber, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        form.save_to(subscriber)
        messages.success(request, "Your preferences are saved.")
        return redirect("preferences", token=token)
    context = {"subscriber": subscriber, "form": form, "token": token}
    context["unsubscribe_token"] = subscriber.token("unsubscribe")
    context["feed_token"] = subscriber.token("feed")
    context["level_choices"] = [("less", "Less"), ("normal", "Normal"), ("more", "More")]
    context["weights"] = list(
        subscriber.topic_weights.select_related("topic").order_by("topic__position", "topic__name")
    )
    context.update(learned_context(subscriber))
    return render(request, "subscribers/preferences.html", context, status=400 if form.errors else 200)


@require_POST
@with_subscriber("preferences")
def pause_or_resume(request, subscriber, token, pause: bool):
    if pause and subscriber.pause():
        messages.success(request, "Your digest is paused. Resume it whenever you like.")
    elif not pause and subscriber.resume():
        messages.success(request, "Your digest is back on.")
    return redirect("preferences", token=token)


@require_GET
@with_subscriber("export")
def export_data(request, subscriber, token):
    response = HttpResponse(
        json.dumps(subscriber.personal_data(), indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="my-paperboy-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@with_subscriber("delete")
def delete(request, subscriber, token):
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        subscriber.delete()
        return render(request, "subscribers/deleted.html")
    error = "Tick the box to confirm that everything should be deleted." if request.method == "POST" else ""
    context = {"subscriber": subscriber, "token": subscriber.token("preferences"), "error": error}
    return render(request, "subscribers/delete.html", context, status=400 if error else 200)


# RFC 8058: mail providers POST "List-Unsubscribe=One-Click" with no cookies and no CSRF token.
# The signed token is what authorises the action, so this one view is exempt.
@csrf_exempt
@require_http_methods(["GET", "POST"])
@with_subscriber("unsubscribe")
def unsubscribe(request, subscriber, token):
    if request.method == "POST":
        subscriber.unsubscribe()
    context = {
        "subscriber": subscriber,
        "token": token,
        "preferences_token": subscriber.token("preferences"),
        "reasons": Subscriber.UnsubscribeReason.choices,
    }
    return render(request, "subscribers/unsubscribe.html", context)


@require_POST
@with_subscriber("unsubscribe")
def unsubscribe_reason(request, subscriber, token):
    if subscriber.record_unsubscribe_reason(request.POST.get("reason", "")):
        messages.success(request, "Thank you for telling us.")
    return redirect("unsubscribe", token=token)


@require_POST
@with_subscriber("unsubscribe")
def resubscribe(request, subscriber, token):
    """Subscribing again is a new opt-in: an old link may be in anyone's hands, the inbox is the owner's."""
    if signup.request_resubscription(subscriber):
        return render(request, "subscribers/link_sent.html", {"subscriber": subscriber, "what": "resubscribe"})
    return redirect("preferences", token=subscriber.token("preferences"))


# The reader's account: what a forwarded email must not give away. Each of these asks the inbox first.

ACCOUNT_LINK_LIMIT = (3, 3600)  # emails per reader and action per hour


@require_http_methods(["GET", "POST"])
@with_subscriber("preferences")
def ask_for_account_link(request, subscriber, token, action: str):
    """GET explains, POST emails a fresh link that opens the data download or the deletion."""
    context = {"subscriber": subscriber, "token": token, "what": action}
    if request.method == "GET":
        return render(request, "subscribers/account_link.html", context)
    if ratelimit.allow(f"account-{action}", str(subscriber.pk), *ACCOUNT_LINK_LIMIT):
        signup.email_account_link_later(subscriber, action)
    return render(request, "subscribers/link_sent.html", context)


@require_POST
@with_subscriber("preferences")
def revoke_links(request, subscriber, token):
    """Kill every link sent so far (this page's too) and email the new ones to the address itself."""
    subscriber.revoke_links()
    signup.email_account_link_later(subscriber, "new_links")
    return render(request, "subscribers/link_sent.html", {"subscriber": subscriber, "what": "new_links"})
