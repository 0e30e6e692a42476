"""Login throttling: after too many failed logins for one username from one address, refuse for a while.

Failures are rows in the database (`LoginFailure`), so every gunicorn worker sees the same count.
The lock is enforced in the authentication backend, which every login path goes through, and
explained on the login form. Settings: EGK_LOGIN_MAX_FAILURES (default 5) failures within
EGK_LOGIN_LOCK_MINUTES (default 15) lock that username from that address until the oldest
counted failure is older than the window. A successful login clears the count.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from egenkontroll.access.models import LoginFailure
from egenkontroll.access.scoping import client_address
from egenkontroll.core.identity import mask


def lock_minutes() -> int:
    return getattr(settings, "EGK_LOGIN_LOCK_MINUTES", 15)


def _window() -> timedelta:
    return timedelta(minutes=lock_minutes())


def _limit() -> int:
    return getattr(settings, "EGK_LOGIN_MAX_FAILURES", 5)


def _recent(username: str, client: str):
    since = timezone.now() - _window()
    return LoginFailure.objects.filter(username=mask(username)[:150], client=client, at__gte=since)


def is_locked(username: str | None, request) -> bool:
    if not username or request is None:
        return False
    return _recent(username, client_address(request)).count() >= _limit()


def record_failure(sender, credentials, request=None, **kwargs) -> None:
    """`user_login_failed` receiver: count the failure (the username is stored masked)."""
    username = credentials.get("username") or ""
    if request is not None and username:
        LoginFailure.objects.create(
            username=mask(username)[:150], client=client_address(request), at=timezone.now()
        )


def clear_failures(sender, request, user, **kwargs) -> None:
    """`user_logged_in` receiver: a correct password resets the count for this address."""
    if request is not None:
        LoginFailure.objects.filter(username=mask(user.get_username())[:150], client=client_address(request)).delete()


class ThrottledModelBackend(ModelBackend):
    """Django's username/password backend, refusing while the username is locked for this address."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if is_locked(username, request):
            raise PermissionDenied("för många misslyckade inloggningar")
        return super().authenticate(request, username=username, password=password, **kwargs)
