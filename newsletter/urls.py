from django.contrib import admin
from django.urls import include, path

from newsletter import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("digests/send-now/<str:token>/", views.send_digest_now, name="send_digest_now"),
    path("digests/<str:token>/", views.digest_web, name="digest_web"),
    path("", include("subscribers.urls")),
]
