from functools import wraps

from csp.decorators import csp_replace
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import condition, require_GET, require_http_methods, require_POST

from newsletter import archive, feedback, feeds, follows, health, profile
from newsletter.claims import request_digest_now
from newsletter.compose import preview, web_version
from newsletter.converters import row_id
from newsletter.models import Delivery
from newsletter.operations import render_preview
from newsletter.render import paper_view, personal_links
from newsletter.tasks import enqueue_batches
from papers.models import Topic
from subscribers.models import Subscriber
from subscribers.tokens import BadToken, read_link


@never_cache
@require_GET
def healthz(request):
    checks = {"database": health.database_ok(), "broker": health.broker_ok()}
    status = 200 if all(checks.values()) else 503
    return JsonResponse({name: "ok" if ok else "unreachable" for name, ok in checks.items()}, status=status)


def bad_link(request):
    """A signed link that does not verify (forged, cut short, another purpose, revoked, its row gone): 400, as
    the subscriber pages answer; a link to a subscription that has ended answers 410."""
    return render(request, "newsletter/bad_link.html", status=400)


def _record(purpose: str, token: str, queryset):
    """The row a signed link points at, or None for a forged, foreign, stale or revoked link.

    `queryset` holds subscribers, or deliveries with their subscriber: either way the link must carry the
    reader's current link version."""
    try:
        link = read_link(purpose, token)
    except BadToken:
        return None
    row = queryset.filter(pk=link.payload).first() if isinstance(link.payload, int) else None
    reader = row.subscriber if isinstance(row, Delivery) else row
    return row if reader is not None and reader.link_version == link.version else None


def bad_json_link(request):
    return JsonResponse({"error": "This link is not valid."}, status=400)


def reader_link(purpose: str, queryset, refuse=bad_link):
    """The view opens the row its signed link (the URL's `token`) points at: `view(request, row, token, ...)`.

    Any other link is answered by `refuse` (the bad-link page, 400) before the view runs."""

    def decorate(view):
        @wraps(view)
        def opened(request, token, **kwargs):
            row = _record(purpose, token, queryset)
            if row is None:
                return refuse(request)
            return view(request, row, token, **kwargs)

        return opened

    return decorate


@require_GET
@reader_link("digest", Delivery.objects.select_related("subscriber"))
def digest_web(request, delivery, token):
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
def preview_link(request, which: str, rest: str = ""):
    """Where every link of a preview or test send leads: it says so and opens nothing of the reader's."""
    return render(request, "newsletter/preview_link.html")


@require_http_methods(["GET", "POST"])
@reader_link("preferences", Subscriber.objects.receiving())
def send_digest_now(request, subscriber, token):
    """'Send me my digest now' from the preferences page. A GET only shows the button: scanners follow links."""
    if not preview(subscriber).items:
        state = "nothing"  # never "on its way" for an email the worker would skip
    elif request.method == "GET":
        state = "ask"
    else:
        state = "queued" if request_digest_now(subscriber, on_commit=enqueue_batches) else "already"
    context = {"subscriber": subscriber, "state": state, "token": token}
    return render(request, "newsletter/send_now.html", context)


# The preferences page shows this in a frame: the digest belongs to this app, the page to subscribers.
@never_cache
@require_GET
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": ["'self'"]})
@reader_link("preferences", Subscriber.objects.all())
def digest_preview(request, subscriber, token):
    """The reader's next digest as the admin preview composes it: subject, papers, reasons, and "send it now"."""
    digest, rendered = render_preview(subscriber)
    context = {"subscriber": subscriber, "digest": digest, "subject": rendered.subject, "token": token}
    return render(request, "newsletter/digest_preview.html", context)


def _feedback_page(request, target: feedback.Target, state: str):
    given = feedback.existing(target) if state != "ask" else None
    context = {
        "target": target,
        "state": state,
        "outcome": feedback.outcome(target.direction),
        "keywords": target.keywords if not target.more and given and not given.muted_keyword else [],
        "given": given,
        "preferences_token": target.subscriber.token("preferences"),
    }
    return render(request, "newsletter/feedback.html", context)


@require_http_methods(["GET", "POST"])
def give_feedback(request, token, paper_id, direction):
    """One-click "more/less like this". A GET only shows what will happen (scanners open links); the POST applies."""
    target = feedback.find_target(token, paper_id, direction)
    if target is None:
        return bad_link(request)
    if request.method == "GET":
        return _feedback_page(request, target, "already" if feedback.existing(target) else "ask")
    if "keyword" in request.POST:
        given = feedback.existing(target)
        keyword = request.POST["keyword"]
        if given and feedback.mute(target, given, keyword):
            messages.success(request, f"Muted: papers about '{keyword.strip().lower()}' will no longer be sent to you.")
        else:
            messages.error(request, "That keyword could not be muted: choose one of this paper's keywords.")
        return _feedback_page(request, target, "already")
    given, created = feedback.apply(target)
    return _feedback_page(request, target, "done" if created else "already")


@require_POST
@reader_link("preferences", Subscriber.objects.all())
def set_topic_levels(request, subscriber, token):
    """The preferences page's "more / normal / less" per followed topic."""
    levels = {}
    for name, value in request.POST.items():
        topic_id = row_id(name[6:]) if name.startswith("level-") else None
        if topic_id is not None:
            levels[topic_id] = value
    feedback.set_levels(subscriber, levels)
    messages.success(request, "Your topic weights are saved.")
    return redirect(reverse("preferences", args=[token]) + "#personalisation")


@require_POST
@reader_link("preferences", Subscriber.objects.all())
def reset_personalisation(request, subscriber, token):
    feedback.reset(subscriber)
    messages.success(request, "Your personalisation is reset: topics count the same again and nothing learned is kept.")
    return redirect(reverse("preferences", args=[token]) + "#personalisation")


def _to_learned(token: str):
    return redirect(reverse("preferences", args=[token]) + "#learned")


@require_POST
@reader_link("preferences", Subscriber.objects.all())
def pick_papers(request, subscriber, token):
    """The preferences page's "Pick a few papers you like": each ticked paper is a "more like this"."""
    ids = [int(value) for value in request.POST.getlist("paper") if value.isdigit()]
    learned = profile.pick(subscriber, ids)
    if learned:
        these = "these" if learned > 1 else "this one"
        messages.success(request, f"Thanks: your digests will lean towards papers like {these}.")
    else:
        messages.error(request, "Nothing was picked: tick at least one paper.")
    return _to_learned(token)


@require_POST
@reader_link("preferences", Subscriber.objects.all())
def forget_paper(request, subscriber, token, paper_id):
    """Remove one paper from what the digest learned; it stops counting at once."""
    title = profile.forget(subscriber, paper_id)
    if title is not None:
        messages.success(request, f"Removed “{title}”: it no longer shapes your digest.")
    return _to_learned(token)


@require_http_methods(["GET", "POST"])
def follow_from_digest(request, token, paper_id, which):
    """The "Follow Qwen" link under a digest's paper: a GET only asks (scanners open links), the POST follows once."""
    item = feedback.delivered(token, paper_id)
    paper = {"organization": item.paper.organization, "authors": item.paper.authors} if item else {}
    name = follows.offered(paper, which) if item else None
    if name is None:
        return bad_link(request)
    subscriber = item.delivery.subscriber
    state = "already" if follows.follows_name(subscriber, name) else "ask"
    if request.method == "POST" and state == "ask":
        try:
            follows.follow(subscriber, name.kind, name.name, known=name)
            state = "done"
        except follows.FollowError:  # followed a moment ago (a second click) or at the limit: say where it stands
            state = "already" if follows.follows_name(subscriber, name) else "full"
    context = {"name": name, "paper": item.paper, "state": state, "preferences_token": subscriber.token("preferences")}
    return render(request, "newsletter/follow.html", context)


@require_POST
@reader_link("preferences", Subscriber.objects.all())
def set_only_with_code(request, subscriber, token):
    """The preferences page's "only papers with code" switch."""
    subscriber.only_with_code = request.POST.get("only_with_code") == "on"
    subscriber.save(update_fields=["only_with_code", "updated_at"])
    if subscriber.only_with_code:
        messages.success(request, "Your digest now carries only papers that link their code.")
    else:
        messages.success(request, "Your digest carries papers with and without code again.")
    return redirect(reverse("preferences", args=[token]) + "#with-code")


def _to_follows(token: str):
    return redirect(reverse("preferences", args=[token]) + "#follows")


@require_POST
@reader_link("preferences", Subscriber.objects.all())
def follow_name(request, subscriber, token):
    """The preferences page's follow box: one author or organisation named on an ingested paper."""
    try:
        row = follows.follow(subscriber, request.POST.get("kind", ""), request.POST.get("name", ""))
    except follows.FollowError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"You follow {row.name}: their new papers come first in your digest.")
    return _to_follows(token)


@require_POST
@reader_link("preferences", Subscriber.objects.all())
def unfollow_name(request, subscriber, token, follow_id):
    name = follows.unfollow(subscriber, follow_id)
    if name is not None:
        messages.success(request, f"You no longer follow {name}.")
    return _to_follows(token)


@never_cache
@require_GET
@reader_link("preferences", Subscriber.objects.all(), refuse=bad_json_link)
def suggest_names(request, subscriber, token):
    """Names for the follow box as the reader types, with their paper counts (JSON, for the reader's page only)."""
    found = follows.suggest(request.GET.get("q", ""))
    return JsonResponse({"names": [{"kind": n.kind, "name": n.name, "papers": n.papers} for n in found]})


# Public archive pages: the same for everyone, so browsers and proxies may keep them a while.
ARCHIVE_MAX_AGE = 900


def _week_version(request, week: str = "", slug: str = "") -> str | None:
    monday = archive.parse_week(week) if week else None
    if week and monday is None:
        return None
    return archive.version(monday)


def archive_missing(request, what: str):
    return render(request, "newsletter/archive_missing.html", {"what": what}, status=404)


@require_GET
@cache_control(public=True, max_age=ARCHIVE_MAX_AGE)
@condition(etag_func=_week_version)
def archive_index(request):
    return render(request, "newsletter/archive_index.html", {"weeks": archive.weeks()})


@require_GET
@cache_control(public=True, max_age=ARCHIVE_MAX_AGE)
@condition(etag_func=_week_version)
def archive_week(request, week):
    monday = archive.parse_week(week)
    if monday is None:
        return archive_missing(request, f"“{week}” is not a past week. Weeks are written like 2026-W48.")
    context = {
        "week": archive.Week(monday),
        "top": archive.top_of_week(monday),
        "sections": archive.sections(monday),
    }
    return render(request, "newsletter/archive_week.html", context)


@require_GET
@cache_control(public=True, max_age=ARCHIVE_MAX_AGE)
@condition(etag_func=_week_version)
def archive_topic(request, week, slug):
    monday = archive.parse_week(week)
    topic = Topic.objects.filter(slug=slug, active=True).first()
    if monday is None or topic is None:
        return archive_missing(request, f"There is no archive page for “{week}/{slug}”.")
    section = next(iter(archive.sections(monday, [topic], per_topic=archive.TOPIC_PAGE)), None)
    context = {"week": archive.Week(monday), "topic": topic, "section": section}
    return render(request, "newsletter/archive_topic.html", context)


@require_GET
@cache_control(public=True, max_age=ARCHIVE_MAX_AGE)
def trending_feed(request):
    return feeds.TrendingFeed()(request)


@require_GET
@cache_control(public=True, max_age=ARCHIVE_MAX_AGE)
def topic_feed(request, slug):
    return feeds.TopicFeed()(request, slug=slug)


@require_GET
@cache_control(private=True, max_age=ARCHIVE_MAX_AGE)
@reader_link("feed", Subscriber.objects.all())
def personal_feed(request, subscriber, token):
    """A reader's digests as Atom; gone once they unsubscribe (a feed reader then stops asking)."""
    if subscriber.status not in (Subscriber.Status.ACTIVE, Subscriber.Status.PAUSED):
        return render(request, "newsletter/bad_link.html", status=410)
    return feeds.PersonalFeed()(request, subscriber=subscriber)
