"""Checks of the sign-in settings (`python -m django check [--deploy]`, and Django runs them before
migrate): a broken role-mapping table or a production without a second factor is named."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from egenkontroll.signin.roles import parse_group_roles


@register(Tags.security)
def role_mapping_table(app_configs, **kwargs):
    if not getattr(settings, "EGK_SSO_ROLE_MAPPING", False):
        return []
    try:
        table = parse_group_roles(getattr(settings, "EGK_SSO_GROUP_ROLES", ""))
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint="Se docs/security.md#role-mapping-from-groups.", id="egenkontroll.E010")]
    if not table:
        return [Warning("EGK_SSO_ROLE_MAPPING är på men EGK_SSO_GROUP_ROLES är tom: ingen grupp ger en roll.",
                        id="egenkontroll.W010")]
    return []


@register(Tags.security, deploy=True)
def second_factor_on(app_configs, **kwargs):
    if getattr(settings, "EGK_MFA_REQUIRED", True):
        return []
    return [Warning("EGK_MFA_REQUIRED är av: lokala konton når uppgifter om enskilda med bara ett lösenord.",
                    hint="Slå på den (standard) eller använd kommunens inloggning (docs/security.md#mfa).",
                    id="egenkontroll.W011")]
