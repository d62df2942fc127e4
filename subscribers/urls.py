from django.urls import path

from subscribers import views

urlpatterns = [
    path("", views.home, name="home"),
]
