from django.contrib import admin

from newsletter.claims import request_digest_now, resume_sending
from newsletter.models import Delivery, DeliveryItem, Feedback, ProfileVote, SendingSwitch
from newsletter.tasks import enqueue_batches


class DeliveryItemInline(admin.TabularInline):
    model = DeliveryItem
    fields = ["position", "paper", "reason", "fill"]
    raw_id_fields = ["paper"]
    extra = 0


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["subscriber", "period", "status", "sent_at", "attempts", "skip_reason"]
    list_filter = ["status", "period"]
    list_select_related = ["subscriber"]
    search_fields = ["subscriber__email", "message_id"]
    raw_id_fields = ["subscriber"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [DeliveryItemInline]
    actions = ["send_digest_now"]

    @admin.action(description="Send these readers a digest now (test send)", permissions=["change"])
    def send_digest_now(self, request, queryset):
        subscribers = {d.subscriber_id: d.subscriber for d in queryset.select_related("subscriber")}
        queued = 0
        for subscriber in subscribers.values():
            queued += request_digest_now(subscriber, on_commit=enqueue_batches) is not None
        self.message_user(request, f"Queued {queued} digest(s); readers already served this hour were left alone.")


@admin.register(SendingSwitch)
class SendingSwitchAdmin(admin.ModelAdmin):
    list_display = ["paused", "reason", "changed_at"]

    def has_add_permission(self, request):
        return False  # one row, made when the list is first opened (or by the dashboard's pause button)

    def changelist_view(self, request, extra_context=None):
        SendingSwitch.objects.get_or_create(id=1)
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not obj.paused:
            queued = resume_sending(f"resumed by {request.user.get_username()}", on_commit=enqueue_batches)
            self.message_user(request, f"Sending resumed: {len(queued)} held-back digest(s) queued.")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    """What readers said about papers from their digests; recorded by the feedback links, read-only here."""

    list_display = ["created_at", "direction", "paper", "delivery", "topics", "muted_keyword"]
    list_filter = ["direction"]
    list_select_related = ["paper", "delivery"]
    search_fields = ["paper__arxiv_id", "paper__title", "delivery__subscriber__email"]
    readonly_fields = ["delivery", "paper", "direction", "created_at", "topics", "muted_keyword"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ProfileVote)
class ProfileVoteAdmin(admin.ModelAdmin):
    """The papers that taught readers' profiles; the readers change them (preferences page), not the operator."""

    list_display = ["updated_at", "direction", "source", "paper", "subscriber"]
    list_filter = ["direction", "source"]
    list_select_related = ["paper", "subscriber"]
    search_fields = ["paper__arxiv_id", "paper__title", "subscriber__email"]
    readonly_fields = ["subscriber", "paper", "direction", "source", "created_at", "updated_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
