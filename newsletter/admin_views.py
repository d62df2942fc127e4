"""The dashboard's operator controls: each a small staff-only view that does one thing and says what happened.

Everything that changes state is a POST with the CSRF token (the admin's own protection); GETs only show.
"""

import smtplib
from functools import wraps

from csp.decorators import csp_replace
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from newsletter import operations
from newsletter.claims import resume_sending
from newsletter.converters import row_id
from newsletter.models import SendingSwitch
from newsletter.tasks import enqueue_batches
from papers import tasks as paper_tasks
from papers.models import Paper
from subscribers.models import Subscriber

VIEW_SUBSCRIBERS = "subscribers.view_subscriber"


def staff_view(permission: str):
    """An admin view (staff login required, like every admin page) that also needs `permission`."""

    def decorate(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return admin.site.admin_view(checked)

    return decorate


def page(request, template: str, title: str, **context) -> TemplateResponse:
    return TemplateResponse(request, template, {**admin.site.each_context(request), "title": title, **context})


@staff_view("newsletter.change_sendingswitch")
@require_POST
def sending(request):
    """Pause or resume every digest: the switch the tick and the workers obey."""
    action = request.POST.get("action")
    if action not in ("pause", "resume"):
        messages.error(request, "Choose pause or resume.")
        return redirect("dashboard")
    reason = request.POST.get("reason", "").strip()[:200]
    if action == "pause":
        SendingSwitch.set(True, reason or f"paused by {request.user.get_username()}")
        messages.success(request, "Sending paused: the tick claims no digest and workers send none until you resume.")
    else:
        queued = resume_sending(f"resumed by {request.user.get_username()}", on_commit=enqueue_batches)
        messages.success(
            request,
            f"Sending resumed: {len(queued)} held-back digest(s) queued; readers who came due meanwhile get one "
            "digest at the next tick.",
        )
    return redirect("dashboard")


@staff_view("newsletter.change_delivery")
@require_POST
def retry(request):
    """Queue the failed deliveries of one period again."""
    period = request.POST.get("period", "").strip()
    if not period:
        messages.error(request, "Choose a period whose failed digests to retry.")
        return redirect("dashboard")
    result = operations.retry_failed(period, on_commit=enqueue_batches)
    if not result.queued and not result.left:
        messages.warning(request, f"No failed digest in {period}: nothing to retry.")
    else:
        left = f"; {result.left} left alone (their readers are no longer active)" if result.left else ""
        messages.success(request, f"Queued {result.queued} failed digest(s) of {period} again{left}.")
    return redirect("dashboard")


@staff_view("papers.change_topic")
@require_POST
def retag(request):
    """Re-score every paper with the topics as edited now, in the background."""
    count = Paper.objects.count()
    transaction.on_commit(lambda: paper_tasks.retag_papers.delay())
    what = "1 paper" if count == 1 else f"all {count:,} papers"
    messages.success(request, f"Re-tagging {what} in the background with the current topics.")
    return redirect("dashboard")


def _find_subscriber(request) -> Subscriber | None:
    """The subscriber named by ?email= (any case) or ?subscriber= (id); an error message when none matches."""
    email = request.GET.get("email", "").strip()
    pk = request.GET.get("subscriber", "").strip()
    if row_id(pk) is not None:
        found = Subscriber.objects.filter(pk=row_id(pk)).first()
    elif email:
        found = Subscriber.objects.by_email(email).first()
    else:
        return None
    if found is None:
        messages.error(request, f"No subscriber {email or '#' + pk}.")
    return found


@staff_view(VIEW_SUBSCRIBERS)
@require_GET
def preview(request):
    """Find a subscriber and show the digest they would get now: subject, reasons, text, and the HTML framed."""
    subscriber = _find_subscriber(request)
    digest = rendered = None
    if subscriber:
        digest, rendered = operations.render_preview(subscriber)
    return page(
        request,
        "admin/dashboard/preview.html",
        f"Digest preview: {subscriber.email}" if subscriber else "Preview a digest",
        subscriber=subscriber,
        digest=digest,
        rendered=rendered,
        query=subscriber.email if subscriber else request.GET.get("email", ""),
    )


# The email's styles are inlined attributes and a <style> block; the frame runs sandboxed (no scripts).
@staff_view(VIEW_SUBSCRIBERS)
@require_GET
@xframe_options_sameorigin
@csp_replace({"style-src": ["'self'", "'unsafe-inline'"], "frame-ancestors": ["'self'"]})
def preview_html(request, pk: int):
    """The HTML of a preview alone, for the sandboxed frame of the preview page."""
    _, rendered = operations.render_preview(get_object_or_404(Subscriber, pk=pk))
    return HttpResponse(rendered.html)


@staff_view("newsletter.change_delivery")
@require_POST
def send_test(request, pk: int):
    """Send the operator a copy of this subscriber's next digest, at the address of their own account."""
    subscriber = get_object_or_404(Subscriber, pk=pk)
    back = redirect(reverse("dashboard_preview") + f"?subscriber={pk}")
    to = request.user.email
    if not to:
        messages.error(request, "Your admin account has no email address: add one to your user to get test sends.")
        return back
    try:
        digest = operations.send_test(subscriber, to)
    except (smtplib.SMTPException, OSError) as exc:
        messages.error(request, f"The test was not sent: the mail server said {exc}.")
        return back
    if not digest.items:
        messages.warning(request, f"Sent a test to {to}; it has no papers: {subscriber.email} would get nothing now.")
    else:
        messages.success(request, f"Sent a test of {subscriber.email}'s digest ({len(digest.items)} papers) to {to}.")
    return back


@staff_view(VIEW_SUBSCRIBERS)
@require_GET
def subscriber_history(request, pk: int):
    record = operations.history(pk)
    if record is None:
        messages.error(request, f"No subscriber #{pk}.")
        return redirect("dashboard")
    return page(request, "admin/dashboard/history.html", f"History: {record['subscriber'].email}", **record)


@staff_view(VIEW_SUBSCRIBERS)
@require_GET
def find_history(request):
    subscriber = _find_subscriber(request)
    if subscriber is None:
        if not request.GET.get("email"):
            messages.error(request, "Type a subscriber's email address.")
        return redirect("dashboard")
    return redirect("dashboard_history", subscriber.pk)


urlpatterns = [
    path("sending/", sending, name="dashboard_sending"),
    path("retry/", retry, name="dashboard_retry"),
    path("retag/", retag, name="dashboard_retag"),
    path("preview/", preview, name="dashboard_preview"),
    path("preview/<id:pk>/html/", preview_html, name="dashboard_preview_html"),
    path("preview/<id:pk>/test/", send_test, name="dashboard_send_test"),
    path("history/", find_history, name="dashboard_find_history"),
    path("history/<id:pk>/", subscriber_history, name="dashboard_history"),
]
