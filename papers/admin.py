from django.contrib import admin

from papers.models import IngestionRun, Paper, Topic


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "active", "position"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["arxiv_id", "title", "trending_date", "upvotes", "hidden", "pinned"]
    search_fields = ["arxiv_id", "title"]


@admin.register(IngestionRun)
class IngestionRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "source", "trigger", "status", "created", "updated", "unchanged", "failed"]
