"""Admin for papers, topics and ingestion runs: moderation, re-tagging, "run now" and file upload.

Titles and errors are scraped text: they only ever reach templates through autoescaping or format_html.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import models, transaction
from django.db.models import Count, Prefetch
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from papers import tasks
from papers.ingest import detect_source, ingest_content, start_run
from papers.models import IngestionRun, Paper, PaperTopic, Topic
from papers.representation import represent_papers
from papers.tagging import retag, tagger


class AdminCSS:
    css = {"all": ["papers/admin.css"]}


class SourceFilter(admin.SimpleListFilter):
    title = "source"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return IngestionRun.Source.choices

    def queryset(self, request, queryset):
        # Sources is a short JSON list of known names; a quoted substring matches on SQLite and PostgreSQL alike.
        if self.value() in IngestionRun.Source.values:
            return queryset.filter(sources__icontains=f'"{self.value()}"')
        return queryset


class TopicForm(forms.ModelForm):
    class Meta:
        model = Topic
        fields = ["name", "slug", "description", "keywords", "arxiv_categories", "active", "position"]
        help_texts = {
            "keywords": "One keyword or phrase per line, matched case-insensitively as whole words (plurals too). "
            "End with * to match word beginnings (agent* matches agents, agentic). Start with “title:” for a word "
            "that only counts in titles. A title match weighs three times an abstract match. The learned tagger "
            "weighs these matches beside the paper's text: more keywords only ever add papers to the topic.",
            "arxiv_categories": "Space-separated arXiv categories, e.g. cs.CL cs.LG; q-bio* matches every q-bio one.",
        }


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    form = TopicForm
    list_display = ["name", "slug", "active", "paper_count", "keyword_count", "arxiv_categories", "tagged_by"]
    list_editable = ["active"]
    search_fields = ["name", "slug", "keywords"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["retag_all"]
    Media = AdminCSS

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(num_papers=Count("paper_scores"))

    @admin.display(description="papers", ordering="num_papers")
    def paper_count(self, topic):
        url = reverse("admin:papers_paper_changelist") + f"?topics__id__exact={topic.pk}"
        return format_html('<a href="{}">{}</a>', url, topic.num_papers)

    @admin.display(description="keywords")
    def keyword_count(self, topic):
        return len(topic.keyword_list)

    @admin.display(description="tagged by")
    def tagged_by(self, topic):
        # A topic made after the tagger was fitted has no learned weights: its keywords alone decide.
        return "learned model + keywords" if topic.slug in tagger().slugs else "keywords only"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if {"keywords", "arxiv_categories", "active"} & set(form.changed_data):
            self.message_user(request, "Keywords changed: use the action “Re-tag all papers” to apply them.")

    @admin.action(description="Re-tag all papers with the current topics")
    def retag_all(self, request, queryset):
        count = Paper.objects.count()
        transaction.on_commit(lambda: tasks.retag_papers.delay())
        self.message_user(request, f"Re-tagging all {count} papers in the background.", messages.SUCCESS)


def papers(count: int) -> str:
    return f"{count} paper" if count == 1 else f"{count} papers"


def flag_action(name: str, description: str, verb: str, **fields):
    """An admin action that sets moderation flags on the selected papers and says how many it changed."""

    def action(model_admin, request, queryset):
        count = queryset.update(**fields, updated_at=timezone.now())
        model_admin.message_user(request, f"{verb} {papers(count)}.", messages.SUCCESS)

    action.__name__ = name
    return admin.action(description=description)(action)


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["paper", "topic_badges", "upvotes", "trending_date", "flags"]
    list_display_links = ["paper"]
    list_filter = ["topics", SourceFilter, "trending_date", "hidden", "pinned", "primary_category"]
    search_fields = ["arxiv_id", "title", "abstract"]
    date_hierarchy = "trending_date"
    # Everything but moderation comes from the sources and is rewritten by the next ingestion.
    fieldsets = [
        ("Moderation", {"fields": ["hidden", "pinned", "topic_badges", "links"]}),
        ("Paper", {"fields": ["arxiv_id", "title", "abstract", "author_list", "published_at", "category_list"]}),
        (
            "Hugging Face",
            {
                "fields": [
                    "hf_listed_on",
                    "trending_date",
                    "upvotes",
                    "num_comments",
                    "github_stars",
                    "organization",
                    "submitted_by",
                    "keyword_list",
                ]
            },
        ),  # fmt: skip
        ("Record", {"fields": ["sources", "vector_model", "created_at", "updated_at"], "classes": ["collapse"]}),
    ]
    readonly_fields = [
        "topic_badges", "links", "arxiv_id", "title", "abstract", "author_list", "published_at", "category_list",
        "hf_listed_on", "trending_date", "upvotes", "num_comments", "github_stars", "organization", "submitted_by",
        "keyword_list", "sources", "vector_model", "created_at", "updated_at",
    ]  # fmt: skip
    actions = [
        flag_action("hide", "Hide selected papers (never shown or sent)", "Hid", hidden=True),
        flag_action("unhide", "Show selected papers again", "Unhid", hidden=False),
        flag_action("pin", "Pin selected papers", "Pinned", pinned=True),
        flag_action("unpin", "Unpin selected papers", "Unpinned", pinned=False),
        "retag_selected",
        "represent_selected",
    ]
    list_per_page = 50
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    Media = AdminCSS

    def get_queryset(self, request):
        scores = PaperTopic.objects.select_related("topic").order_by("-score")
        return super().get_queryset(request).prefetch_related(Prefetch("topic_scores", queryset=scores))

    @admin.display(description="paper", ordering="title")
    def paper(self, paper):
        return format_html('{}<br><span class="arxiv-id">arXiv {}</span>', paper.title, paper.arxiv_id)

    @admin.display(description="topics")
    def topic_badges(self, paper):
        badges = ((f"score {pt.score:.2f}", pt.topic.name) for pt in paper.topic_scores.all())
        return format_html_join(" ", '<span class="topic-badge" title="{}">{}</span>', badges)

    def has_add_permission(self, request):
        return False  # papers come from ingestion: a run, or an uploaded file

    @admin.display(description="authors")
    def author_list(self, paper):
        return f"{', '.join(paper.authors)} ({len(paper.authors)})" if paper.authors else "-"

    @admin.display(description="arXiv categories")
    def category_list(self, paper):
        return " ".join(paper.arxiv_categories) or "-"

    @admin.display(description="HF ai_keywords")
    def keyword_list(self, paper):
        return ", ".join(paper.ai_keywords) or "-"

    @admin.display(description="moderation")
    def flags(self, paper):
        flags = [name for name, on in (("hidden", paper.hidden), ("pinned", paper.pinned)) if on]
        return format_html_join(" ", '<span class="flag flag-{}">{}</span>', ((f, f) for f in flags))

    @admin.display(description="links")
    def links(self, paper):
        pairs = [("Hugging Face", paper.hf_url), ("arXiv", paper.arxiv_url), ("PDF", paper.pdf_url)]
        scraped = (("code", paper.github_repo), ("project", paper.project_page))
        pairs += [(label, url) for label, url in scraped if url.startswith(("https://", "http://"))]  # no javascript:
        return format_html_join(" · ", '<a href="{}" rel="noopener noreferrer">{}</a>', ((u, lbl) for lbl, u in pairs))

    @admin.action(description="Re-tag selected papers")
    def retag_selected(self, request, queryset):
        count = retag(queryset.values_list("pk", flat=True))
        self.message_user(request, f"Re-tagged {papers(count)} with the current topics.", messages.SUCCESS)


    @admin.action(description="Recompute text vectors of selected papers")
    def represent_selected(self, request, queryset):
        count = represent_papers(queryset.values_list("pk", flat=True))
        self.message_user(request, f"Computed the text vectors of {papers(count)}.", messages.SUCCESS)


class UploadForm(forms.Form):
    source = forms.ChoiceField(choices=[("", "Detect from the file"), *IngestionRun.Source.choices], required=False)
    file = forms.FileField(help_text="A saved HF daily papers JSON, HF papers HTML page, or arXiv Atom/RSS feed.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.PAPERS_MAX_RESPONSE_BYTES
        if upload.size > limit:
            raise forms.ValidationError(f"The file is {upload.size / 1e6:.1f} MB, over the {limit / 1e6:.1f} MB limit.")
        return upload


@admin.register(IngestionRun)
class IngestionRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "source", "status_badge", "created", "updated", "unchanged", "failed", "duration",
                    "first_error"]  # fmt: skip
    list_filter = ["status", "source", "trigger"]
    date_hierarchy = "started_at"
    fields = ["source", "trigger", "status_badge", "parameters", "started_at", "finished_at", "duration",
              "created", "updated", "unchanged", "failed", "errors_in_full"]  # fmt: skip
    readonly_fields = fields
    change_list_template = "admin/papers/ingestionrun/change_list.html"
    Media = AdminCSS

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="status", ordering="status")
    def status_badge(self, run):
        return format_html('<span class="run-status run-{}">{}</span>', run.status, run.get_status_display())

    @admin.display(description="duration")
    def duration(self, run):
        if not run.finished_at:
            return "running"
        return f"{(run.finished_at - run.started_at).total_seconds():.1f} s"

    @admin.display(description="first error")
    def first_error(self, run):
        return run.errors.splitlines()[0][:120] if run.errors else ""

    @admin.display(description="errors")
    def errors_in_full(self, run):
        return format_html('<pre class="run-errors">{}</pre>', run.errors) if run.errors else "none"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("run/", view(self.run_now_view), name="papers_ingestionrun_run"),
            path("upload/", view(self.upload_view), name="papers_ingestionrun_upload"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "sources": IngestionRun.Source.choices}
        return super().changelist_view(request, extra_context)

    def run_now_view(self, request):
        return _run_now(self, request)

    def upload_view(self, request):
        if not self.has_view_permission(request):
            return redirect("admin:index")
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            run = _ingest_upload(form.cleaned_data["source"], form.cleaned_data["file"])
            level = messages.ERROR if run.status == IngestionRun.Status.FAILED else messages.SUCCESS
            reason = f" {run.errors.splitlines()[0]}" if run.status == IngestionRun.Status.FAILED else ""
            what = f"Ingested {run.parameters['file']} as {run.source}: {run.summary}."
            self.message_user(request, what + reason, level)
            return redirect("admin:papers_ingestionrun_change", run.pk)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "title": "Ingest a saved file"}  # fmt: skip
        return TemplateResponse(request, "admin/papers/ingestionrun/upload.html", context)


def _run_now(model_admin: IngestionRunAdmin, request):
    source = request.POST.get("source") if request.method == "POST" else None
    if not model_admin.has_view_permission(request) or source not in IngestionRun.Source.values:
        model_admin.message_user(request, "Choose one of the sources to run.", messages.ERROR)
        return redirect("admin:papers_ingestionrun_changelist")
    run = start_run(source, {"requested_by": request.user.get_username()}, IngestionRun.Trigger.ADMIN)
    transaction.on_commit(lambda: tasks.ingest_source.delay(source, run_id=run.pk))
    model_admin.message_user(
        request,
        f"Queued a {run.get_source_display()} run (#{run.pk}); its result appears here when a worker is done.",
        messages.SUCCESS,
    )
    return redirect("admin:papers_ingestionrun_changelist")


def _ingest_upload(source: str, upload) -> IngestionRun:
    content = upload.read()
    source = source or detect_source(content)
    return ingest_content(source, content, parameters={"file": upload.name}, trigger=IngestionRun.Trigger.ADMIN)
