"""Second factors of local accounts, as django-otp devices (TOTP comes from django_otp.plugins.otp_totp).

A verified device is remembered in the session by django-otp (`request.user.is_verified()`).
Recovery codes are stored only as salted SHA-256 hashes and each works once; they are random
(50 bits), so a fast hash is enough. A passkey (WebAuthn) is a credential id and public key;
the browser's authenticator keeps the private key.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed from paper
CODE_LENGTH = 10
CODES_PER_SET = 10


def normalise_code(code: str) -> str:
    return "".join(ch for ch in str(code).upper() if ch.isalnum())[:64]


class RecoveryCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """A set of single-use recovery codes (reservkoder), for when the phone or key is lost."""

    salt = models.CharField(max_length=32, default="")

    class Meta:
        verbose_name = "reservkoder"
        verbose_name_plural = "reservkoder"

    def _hash(self, code: str) -> str:
        return hashlib.sha256(f"{self.salt}:{normalise_code(code)}".encode()).hexdigest()

    def new_codes(self) -> list[str]:
        """Replace every code by a fresh set; the plain codes are returned once and never stored."""
        codes = ["".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)) for _ in range(CODES_PER_SET)]
        with transaction.atomic():
            self.salt = secrets.token_hex(16)
            self.confirmed = True
            self.save()
            self.codes.all().delete()
            RecoveryCode.objects.bulk_create(RecoveryCode(device=self, code_hash=self._hash(c)) for c in codes)
        return [f"{c[:5]}-{c[5:]}" for c in codes]

    def unused(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()

    def verify_token(self, token) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed or not normalise_code(token):
            return False
        with transaction.atomic():
            used = self.codes.select_for_update().filter(code_hash=self._hash(token), used_at__isnull=True).update(
                used_at=timezone.now())
        if used:
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
            return True
        self.throttle_increment()
        return False

    def get_throttle_factor(self):
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "reservkod"
        verbose_name_plural = "reservkoder"

    def __str__(self) -> str:
        return f"{self.device_id} {'använd' if self.used_at else 'oanvänd'}"


class WebAuthnCredential(TimestampMixin, Device):
    """A passkey or security key registered through WebAuthn (verified by signin.passkeys)."""

    credential_id = models.CharField(max_length=1400, unique=True)  # base64url, the spec allows 1023 bytes
    public_key = models.BinaryField()
    sign_count = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "passkey"
        verbose_name_plural = "passkeys"

    def verify_token(self, token) -> bool:
        return False  # not a code: verified by the WebAuthn assertion view
