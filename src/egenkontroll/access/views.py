"""The access pages: login, find a case by personnummer, users and roles, and Logguppföljning.

Every page here goes through the scoping layer's decorators; the personnummer search never
stores, logs or echoes the number (it is pseudonymised with the import key and matched on the
pseudonym), and the administrator's changes to users and roles are written to the access log.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, F, Max, Q
from django.db.models.functions import TruncHour
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from egenkontroll.access import anchor
from egenkontroll.access.forms import (
    CaseSearchForm,
    NewUserForm,
    PasswordForm,
    PersonSearchForm,
    RoleForm,
)
from egenkontroll.access.models import ACTION_LABELS, ROLE_LABELS, AccessLog, AccessLogCase, RoleAssignment
from egenkontroll.access.scoping import (
    Scope,
    admin_required,
    log_access,
    log_reviewer_required,
    mark_no_store,
    request_scope,
    subtree,
)
from egenkontroll.cases.models import Case
from egenkontroll.core.identity import InvalidIdentity, Pseudonymizer, load_key

# Login and logout live with the sign-in methods (second factor, single sign-on).
from egenkontroll.signin.sessions import login_view, logout_view  # noqa: F401
from egenkontroll.web.menu import menu

REVIEW_DAYS = 30


@login_not_required
def health(request):
    """For load balancers and monitoring: the process answers and the database is reachable; no data."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("databasen svarar inte\n", status=503, content_type="text/plain; charset=utf-8")
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


def nav(request) -> list[dict]:
    """The main menu, the same on every page (web/menu.py)."""
    return menu(request)


def _render(request, template: str, title: str, context: dict):
    scope = request_scope(request)
    return render(request, template, {
        "page_title": title,
        "nav": nav(request),
        "role_labels": ", ".join(ROLE_LABELS[r].split(" (")[0].lower() for r in sorted(scope.roles)),
        **context,
    })


def case_url(case_id: str) -> str | None:
    """The case page of the web app, when it is installed."""
    try:
        return reverse("overview:arende", kwargs={"case_id": case_id})
    except NoReverseMatch:
        return None


# -- find a case by personnummer -----------------------------------------------------------

def _may_search(scope: Scope) -> bool:
    """The search lists cases: person-level roles only (also asked by the menu, web/menu.py)."""
    return scope.person_level


@sensitive_post_parameters("personnummer")
def person_search(request):
    """Pseudonymise the entered number with the import key and list the user's matching cases."""
    scope = request_scope(request)
    mark_no_store(request)
    if not _may_search(scope):
        log_access(request, action="denied", page="sok", detail="saknar behörighet till uppgifter på personnivå")
        raise PermissionDenied
    results, errors = None, []
    case_form = CaseSearchForm(request.GET if "arende" in request.GET else None)
    if case_form.is_bound:
        if case_form.is_valid():
            results = _case_number_results(request, scope, case_form.cleaned_data["arende"])
        errors += [e for field_errors in case_form.errors.values() for e in field_errors]
    if request.method == "POST":
        form = PersonSearchForm(request.POST)
        if form.is_valid():
            try:
                key = Pseudonymizer(load_key()).person_key(form.cleaned_data["personnummer"])
            except InvalidIdentity as exc:
                errors.append(exc.reason)
            else:
                results = _search_results(request, scope, key)
        errors += [e for field_errors in form.errors.values() for e in field_errors]
    # A fresh form: the number is never echoed back into the page.
    return _render(request, "access/sok.html", "Sök ärende",
                   {"form": PersonSearchForm(), "case_form": case_form, "errors": errors, "results": results,
                    "limit": CASE_SEARCH_LIMIT})


RESULT_FIELDS = ("case_id", "unit_id", "caseworker_id", "first_date", "last_date", "closed_date", "person_id")
CASE_SEARCH_LIMIT = 50


def _case_number_results(request, scope: Scope, number: str) -> list[dict]:
    """Cases whose number is `number` (any case), else begins with it; at most CASE_SEARCH_LIMIT, logged."""
    exact = Case.objects.filter(case_id__iexact=number)
    matching = exact if exact.exists() else Case.objects.filter(case_id__istartswith=number)
    visible = _with_names(scope.cases(matching).order_by("case_id")[:CASE_SEARCH_LIMIT])
    log_access(request, action="search", page="sok", case_ids=[c["case_id"] for c in visible],
               detail=f"sökning på ärendenummer, {len(visible)} träffar")
    for case in visible:
        case["url"] = case_url(case["case_id"])
    return visible


def _with_names(cases) -> list[dict]:
    """The cases with their unit's and caseworker's names and the child's birth year (joins, no per-row query)."""
    return [
        {**c, "birth_year": c.pop("person__birth_year")}
        for c in cases.values(*RESULT_FIELDS, "person__birth_year",
                              unit_name=F("unit__name"), caseworker_name=F("caseworker__name"))
    ]


person_search.egk_may = _may_search


def _search_results(request, scope: Scope, person_key: str) -> list[dict]:
    matching = Case.objects.filter(person_id=person_key)
    visible = _with_names(scope.cases(matching).order_by("-last_date"))
    hidden = sorted(set(matching.values_list("case_id", flat=True)) - {c["case_id"] for c in visible})
    log_access(request, action="search", page="sok", case_ids=[c["case_id"] for c in visible],
               detail=f"sökning på personnummer, {len(visible)} träffar")
    if hidden:
        log_access(request, action="denied", page="sok", case_ids=hidden,
                   detail="sökträffar utanför användarens behörighet visades inte")
    for case in visible:
        case["url"] = case_url(case["case_id"])
    return visible


# -- users and roles ------------------------------------------------------------------------

def _admin_log(request, detail: str) -> None:
    log_access(request, action="admin", page="anvandare", detail=detail)


@admin_required("anvandare")
def user_list(request):
    users = get_user_model().objects.order_by("username").prefetch_related("role_assignments")
    form = NewUserForm()
    return _render(request, "access/anvandare.html", "Användare och roller",
                   {"users": users, "form": form, "role_labels_map": ROLE_LABELS})


@admin_required("anvandare")
@sensitive_post_parameters("password")
@require_POST
def user_create(request):
    form = NewUserForm(request.POST)
    if not form.is_valid():
        users = get_user_model().objects.order_by("username").prefetch_related("role_assignments")
        return _render(request, "access/anvandare.html", "Användare och roller",
                       {"users": users, "form": form, "role_labels_map": ROLE_LABELS})
    data = form.cleaned_data
    with transaction.atomic():
        user = get_user_model().objects.create_user(
            data["username"], email=data["email"], password=data["password"] or None,
            first_name=data["first_name"], last_name=data["last_name"],
        )
        _admin_log(request, f"skapade användaren {user.username}")
    messages.success(request, f"Användaren {user.username} är skapad. Ge den en roll nedan.")
    return redirect("access:anvandare-detalj", user_id=user.pk)


@admin_required("anvandare")
@sensitive_post_parameters("password")
def user_detail(request, user_id: int):
    user = get_object_or_404(get_user_model(), pk=user_id)
    role_form, password_form = RoleForm(user=user), PasswordForm(user=user)
    if request.method == "POST":
        action = request.POST.get("atgard")
        if action == "roll":
            role_form = RoleForm(request.POST, user=user)
            if role_form.is_valid():
                return _grant(request, user, role_form.cleaned_data)
        elif action == "losenord":
            password_form = PasswordForm(request.POST, user=user)
            if password_form.is_valid():
                return _set_password(request, user, password_form.cleaned_data["password"])
        elif action == "aktiv":
            return _toggle_active(request, user)
    assignments = RoleAssignment.objects.filter(user=user).order_by("role", "unit_id")
    return _render(request, "access/anvandare_detalj.html", f"Användare {user.username}", {
        "account": user, "assignments": assignments, "role_form": role_form, "password_form": password_form,
        "role_labels_map": ROLE_LABELS,
    })


def _grant(request, user, data: dict):
    with transaction.atomic():
        RoleAssignment.objects.create(user=user, role=data["role"], unit_id=data["unit_id"],
                                      caseworker_id=data["caseworker_id"], created_by=request.user.get_username())
        where = data["unit_id"] or "hela staden"
        _admin_log(request, f"gav {user.username} rollen {data['role']} för {where}"
                   + (f" (handläggare {data['caseworker_id']})" if data["caseworker_id"] else ""))
    messages.success(request, "Rollen är tillagd.")
    return redirect("access:anvandare-detalj", user_id=user.pk)


def _set_password(request, user, password: str):
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        _admin_log(request, f"bytte lösenord för {user.username}")
    messages.success(request, "Lösenordet är bytt.")
    return redirect("access:anvandare-detalj", user_id=user.pk)


def _toggle_active(request, user):
    if user.pk == request.user.pk:
        messages.error(request, "Du kan inte inaktivera ditt eget konto.")
        return redirect("access:anvandare-detalj", user_id=user.pk)
    with transaction.atomic():
        user.is_active = not user.is_active
        user.save(update_fields=["is_active"])
        _admin_log(request, f"{'aktiverade' if user.is_active else 'inaktiverade'} {user.username}")
    messages.success(request, "Kontot är aktiverat." if user.is_active else "Kontot är inaktiverat.")
    return redirect("access:anvandare-detalj", user_id=user.pk)


@admin_required("anvandare")
@require_POST
def role_revoke(request, user_id: int, assignment_id: int):
    assignment = get_object_or_404(RoleAssignment, pk=assignment_id, user_id=user_id)
    with transaction.atomic():
        detail = (f"tog bort rollen {assignment.role} för {assignment.unit_id or 'hela staden'} "
                  f"från {assignment.user.username}")
        assignment.delete()
        _admin_log(request, detail)
    messages.success(request, "Rollen är borttagen.")
    return redirect("access:anvandare-detalj", user_id=user_id)


# -- Logguppföljning --------------------------------------------------------------------------

def reviewable(scope: Scope, qs):
    """Log rows a controller may follow up: city-wide for the inspektör; otherwise rows about cases
    in the controller's scope or by users holding a role in it."""
    if scope.person_unit_ids is None:
        return qs
    in_scope_cases = scope.cases(Case.objects.all()).values("case_id")
    in_scope_users = RoleAssignment.objects.filter(unit_id__in=subtree(scope.person_unit_ids)).values("user_id")
    rows = AccessLogCase.objects.filter(case_id__in=in_scope_cases).values("entry_id")
    return qs.filter(Q(id__in=rows) | Q(user_id__in=in_scope_users))


def _many_cases_threshold() -> int:
    return getattr(settings, "EGK_LOG_MANY_CASES_PER_HOUR", 30)


@log_reviewer_required("logguppfoljning")
def log_review(request):
    scope = request_scope(request)
    entries = reviewable(scope, AccessLog.objects.all())
    case_id = request.GET.get("arende", "").strip()
    username = request.GET.get("anvandare", "").strip()
    context = {"case_id": case_id, "username": username, "action_labels": ACTION_LABELS}
    if case_id:
        context["case_rows"] = list(entries.filter(cases__case_id=case_id).order_by("-seq")[:500])
        log_access(request, action="search", page="logguppfoljning", case_ids=[case_id],
                   detail="vem har tittat på ärendet")
    if username:
        context["user_rows"] = list(entries.filter(username=username).order_by("-seq")[:500])
        log_access(request, action="search", page="logguppfoljning", detail=f"vad har {username} tittat på")
    since = timezone.now() - timedelta(days=REVIEW_DAYS)
    recent = entries.filter(at__gte=since)
    context["denied"] = list(
        recent.filter(action="denied").values("username").annotate(n=Count("id"), last=Max("at")).order_by("-n")[:50]
    )
    context["bursts"] = list(
        AccessLogCase.objects.filter(entry__in=recent.filter(action__in=("view", "export")))
        .annotate(hour=TruncHour("entry__at"))
        .values("entry__username", "hour")
        .annotate(n=Count("case_id", distinct=True))
        .filter(n__gt=_many_cases_threshold())
        .order_by("-n")[:50]
    )
    context["threshold"] = _many_cases_threshold()
    context["days"] = REVIEW_DAYS
    return _render(request, "access/logguppfoljning.html", "Logguppföljning", context)


@log_reviewer_required("logguppfoljning")
def log_checkpoint(request):
    """A signed anchor of the chain's head for the controller to keep outside the system (see `anchor`).

    Taken before this download is itself logged, so the log only grows past it.
    """
    checkpoint = anchor.current(source=f"kontrollpunkt ({request.user.get_username()})")
    log_access(request, action="export", page="logguppfoljning",
               detail=f"kontrollpunkt seq={checkpoint.seq}, {checkpoint.rows} rader")
    response = HttpResponse(anchor.signed_line(checkpoint) + "\n", content_type="application/json; charset=utf-8")
    stamp = checkpoint.at[:19].replace(":", "").replace("-", "")
    response["Content-Disposition"] = f'attachment; filename="atkomstlogg-kontrollpunkt-{stamp}.json"'
    return response
