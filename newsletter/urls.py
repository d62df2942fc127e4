from django.contrib import admin
from django.urls import include, path

from newsletter import views
from newsletter.admin_site import dashboard_index

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # Provider webhooks (bounces, complaints) that feed the suppression list; basic auth from ANYMAIL_WEBHOOK_SECRET.
    path("anymail/", include("anymail.urls")),
    # The admin index, with the operator dashboard; every other admin page is the stock one.
    path("admin/", dashboard_index, name="dashboard"),
    path("admin/", admin.site.urls),
    path("digests/send-now/<str:token>/", views.send_digest_now, name="send_digest_now"),
    path("digests/<str:token>/", views.digest_web, name="digest_web"),
    path("", include("subscribers.urls")),
]
