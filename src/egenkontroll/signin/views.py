"""The second-factor pages: verify (TOTP, recovery code, passkey), set up, recovery codes, change
password, and the administrator's reset of a user's second factor (written to the access log)."""

from __future__ import annotations

import base64

import segno
from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from egenkontroll.access.scoping import admin_required, log_access
from egenkontroll.access.views import _render
from egenkontroll.signin import passkeys
from egenkontroll.signin.forms import CodeForm, PasskeyNameForm
from egenkontroll.signin.middleware import is_sso_session
from egenkontroll.signin.models import RecoveryCodeDevice, WebAuthnCredential

DEVICE_MODELS = (TOTPDevice, RecoveryCodeDevice, WebAuthnCredential)


def confirmed_devices(user) -> list:
    return [d for model in DEVICE_MODELS for d in model.objects.filter(user=user, confirmed=True)]


def may_enrol(request) -> bool:
    """Adding a factor needs the second factor already, except for the very first one (enrolment)."""
    return request.user.is_verified() or not confirmed_devices(request.user)


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


def _render_page(request, template: str, title: str, context: dict | None = None):
    return _render(request, template, title, context or {})


# -- verify --------------------------------------------------------------------------------

@sensitive_post_parameters("kod")
def verify(request):
    """Ask for the second factor; without one yet, send the user to set it up."""
    user = request.user
    if request.user.is_verified():
        return redirect(_next_url(request))
    devices = confirmed_devices(user)
    if not devices:
        return redirect(f"{reverse('signin:totp')}?next={_next_url(request)}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in devices:
            if not isinstance(device, WebAuthnCredential) and device.verify_token(form.cleaned_data["kod"]):
                otp_login(request, device)
                if isinstance(device, RecoveryCodeDevice):
                    messages.warning(request, f"Du loggade in med en reservkod. {device.unused()} koder återstår.")
                return redirect(_next_url(request))
        form.add_error("kod", "Koden stämmer inte. Försök igen (efter flera fel får du vänta en stund).")
    return _render_page(request, "signin/mfa.html", "Tvåstegsverifiering", {
        "form": form, "next": _next_url(request),
        "has_passkey": any(isinstance(d, WebAuthnCredential) for d in devices),
    })


# -- set up ----------------------------------------------------------------------------------

def account(request):
    """Inloggning och säkerhet: the user's factors, and links to add one or change the password."""
    if is_sso_session(request):
        return _render_page(request, "signin/konto.html", "Inloggning och säkerhet", {"sso": True})
    if not may_enrol(request):
        return redirect(f"{reverse('signin:mfa')}?next={request.path}")
    user = request.user
    recovery = RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()
    return _render_page(request, "signin/konto.html", "Inloggning och säkerhet", {
        "totp": TOTPDevice.objects.filter(user=user, confirmed=True),
        "passkeys": WebAuthnCredential.objects.filter(user=user, confirmed=True),
        "recovery_left": recovery.unused() if recovery else None,
        "has_password": user.has_usable_password(),
        "passkey_form": PasskeyNameForm(),
    })


@sensitive_post_parameters("kod")
def totp_setup(request):
    """Show a new TOTP secret (text and otpauth link) and confirm it with one code from the app."""
    if not may_enrol(request):
        raise PermissionDenied
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
        user=user, name="Autentiseringsapp", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["kod"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, "Appen är kopplad till ditt konto.")
            if not RecoveryCodeDevice.objects.filter(user=user, confirmed=True).exists():
                return _show_codes(request)
            return redirect(_next_url(request))
        form.add_error("kod", "Koden stämmer inte. Kontrollera att klockan i telefonen går rätt och försök igen.")
    secret = base64.b32encode(device.bin_key).decode()
    response = _render_page(request, "signin/totp.html", "Koppla en autentiseringsapp", {
        "form": form, "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "config_url": device.config_url, "next": _next_url(request),
        "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=5),
    })
    response.headers["Cache-Control"] = "no-store"  # the page shows the secret
    return response


def _show_codes(request):
    device, _ = RecoveryCodeDevice.objects.get_or_create(user=request.user, defaults={"name": "Reservkoder"})
    codes = device.new_codes()
    response = _render_page(request, "signin/reservkoder.html", "Reservkoder", {"codes": codes})
    response.headers["Cache-Control"] = "no-store"
    return response


@require_POST
def recovery_codes(request):
    """A fresh set of recovery codes (the old ones stop working), shown once."""
    if not request.user.is_verified():
        raise PermissionDenied
    return _show_codes(request)


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
def password_change(request):
    """Django's password change, in the page frame; the session stays signed in."""
    if not request.user.has_usable_password():
        raise Http404("kontot loggar in via kommunens inloggning")
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, "Lösenordet är bytt.")
        return redirect("signin:konto")
    return _render_page(request, "signin/losenord.html", "Byt lösenord", {"form": form})


# -- passkeys (JSON for static/signin/passkey.js) -------------------------------------------

@require_POST
def passkey_registration_options(request):
    if not may_enrol(request):
        raise PermissionDenied
    return HttpResponse(passkeys.registration_options(request), content_type="application/json")


@require_POST
def passkey_register(request):
    if not may_enrol(request):
        raise PermissionDenied
    try:
        credential = passkeys.register(request, request.body)
    except passkeys.PasskeyError as exc:
        return JsonResponse({"fel": str(exc)}, status=400)
    if not request.user.is_verified():
        otp_login(request, credential)
    return JsonResponse({"ok": True, "nasta": reverse("signin:konto")})


@require_POST
def passkey_options(request):
    return HttpResponse(passkeys.authentication_options(request), content_type="application/json")


@require_POST
def passkey_verify(request):
    try:
        credential = passkeys.authenticate(request, request.body)
    except passkeys.PasskeyError as exc:
        return JsonResponse({"fel": str(exc)}, status=400)
    otp_login(request, credential)
    return JsonResponse({"ok": True, "nasta": _next_url(request)})


# -- the administrator's reset -----------------------------------------------------------------

@admin_required("anvandare")
@require_POST
def reset_second_factor(request, user_id: int):
    """Remove every second factor of a user (lost phone): they set up a new one at next sign-in."""
    account_user = get_object_or_404(get_user_model(), pk=user_id)
    with transaction.atomic():
        removed = sum(model.objects.filter(user=account_user).delete()[1].get(model._meta.label, 0)
                      for model in DEVICE_MODELS)
        log_access(request, action="admin", page="anvandare",
                   detail=f"nollställde andra faktorn för {account_user.username} ({removed} enheter)")
    messages.success(request, f"Andra faktorn för {account_user.username} är nollställd. "
                              "Användaren kopplar en ny vid nästa inloggning.")
    return redirect("access:anvandare-detalj", user_id=account_user.pk)
