from django.contrib import admin
from django.urls import include, path

from newsletter import admin_views, views
from newsletter.admin_site import dashboard_index

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # The admin index, with the operator dashboard; every other admin page is the stock one.
    path("admin/", dashboard_index, name="dashboard"),
    path("admin/dashboard/", include(admin_views.urlpatterns)),
    path("admin/", admin.site.urls),
    path("digests/send-now/<str:token>/", views.send_digest_now, name="send_digest_now"),
    path("digests/<str:token>/", views.digest_web, name="digest_web"),
    path("", include("subscribers.urls")),
]
