"""Who holds which role over which part of the organisation, and the record of every look at case data.

Role assignments are plain rows (user, role, unit, caseworker) so that a user may hold several and
the scope is their union (see `scoping`). The access log is append-only and hash-chained (see
`hashchain`): the application can insert rows but never change or remove one — the model and its
queryset refuse, and on PostgreSQL a trigger refuses as well — and `egenkontroll log verify` finds
any row changed, removed or inserted behind the application's back.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

ID = 128

ROLES = (
    "handlaggare",
    "arbetsledare",
    "enhetschef",
    "verksamhetscontroller",
    "avdelningschef",
    "inspektor",
    "namnd",
    "admin",
)

ROLE_LABELS = {
    "handlaggare": "Handläggare",
    "arbetsledare": "Arbetsledare (biträdande enhetschef, samordnare)",
    "enhetschef": "Enhetschef",
    "verksamhetscontroller": "Verksamhetscontroller",
    "avdelningschef": "Avdelningschef",
    "inspektor": "Inspektör (granskning, endast läsa)",
    "namnd": "Nämnd (endast sammanställda siffror)",
    "admin": "Administratör (användare och inställningar)",
}

ACTIONS = ("view", "list", "export", "search", "denied", "admin", "mark")
ACTION_LABELS = {
    "view": "visade",
    "list": "listade",
    "export": "exporterade",
    "search": "sökte",
    "denied": "nekades",
    "admin": "administrerade",
    "mark": "markerade",
}


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or remove an access-log row."""


class RoleAssignment(models.Model):
    """One role over one part of the organisation tree (unit_id null = the whole city)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=32, choices=[(r, ROLE_LABELS[r]) for r in ROLES])
    unit_id = models.CharField(max_length=ID, null=True, blank=True)  # noqa: DJ001 (null = whole city)
    caseworker_id = models.CharField(max_length=ID, null=True, blank=True)  # noqa: DJ001 (null = not a handläggare)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        verbose_name = "rolltilldelning"
        verbose_name_plural = "rolltilldelningar"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "unit_id", "caseworker_id"], name="role_assignment_unique"
            ),
            models.CheckConstraint(
                condition=~Q(role="handlaggare") | Q(caseworker_id__isnull=False),
                name="role_handlaggare_has_caseworker",
            ),
        ]

    def __str__(self) -> str:
        where = self.unit_id or "hela staden"
        return f"{self.user_id} {self.role} {where}"


class AppendOnlyQuerySet(models.QuerySet):
    """Insert and read only: bulk update and delete raise."""

    def update(self, **kwargs):
        raise AppendOnlyError("åtkomstloggen kan inte ändras")

    def delete(self):
        raise AppendOnlyError("åtkomstloggen kan inte raderas")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("åtkomstloggen kan inte ändras")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("åtkomstloggen kan inte raderas")


class AccessLog(AppendOnlyModel):
    """One look at person-level data: who, when, which cases, which page or export, from where.

    `seq` numbers the chain from 1; `hash` is the HMAC of this row's canonical form, which
    includes `prev_hash`, the previous row's hash (see `hashchain`). The user is kept as id and
    name at the time, not as a foreign key: removing a user must not remove their trail.
    """

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    user_id = models.BigIntegerField(null=True, blank=True)
    username = models.CharField(max_length=150)
    roles = models.CharField(max_length=200, blank=True, default="")
    action = models.CharField(max_length=16, choices=[(a, ACTION_LABELS[a]) for a in ACTIONS])
    page = models.CharField(max_length=100)
    case_ids = models.TextField(default="[]")
    case_count = models.IntegerField(default=0)
    detail = models.TextField(blank=True, default="")
    client = models.CharField(max_length=64, blank=True, default="")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = "åtkomstloggpost"
        verbose_name_plural = "åtkomstlogg"
        indexes = [
            models.Index(fields=["user_id", "at"], name="accesslog_user_at"),
            models.Index(fields=["action", "at"], name="accesslog_action_at"),
        ]

    def __str__(self) -> str:
        return f"{self.seq} {self.username} {self.action} {self.page}"


class AccessLogCase(AppendOnlyModel):
    """Index of the cases of one log row, so 'who viewed this case' is an index scan.

    The row's `case_ids` (inside the hash) is authoritative; `log verify` checks this table against it.
    """

    entry = models.ForeignKey(AccessLog, on_delete=models.PROTECT, db_constraint=False, related_name="cases")
    case_id = models.CharField(max_length=ID, db_index=True)

    class Meta:
        verbose_name = "loggat ärende"
        verbose_name_plural = "loggade ärenden"

    def __str__(self) -> str:
        return f"{self.entry_id} {self.case_id}"


class AccessLogHead(models.Model):
    """The end of the chain (one row): serialises writers and lets `log verify` see a cut-off tail."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = "åtkomstloggens slut"
        verbose_name_plural = "åtkomstloggens slut"

    def __str__(self) -> str:
        return f"{self.seq} {self.hash[:12]}"


class AccessLogBase(models.Model):
    """Where the chain starts after gallring removed its oldest rows (docs/retention.md).

    Gallring records the last removed row's seq and hash here, then removes the rows at or below
    it; `log verify` starts from the newest base instead of the genesis. On PostgreSQL the database
    itself allows deleting log rows only at or below the newest base, and never changes a base.
    """

    seq = models.BigIntegerField(unique=True)
    hash = models.CharField(max_length=64)
    removed = models.IntegerField()
    at = models.DateTimeField()

    class Meta:
        verbose_name = "åtkomstloggens gallringsgräns"
        verbose_name_plural = "åtkomstloggens gallringsgränser"

    def __str__(self) -> str:
        return f"{self.seq} {self.hash[:12]}"


class LoginFailure(models.Model):
    """A failed login, counted per username and client address for throttling (see `throttle`)."""

    username = models.CharField(max_length=150)
    client = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        verbose_name = "misslyckad inloggning"
        verbose_name_plural = "misslyckade inloggningar"
        indexes = [models.Index(fields=["username", "client", "at"], name="loginfailure_user_client_at")]

    def __str__(self) -> str:
        return f"{self.username} {self.at:%Y-%m-%d %H:%M}"
