"""Optional single sign-on with the municipality's OpenID Connect provider (mozilla-django-oidc).

Switched on by setting EGK_OIDC_CLIENT_ID (see docs/security.md). The provider says who the user
is; it never says what they may see: a user signing in for the first time gets an account with
no role, and an administrator grants roles in Egenkontroll. Users are matched on the username
claim (EGK_OIDC_USERNAME_CLAIM, default `preferred_username`), not on e-mail, which can be shared
or reassigned.
"""

from __future__ import annotations

from django.conf import settings
from mozilla_django_oidc.auth import OIDCAuthenticationBackend


class MunicipalOIDCBackend(OIDCAuthenticationBackend):
    def _claimed_username(self, claims) -> str:
        return str(claims.get(getattr(settings, "OIDC_USERNAME_CLAIM", "preferred_username")) or "")[:150]

    def verify_claims(self, claims) -> bool:
        return bool(self._claimed_username(claims))

    def filter_users_by_claims(self, claims):
        username = self._claimed_username(claims)
        if not username:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(username=username, is_active=True)

    def get_username(self, claims) -> str:
        return self._claimed_username(claims)

    def create_user(self, claims):
        user = self.UserModel.objects.create_user(self._claimed_username(claims), email=claims.get("email", ""))
        user.set_unusable_password()
        user.save(update_fields=["password"])
        return user

    def update_user(self, user, claims):
        email = claims.get("email", "")
        if email and email != user.email:
            user.email = email
            user.save(update_fields=["email"])
        return user
