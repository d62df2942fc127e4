from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from newsletter import admin_views, views
from newsletter.admin_site import dashboard_index
from newsletter.webhooks import webhook_urls

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # The configured provider's webhook (bounces, complaints) feeds the suppression list; basic auth from
    # ANYMAIL_WEBHOOK_SECRET. Other providers' endpoints are not mounted: they would only answer errors.
    path("anymail/", include((webhook_urls(settings.ANYMAIL_WEBHOOK_PROVIDER), "anymail"))),
    # The admin index, with the operator dashboard; every other admin page is the stock one.
    path("admin/", dashboard_index, name="dashboard"),
    path("admin/dashboard/", include(admin_views.urlpatterns)),
    path("admin/", admin.site.urls),
    path("digests/send-now/<str:token>/", views.send_digest_now, name="send_digest_now"),
    path("digests/preview/<str:token>/", views.digest_preview, name="digest_preview"),
    path("digests/<str:token>/", views.digest_web, name="digest_web"),
    path("feedback/<str:token>/<id:paper_id>/<str:direction>/", views.give_feedback, name="feedback"),
    path("feedback/<str:token>/<id:paper_id>/follow/<str:which>/", views.follow_from_digest, name="follow_from_digest"),
    path("personalisation/<str:token>/levels/", views.set_topic_levels, name="set_topic_levels"),
    path("personalisation/<str:token>/reset/", views.reset_personalisation, name="reset_personalisation"),
    # The links of a staff preview or test send: they lead here, never to the reader's pages.
    path("preview-link/<str:which>/", views.preview_link, name="preview_link"),
    path("preview-link/<str:which>/<path:rest>", views.preview_link, name="preview_link_more"),
    path("personalisation/<str:token>/picks/", views.pick_papers, name="pick_papers"),
    path("personalisation/<str:token>/forget/<id:paper_id>/", views.forget_paper, name="forget_paper"),
    path("follows/<str:token>/", views.follow_name, name="follow_name"),
    path("personalisation/<str:token>/with-code/", views.set_only_with_code, name="set_only_with_code"),
    path("follows/<str:token>/suggest/", views.suggest_names, name="suggest_names"),
    path("follows/<str:token>/<id:follow_id>/unfollow/", views.unfollow_name, name="unfollow_name"),
    path("archive/", views.archive_index, name="archive_index"),
    path("archive/<str:week>/", views.archive_week, name="archive_week"),
    path("archive/<str:week>/<slug:slug>/", views.archive_topic, name="archive_topic"),
    path("feeds/trending.xml", views.trending_feed, name="trending_feed"),
    path("feeds/topics/<slug:slug>.xml", views.topic_feed, name="topic_feed"),
    path("feeds/<str:token>.xml", views.personal_feed, name="personal_feed"),
    path("", include("subscribers.urls")),
]
