from django.contrib import admin

from subscribers.models import Subscriber


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "status", "frequency", "timezone", "next_digest_at"]
    list_filter = ["status", "frequency"]
    search_fields = ["email"]
