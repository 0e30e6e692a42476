"""Sign-in: second factors for local accounts, single sign-on (OIDC, SAML 2.0), role mapping."""
