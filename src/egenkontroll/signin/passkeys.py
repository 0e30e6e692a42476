"""WebAuthn passkeys (the `webauthn` package): registration and assertion, the challenge kept in the session.

The relying party id is EGK_WEBAUTHN_RP_ID (default: the request's host name) and the expected
origin EGK_WEBAUTHN_ORIGIN (default: the request's scheme and host). Behind a proxy set both, so
that a wrong Host header cannot change them. The browser side is static/signin/passkey.js.
"""

from __future__ import annotations

import json

from django.conf import settings
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from egenkontroll.signin.models import WebAuthnCredential

SESSION_KEY = "egk_webauthn_challenge"
MAX_CREDENTIAL_JSON = 16_384  # a credential response is a few hundred bytes; refuse anything huge


class PasskeyError(ValueError):
    """A WebAuthn response that does not verify (the message is Swedish and safe to show)."""


def rp_id(request) -> str:
    return getattr(settings, "EGK_WEBAUTHN_RP_ID", "") or request.get_host().split(":")[0]


def origin(request) -> str:
    return getattr(settings, "EGK_WEBAUTHN_ORIGIN", "") or f"{request.scheme}://{request.get_host()}"


def _descriptors(user) -> list[PublicKeyCredentialDescriptor]:
    ids = WebAuthnCredential.objects.filter(user=user, confirmed=True).values_list("credential_id", flat=True)
    return [PublicKeyCredentialDescriptor(id=base64url_to_bytes(c)) for c in ids]


def registration_options(request) -> str:
    user = request.user
    options = generate_registration_options(
        rp_id=rp_id(request), rp_name="Egenkontroll", user_name=user.get_username(),
        user_id=str(user.pk).encode(), exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.PREFERRED),
    )
    request.session[SESSION_KEY] = bytes_to_base64url(options.challenge)
    return options_to_json(options)


def _credential(body: bytes) -> dict:
    if len(body) > MAX_CREDENTIAL_JSON:
        raise PasskeyError("Svaret från säkerhetsnyckeln är för stort.")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise PasskeyError("Svaret från säkerhetsnyckeln kunde inte läsas.") from exc
    if not isinstance(data, dict):
        raise PasskeyError("Svaret från säkerhetsnyckeln kunde inte läsas.")
    return data


def _challenge(request) -> bytes:
    challenge = request.session.pop(SESSION_KEY, None)
    if not challenge:
        raise PasskeyError("Ingen pågående begäran: börja om.")
    return base64url_to_bytes(challenge)


def register(request, body: bytes) -> WebAuthnCredential:
    """`body`: {"namn": the user's name for the key, "credential": navigator.credentials.create()'s result}."""
    wrapper = _credential(body)
    data, name = wrapper.get("credential"), str(wrapper.get("namn") or "")
    if not isinstance(data, dict):
        raise PasskeyError("Svaret från säkerhetsnyckeln kunde inte läsas.")
    try:
        verified = verify_registration_response(
            credential=data, expected_challenge=_challenge(request), expected_rp_id=rp_id(request),
            expected_origin=origin(request),
        )
    except PasskeyError:
        raise
    except Exception as exc:  # the library raises several exception types for a bad response
        raise PasskeyError("Säkerhetsnyckeln kunde inte registreras.") from exc
    return WebAuthnCredential.objects.create(
        user=request.user, name=(name or "Passkey")[:64], confirmed=True,
        credential_id=bytes_to_base64url(verified.credential_id), public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
    )


def authentication_options(request) -> str:
    options = generate_authentication_options(
        rp_id=rp_id(request), allow_credentials=_descriptors(request.user),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    request.session[SESSION_KEY] = bytes_to_base64url(options.challenge)
    return options_to_json(options)


def authenticate(request, body: bytes) -> WebAuthnCredential:
    data = _credential(body)
    credential = WebAuthnCredential.objects.filter(
        user=request.user, confirmed=True, credential_id=str(data.get("id", ""))[:1400]).first()
    if credential is None:
        raise PasskeyError("Säkerhetsnyckeln är inte registrerad för ditt konto.")
    try:
        verified = verify_authentication_response(
            credential=data, expected_challenge=_challenge(request), expected_rp_id=rp_id(request),
            expected_origin=origin(request), credential_public_key=bytes(credential.public_key),
            credential_current_sign_count=credential.sign_count,
        )
    except PasskeyError:
        raise
    except Exception as exc:
        raise PasskeyError("Säkerhetsnyckeln kunde inte verifieras.") from exc
    credential.sign_count = verified.new_sign_count
    credential.set_last_used_timestamp(commit=False)
    credential.save()
    return credential
