"""Forms of the access pages: login (with the throttling message), personnummer search, users and roles."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm

from egenkontroll.access import throttle
from egenkontroll.access.models import ROLE_LABELS, ROLES, RoleAssignment
from egenkontroll.cases.models import Caseworker, OrgUnit


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's login form, saying so when the username is locked for this address."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Fel användarnamn eller lösenord.",
        "inactive": "Kontot är inaktiverat.",
        "locked": "För många misslyckade inloggningar. Försök igen om %(minutes)s minuter.",
    }

    def clean(self):
        if throttle.is_locked(self.data.get("username"), self.request):
            raise forms.ValidationError(
                self.error_messages["locked"], code="locked", params={"minutes": throttle.lock_minutes()}
            )
        return super().clean()


class PersonSearchForm(forms.Form):
    personnummer = forms.CharField(
        label="Personnummer eller samordningsnummer",
        max_length=40,
        help_text="ÅÅÅÅMMDD-NNNN. Numret sparas inte; sökningen loggas.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "text"}),
    )


class CaseSearchForm(forms.Form):
    arende = forms.CharField(
        label="Ärendenummer",
        max_length=128,
        help_text="Hela numret eller dess början, som i verksamhetssystemet. Sökningen loggas.",
        error_messages={"max_length": "Ärendenumret får vara högst 128 tecken.", "required": "Skriv ett ärendenummer."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_arende(self):
        value = self.cleaned_data["arende"].strip()
        if not value:
            raise forms.ValidationError("Skriv ett ärendenummer.")
        return value


class NewUserForm(forms.Form):
    username = forms.CharField(label="Användarnamn", max_length=150)
    first_name = forms.CharField(label="Förnamn", max_length=150, required=False)
    last_name = forms.CharField(label="Efternamn", max_length=150, required=False)
    email = forms.EmailField(label="E-post", required=False)
    password = forms.CharField(
        label="Lösenord",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        required=False,
        help_text="Lämna tomt om användaren bara loggar in med kommunens inloggning (OpenID Connect).",
    )

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("Det finns redan en användare med det namnet.")
        return username

    def clean(self):
        data = super().clean()
        if data.get("password"):
            candidate = get_user_model()(
                username=data.get("username", ""), first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""), email=data.get("email", ""),
            )
            try:
                password_validation.validate_password(data["password"], candidate)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class PasswordForm(forms.Form):
    password = forms.CharField(label="Nytt lösenord", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        password_validation.validate_password(password, self.user)
        return password


def _unit_choices() -> list[tuple[str, str]]:
    units = OrgUnit.objects.order_by("depth", "name").values_list("unit_id", "name", "level")
    return [("", "Hela staden"), *((uid, f"{name} ({level})") for uid, name, level in units)]


def _caseworker_choices() -> list[tuple[str, str]]:
    caseworkers = Caseworker.objects.order_by("name").values_list("caseworker_id", "name")
    return [("", "–"), *((cid, f"{name} ({cid})") for cid, name in caseworkers)]


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Roll", choices=[(r, ROLE_LABELS[r]) for r in ROLES])
    unit_id = forms.ChoiceField(label="Enhet (med allt under)", required=False)
    caseworker_id = forms.ChoiceField(label="Handläggare (för rollen handläggare)", required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["unit_id"].choices = _unit_choices()
        self.fields["caseworker_id"].choices = _caseworker_choices()

    def clean(self):
        data = super().clean()
        role, unit_id, caseworker_id = data.get("role"), data.get("unit_id") or None, data.get("caseworker_id") or None
        if role == "handlaggare":
            if not caseworker_id:
                raise forms.ValidationError("Rollen handläggare kräver att handläggaren anges.")
            unit_id = unit_id or Caseworker.objects.filter(caseworker_id=caseworker_id).values_list(
                "unit_id", flat=True).first()
        else:
            caseworker_id = None
        if role in ("inspektor", "admin"):
            unit_id = None
        data["unit_id"], data["caseworker_id"] = unit_id, caseworker_id
        duplicate = RoleAssignment.objects.filter(
            user=self.user, role=role, unit_id=unit_id, caseworker_id=caseworker_id
        )
        if self.user is not None and duplicate.exists():
            raise forms.ValidationError("Användaren har redan den rollen för den enheten.")
        return data
