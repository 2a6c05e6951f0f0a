from django.contrib.auth import views as auth_views
from django.urls import include, path

from testprovider import views

urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("api/me", views.me),
    path("gmail/v1/users/me/messages", views.messages),
    path("test/stats", views.stats),
]
