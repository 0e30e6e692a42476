"""URL configuration: one include per app."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
