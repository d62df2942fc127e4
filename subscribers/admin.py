import csv
import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from subscribers.importing import COLUMNS, BadFile, import_subscribers, send_confirmations
from subscribers.models import Consent, Subscriber, SubscriberTopic


class SubscriberTopicInline(admin.TabularInline):
    model = SubscriberTopic
    extra = 0
    verbose_name = "topic"


class ConsentInline(admin.TabularInline):
    """Evidence of opt-in: shown, never edited."""

    model = Consent
    extra = 0
    can_delete = False
    fields = readonly_fields = ["given_at", "ip_address", "user_agent", "text_sha256", "topics"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file", help_text=f"Columns: {','.join(COLUMNS)}; topics are space-separated slugs."
    )
    confirmed = forms.BooleanField(
        required=False, label="These addresses already opted in elsewhere (send no confirmation email)"
    )


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "status", "frequency", "timezone", "topic_list", "created_at", "next_digest_at"]
    list_filter = ["status", "topics", "frequency", "timezone"]
    search_fields = ["email"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "created_at", "updated_at", "confirmation_sent_at", "confirmed_at", "unsubscribed_at", "last_digest_at",
        "consecutive_failures", "confirm_nonce",
    ]  # fmt: skip
    inlines = [SubscriberTopicInline, ConsentInline]
    actions = ["pause", "unsubscribe", "export_csv", "export_personal_data"]
    change_list_template = "admin/subscribers/subscriber/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("topics")

    @admin.display(description="topics")
    def topic_list(self, subscriber: Subscriber) -> str:
        return " ".join(sorted(topic.slug for topic in subscriber.topics.all()))

    @admin.action(description="Pause digests of the selected subscribers", permissions=["change"])
    def pause(self, request, queryset):
        self.message_user(request, f"Paused {queryset.pause()} subscriber(s).", messages.SUCCESS)

    @admin.action(description="Unsubscribe the selected subscribers", permissions=["change"])
    def unsubscribe(self, request, queryset):
        self.message_user(request, f"Unsubscribed {queryset.unsubscribe()} subscriber(s).", messages.SUCCESS)

    @admin.action(description="Export the selected subscribers as CSV (importable)", permissions=["view"])
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="subscribers-{timezone.now():%Y%m%d-%H%M}.csv"'
        writer = csv.writer(response)
        writer.writerow([*COLUMNS, "status", "paper_count", "confirmed_at"])
        for s in queryset.prefetch_related("topics").order_by("email"):
            topics = " ".join(sorted(t.slug for t in s.topics.all()))
            confirmed = s.confirmed_at.isoformat() if s.confirmed_at else ""
            writer.writerow(
                [s.email, topics, s.frequency, s.weekday, s.hour, s.timezone, s.status, s.paper_count, confirmed]
            )
        return response

    @admin.action(description="Export personal data of the selected subscribers (JSON)", permissions=["view"])
    def export_personal_data(self, request, queryset):
        data = [
            s.personal_data() for s in queryset.prefetch_related("topic_weights__topic", "consents").order_by("email")
        ]
        response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json")
        response["Content-Disposition"] = 'attachment; filename="personal-data.json"'
        return response

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="subscribers_subscriber_import"), *super().get_urls()]

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        report, error, sent = None, "", 0
        if request.method == "POST" and form.is_valid():
            try:
                report = import_subscribers(form.cleaned_data["file"].read(), form.cleaned_data["confirmed"])
                sent = send_confirmations(report)
            except BadFile as exc:
                error = f"Nothing was imported: {exc}."
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import subscribers",
            "form": form,
            "report": report,
            "error": error,
            "sent": sent,
        }
        return TemplateResponse(request, "admin/subscribers/subscriber/import.html", context)
