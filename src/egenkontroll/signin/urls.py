"""URLs of sign-in: single sign-on at /oidc/ and /saml2/, the second factor at /mfa/."""

from django.urls import include, path

from egenkontroll.signin import sso_views, views

mfa_patterns = [
    path("mfa/", views.verify, name="mfa"),
    path("mfa/konto/", views.account, name="konto"),
    path("mfa/totp/", views.totp_setup, name="totp"),
    path("mfa/reservkoder/", views.recovery_codes, name="reservkoder"),
    path("mfa/passkey/registrera/alternativ/", views.passkey_registration_options, name="passkey-registrera-alternativ"),
    path("mfa/passkey/registrera/", views.passkey_register, name="passkey-registrera"),
    path("mfa/passkey/alternativ/", views.passkey_options, name="passkey-alternativ"),
    path("mfa/passkey/verifiera/", views.passkey_verify, name="passkey-verifiera"),
    path("konto/losenord/", views.password_change, name="losenord"),
    path("admin-anvandare/<int:user_id>/andra-faktor/nollstall/", views.reset_second_factor, name="mfa-nollstall"),
]

urlpatterns = [
    # names without namespace: mozilla-django-oidc and djangosaml2 reverse them by these names
    path("oidc/authenticate/", sso_views.oidc_authenticate, name="oidc_authentication_init"),
    path("oidc/callback/", sso_views.oidc_callback, name="oidc_authentication_callback"),
    path("saml2/login/", sso_views.saml_login, name="saml2_login"),
    path("saml2/acs/", sso_views.saml_acs, name="saml2_acs"),
    path("saml2/metadata/", sso_views.saml_metadata, name="saml2_metadata"),
    path("", include((mfa_patterns, "signin"))),
]
