from django.urls import path

from subscribers import views

urlpatterns = [
    path("", views.home, name="home"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("resend/", views.resend, name="resend"),
    path("check-your-inbox/", views.check_inbox, name="check_inbox"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("preferences/<str:token>/", views.preferences, name="preferences"),
    path("preferences/<str:token>/pause/", views.pause_or_resume, {"pause": True}, name="pause"),
    path("preferences/<str:token>/resume/", views.pause_or_resume, {"pause": False}, name="resume"),
    # The data download and the deletion: asked for from the preferences page, opened by a fresh emailed link.
    path("preferences/<str:token>/my-data/", views.ask_for_account_link, {"action": "export"}, name="ask_export"),
    path("preferences/<str:token>/delete/", views.ask_for_account_link, {"action": "delete"}, name="ask_delete"),
    path("preferences/<str:token>/revoke-links/", views.revoke_links, name="revoke_links"),
    path("my-data/<str:token>.json", views.export_data, name="export_data"),
    path("delete/<str:token>/", views.delete, name="delete"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("unsubscribe/<str:token>/reason/", views.unsubscribe_reason, name="unsubscribe_reason"),
    path("unsubscribe/<str:token>/resubscribe/", views.resubscribe, name="resubscribe"),
]
