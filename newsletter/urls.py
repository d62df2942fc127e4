from django.contrib import admin
from django.urls import include, path

from newsletter import admin_views, views
from newsletter.admin_site import dashboard_index

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # Provider webhooks (bounces, complaints) that feed the suppression list; basic auth from ANYMAIL_WEBHOOK_SECRET.
    path("anymail/", include("anymail.urls")),
    # The admin index, with the operator dashboard; every other admin page is the stock one.
    path("admin/", dashboard_index, name="dashboard"),
    path("admin/dashboard/", include(admin_views.urlpatterns)),
    path("admin/", admin.site.urls),
    path("digests/send-now/<str:token>/", views.send_digest_now, name="send_digest_now"),
    path("digests/<str:token>/", views.digest_web, name="digest_web"),
    path("feedback/<str:token>/<int:paper_id>/<str:direction>/", views.give_feedback, name="feedback"),
    path("personalisation/<str:token>/levels/", views.set_topic_levels, name="set_topic_levels"),
    path("personalisation/<str:token>/reset/", views.reset_personalisation, name="reset_personalisation"),
    path("personalisation/<str:token>/picks/", views.pick_papers, name="pick_papers"),
    path("personalisation/<str:token>/forget/<int:paper_id>/", views.forget_paper, name="forget_paper"),
    path("archive/", views.archive_index, name="archive_index"),
    path("archive/<str:week>/", views.archive_week, name="archive_week"),
    path("archive/<str:week>/<slug:slug>/", views.archive_topic, name="archive_topic"),
    path("feeds/trending.xml", views.trending_feed, name="trending_feed"),
    path("feeds/topics/<slug:slug>.xml", views.topic_feed, name="topic_feed"),
    path("feeds/<str:token>.xml", views.personal_feed, name="personal_feed"),
    path("", include("subscribers.urls")),
]
