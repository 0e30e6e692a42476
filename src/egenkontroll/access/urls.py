"""URLs of the access pages: login and logout at the top level, the rest in the `access` namespace."""

from django.urls import include, path

from egenkontroll.access import views

access_patterns = [
    path("sok/", views.person_search, name="sok"),
    path("admin-anvandare/", views.user_list, name="anvandare"),
    path("admin-anvandare/ny/", views.user_create, name="anvandare-ny"),
    path("admin-anvandare/<int:user_id>/", views.user_detail, name="anvandare-detalj"),
    path("admin-anvandare/<int:user_id>/roll/<int:assignment_id>/ta-bort/", views.role_revoke, name="roll-ta-bort"),
    path("logguppfoljning/", views.log_review, name="logguppfoljning"),
    path("logguppfoljning/kontrollpunkt.json", views.log_checkpoint, name="logg-kontrollpunkt"),
]

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("halsa/", views.health, name="halsa"),
    path("", include((access_patterns, "access"))),
]
