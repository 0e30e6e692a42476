"""Service-account tokens for the read-only API (docs/api.md).

Why: the municipality's BI tools (Power BI, Qlik, the data warehouse) read the figures over
HTTP without a browser session. A token belongs to one user account and acts with exactly that
account's roles and scope, so a token for the nämnd's BI sees masked aggregates only. Only a
SHA-256 of the token is stored; the token itself is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

PREFIX = "egk_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12)  # the first characters, to tell tokens apart in lists
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user_id", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def issue(cls, user, name: str, created_by: str, days: int) -> tuple[ApiToken, str]:
        """A new token for `user`; returns the row and the token text, which is never stored."""
        token = PREFIX + secrets.token_urlsafe(32)
        row = cls.objects.create(
            user=user, name=name, token_hash=digest(token), hint=token[:10], created_by=created_by,
            expires_at=timezone.now() + timezone.timedelta(days=days),
        )
        return row, token

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now() and self.user.is_active
