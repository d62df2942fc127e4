from django.contrib import admin

from newsletter.models import Delivery


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["subscriber", "period", "status", "sent_at", "attempts"]
    list_filter = ["status", "period"]
