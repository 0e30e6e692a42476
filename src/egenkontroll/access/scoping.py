"""The one place that decides which case data a user may see; every page, export and command uses it.

A user's `Scope` is the union of their role assignments. Two kinds of reach are kept apart:

- figures: the org units (whole subtrees) whose aggregated key figures the user may see
  (`unit_ids`, `org_units`, `units_q`);
- person level: which cases, events and obligations the user may open — by unit subtree for
  arbetsledare, enhetschef, verksamhetscontroller, avdelningschef and inspektor (whole city), and
  only their own cases for a handläggare (`caseworker_id`), who still sees their group's figures.

The nämnd sees figures only, masked; an administrator manages users and sees no case data unless
also given a role. A subtree is found through the flattened level columns of OrgUnit
(`stad_id` … `grupp_id`), so a scope filter is one indexed subquery, never a recursion.

Views use the decorators (`person_level`, `aggregate`, `admin_required`, `log_reviewer_required`);
person-level views are logged to the hash-chained access log by `log_access`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import polars as pl
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from egenkontroll.access import hashchain
from egenkontroll.access.models import ACTIONS, ROLES, RoleAssignment
from egenkontroll.cases.models import LEVEL_FIELDS, Case, OrgUnit
from egenkontroll.core.identity import mask

__all__ = [
    "ROLES",
    "Scope",
    "scope_for",
    "grant_reach",
    "reach_covers",
    "user_grants",
    "log_access",
    "record_cases",
    "person_level",
    "aggregate",
    "admin_required",
    "log_reviewer_required",
    "scoped_case_or_404",
]

# Roles that open person-level pages over a unit subtree (inspektor: always the whole city).
UNIT_PERSON_ROLES = frozenset({"arbetsledare", "enhetschef", "verksamhetscontroller", "avdelningschef", "inspektor"})
FIGURE_ROLES = frozenset(ROLES) - {"admin"}
LOG_REVIEW_ROLES = frozenset({"verksamhetscontroller", "avdelningschef", "inspektor"})
CITY_ROLES = frozenset({"inspektor"})
READ_ONLY_ROLES = frozenset({"inspektor", "namnd"})


def _units_q(unit_ids: frozenset[str] | None, prefix: str) -> Q:
    """Rows (OrgUnit or with a relation to it via `prefix`) whose unit lies in one of the subtrees."""
    if unit_ids is None:
        return Q()
    if not unit_ids:
        return Q(pk__in=[])
    ids = sorted(unit_ids)
    q = Q(**{f"{prefix}unit_id__in": ids})
    for name in LEVEL_FIELDS:
        q |= Q(**{f"{prefix}{name}__in": ids})
    return q


def subtree(unit_ids: frozenset[str] | None) -> QuerySet:
    """unit_id of every OrgUnit in the subtrees of `unit_ids` (None = the whole city), as a subquery."""
    return OrgUnit.objects.filter(_units_q(unit_ids, "")).values("unit_id")


@dataclass(frozen=True)
class Scope:
    user_id: int
    roles: frozenset[str]
    unit_ids: frozenset[str] | None
    caseworker_id: str | None
    person_level: bool
    aggregate_only: bool
    masked: bool
    read_only: bool
    is_admin: bool
    # Person-level reach by unit (None = whole city, empty = none) and every own caseworker id.
    person_unit_ids: frozenset[str] | None = frozenset()
    caseworker_ids: frozenset[str] = field(default_factory=frozenset)
    username: str = ""

    # -- figures -------------------------------------------------------------------------
    @property
    def has_figures(self) -> bool:
        return bool(self.roles & FIGURE_ROLES)

    @property
    def log_reviewer(self) -> bool:
        return bool(self.roles & LOG_REVIEW_ROLES)

    def units_q(self, prefix: str = "") -> Q:
        """Q over OrgUnit-like rows (flattened level columns under `prefix`) in the figure scope."""
        if not self.has_figures:
            return Q(pk__in=[])
        return _units_q(self.unit_ids, prefix)

    def org_units(self, qs: QuerySet) -> QuerySet:
        return qs.filter(self.units_q())

    def can_see_unit(self, unit_id: str) -> bool:
        return self.org_units(OrgUnit.objects.filter(unit_id=unit_id)).exists()

    @property
    def sees_every_caseworker(self) -> bool:
        """Every caseworker's figures (a whole-organisation figure scope, not masked): nothing to look up."""
        return self.has_figures and not self.aggregate_only and self.unit_ids is None

    def caseworkers(self, qs: QuerySet) -> QuerySet:
        """Caseworkers whose figures the user may see (none for the nämnd: too small to publish)."""
        if not self.has_figures or self.aggregate_only:
            return qs.none()
        if self.sees_every_caseworker:
            return qs
        return qs.filter(Q(unit_id__in=subtree(self.unit_ids)) | Q(caseworker_id__in=sorted(self.caseworker_ids)))

    # -- person level ----------------------------------------------------------------------
    @property
    def sees_every_case(self) -> bool:
        """Person-level data of the whole organisation (an inspektör's): no case needs looking up."""
        return self.person_level and self.person_unit_ids is None

    def _person_q(self) -> Q | None:
        """Q over rows with `unit_id` and `caseworker_id` columns; None = nothing is visible."""
        if not self.person_level:
            return None
        if self.person_unit_ids is None:
            return Q()
        q = Q(unit_id__in=subtree(self.person_unit_ids)) if self.person_unit_ids else Q(pk__in=[])
        if self.caseworker_ids:
            q |= Q(caseworker_id__in=sorted(self.caseworker_ids))
        return q

    def person_expr(self, subtree_ids: Callable[[str], Iterable[str]]) -> pl.Expr:
        """`_person_q`'s rule over a frame the pages hold (columns `unit_id`, `caseworker_id`).

        `subtree_ids(unit)` gives a unit and every unit under it, as the frames' org tree has them.
        """
        if not self.person_level:
            return pl.lit(False)
        if self.person_unit_ids is None:
            return pl.lit(True)
        units = sorted({u for top in self.person_unit_ids for u in subtree_ids(top)})
        return pl.col("unit_id").is_in(units) | pl.col("caseworker_id").is_in(sorted(self.caseworker_ids))

    def obligations(self, qs: QuerySet) -> QuerySet:
        """Obligations the user may see: their unit in a scoped subtree, or their caseworker the user."""
        q = self._person_q()
        return qs.none() if q is None else qs.filter(q)

    def cases(self, qs: QuerySet) -> QuerySet:
        q = self._person_q()
        return qs.none() if q is None else qs.filter(q)

    def events(self, qs: QuerySet) -> QuerySet:
        """Events of the cases the user may see (an event follows its case, wherever it was registered)."""
        if self._person_q() is None:
            return qs.none()
        if self.person_unit_ids is None:
            return qs
        return qs.filter(case_id__in=self.cases(Case.objects.all()).values("case_id"))

    def can_see_case(self, case_id: str) -> bool:
        return self.cases(Case.objects.filter(case_id=case_id)).exists()


def _empty_scope(user_id: int = 0, username: str = "") -> Scope:
    return Scope(
        user_id=user_id,
        roles=frozenset(),
        unit_ids=frozenset(),
        caseworker_id=None,
        person_level=False,
        aggregate_only=False,
        masked=False,
        read_only=True,
        is_admin=False,
        username=username,
    )


def _union(units: list[str | None]) -> frozenset[str] | None:
    return None if None in units else frozenset(u for u in units if u is not None)


def user_grants(user_id: int) -> list[tuple[str, str | None]]:
    """(role, unit_id) of each of the user's role assignments, for `grant_reach`."""
    return list(RoleAssignment.objects.filter(user_id=user_id).values_list("role", "unit_id"))


def reach_covers(reach: frozenset[str] | None, unit_ids: Iterable[str | None]) -> bool:
    """Every unit lies in the subtrees of `reach` (None = the whole city); a missing unit only city-wide."""
    wanted = set(unit_ids)
    if reach is None:
        return True
    if not reach or not wanted or None in wanted:
        return False
    return subtree(reach).filter(unit_id__in=sorted(wanted)).count() == len(wanted)


def grant_reach(grants: Iterable[tuple[str, str | None]], roles: frozenset[str]) -> frozenset[str] | None:
    """The units a user's grants (role, unit_id) of any of `roles` reach: None = the whole city, empty = none.

    For acts that only some roles may perform (auditing, writing the committee report), each
    over the units of *that* role's assignments, not of all the user's roles.
    """
    units: set[str] = set()
    for role, unit_id in grants:
        if role not in roles:
            continue
        if role in CITY_ROLES or unit_id is None:
            return None
        units.add(unit_id)
    return frozenset(units)


def scope_for(user) -> Scope:
    """The union of the user's role assignments (computed afresh; `request.scope` caches it per request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return _empty_scope()
    grants = list(RoleAssignment.objects.filter(user_id=user.pk).values_list("role", "unit_id", "caseworker_id"))
    roles = frozenset(role for role, _, _ in grants)
    if not grants:
        # A superuser without a role assignment is an administrator only: no case data.
        scope = _empty_scope(user.pk, user.get_username())
        return replace(scope, is_admin=True, roles=frozenset({"admin"})) if user.is_superuser else scope
    figure_units = [None if role in CITY_ROLES else unit for role, unit, _ in grants if role in FIGURE_ROLES]
    person_units = [None if role in CITY_ROLES else unit for role, unit, _ in grants if role in UNIT_PERSON_ROLES]
    caseworker_ids = frozenset(cw for role, _, cw in grants if role == "handlaggare" and cw)
    aggregate_only = roles <= {"namnd", "admin"} and "namnd" in roles
    return Scope(
        user_id=user.pk,
        roles=roles | ({"admin"} if user.is_superuser else set()),
        unit_ids=_union(figure_units) if figure_units else frozenset(),
        caseworker_id=min(caseworker_ids) if caseworker_ids else None,
        person_level=bool(person_units or caseworker_ids),
        aggregate_only=aggregate_only,
        masked=aggregate_only,
        read_only=roles <= READ_ONLY_ROLES | {"admin"},
        is_admin="admin" in roles or user.is_superuser,
        person_unit_ids=_union(person_units) if person_units else frozenset(),
        caseworker_ids=caseworker_ids,
        username=user.get_username(),
    )


def request_scope(request) -> Scope:
    """`request.scope` if the middleware set it, else computed now (tests, views outside the stack)."""
    scope = getattr(request, "scope", None)
    if scope is None:
        scope = scope_for(getattr(request, "user", None))
        request.scope = scope
    return scope


def client_address(request) -> str:
    """The client's address; X-Forwarded-For only when EGK_TRUST_PROXY says a proxy sets it."""
    if getattr(settings, "EGK_TRUST_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def log_access(request, *, action: str, case_ids: Iterable[str] = (), page: str, detail: str = "") -> None:
    """Append who/when/which cases/which page/from where to the hash-chained access log.

    A logged response is one no cache may keep (`PersonLevelNoStoreMiddleware`).
    """
    if action not in ACTIONS:
        raise ValueError(f"okänd åtgärd i åtkomstloggen: {action!r}")
    mark_no_store(request)
    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    scope = request_scope(request)
    hashchain.append(
        user_id=user.pk if authenticated else None,
        username=user.get_username() if authenticated else "",
        roles=",".join(sorted(scope.roles)),
        action=action,
        page=page,
        case_ids=_masked(case_ids),
        detail=mask(detail) or "",
        client=client_address(request),
    )


def mark_no_store(request) -> None:
    """The response must carry `Cache-Control: no-store` (person-level data, or a refusal about it)."""
    request.egk_no_store = True


def _masked(case_ids: Iterable[str]) -> list[str]:
    """Case ids as logged: a personnummer typed in place of a case id is masked like anywhere else."""
    ids = [str(c) for c in case_ids]
    return mask("\n".join(ids)).split("\n") if ids else []


def record_cases(request, case_ids: Iterable[str]) -> None:
    """Tell the `person_level` decorator which cases this response shows (a list or an export)."""
    request.egk_case_ids = [*getattr(request, "egk_case_ids", []), *case_ids]


def _denied(request, page: str, case_ids=(), detail: str = "") -> None:
    log_access(request, action="denied", case_ids=case_ids, page=page, detail=detail)


def person_level(page: str, action: str | None = None):
    """A view showing person-level data: 403 without person-level access; logs what was shown.

    The action is `view` when the URL has a `case_id`, `list` otherwise (or as given, e.g.
    `export`; a view that changed something sets `request.egk_action`, e.g. `mark`, and may say
    what in `request.egk_detail`). The cases logged are `record_cases(...)` plus the URL's case_id. A 404 or 403
    raised by the view for a case id is logged as a denied attempt.
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            scope = request_scope(request)
            mark_no_store(request)
            url_case = [str(kwargs["case_id"])] if "case_id" in kwargs else []
            if not scope.person_level:
                _denied(request, page, url_case, "saknar behörighet till uppgifter på personnivå")
                raise PermissionDenied
            try:
                response = view(request, *args, **kwargs)
            except (Http404, PermissionDenied):
                if url_case and not getattr(request, "egk_denied_logged", False):
                    _denied(request, page, url_case, "ärendet finns inte i användarens behörighet")
                raise
            if response.status_code < 400:
                cases = [*url_case, *getattr(request, "egk_case_ids", [])]
                done = getattr(request, "egk_action", None) or action or ("view" if url_case else "list")
                log_access(request, action=done, case_ids=cases, page=page, detail=getattr(request, "egk_detail", ""))
            return response

        wrapped.egk_access = ("person_level", page)
        wrapped.egk_may = _person_level_may
        return wrapped

    return decorate


def _person_level_may(scope: Scope) -> bool:
    return scope.person_level


def _requires(test, kind: str, page: str):
    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not test(request_scope(request)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.egk_access = (kind, page)
        wrapped.egk_may = test  # the same test, asked by the menu (web/menu.py)
        return wrapped

    return decorate


def aggregate(page: str):
    """A view of aggregated figures: any role with figures (the nämnd too); 403 for admin-only users."""
    return _requires(lambda s: s.has_figures, "aggregate", page)


def admin_required(page: str = "admin"):
    """User and role management: the admin role (or a superuser) only."""
    return _requires(lambda s: s.is_admin, "admin", page)


def log_reviewer_required(page: str = "logguppfoljning"):
    """Logguppföljning: verksamhetscontroller, avdelningschef and inspektor only."""
    return _requires(lambda s: s.log_reviewer, "log_review", page)


IMPORT_REVIEWERS = frozenset({"admin", "verksamhetscontroller"})


def import_reviewer_required(page: str = "importer"):
    """The import page: the administrator and the verksamhetscontroller, who answer for the nightly job."""
    return _requires(lambda s: s.is_admin or bool(s.roles & IMPORT_REVIEWERS), "import_review", page)


def scoped_case_or_404(request, case_id: str) -> Case:
    """The case if the user's scope includes it; otherwise 404 (logged as denied by `person_level`)."""
    case = request_scope(request).cases(Case.objects.filter(case_id=case_id)).first()
    if case is None:
        raise Http404("Ärendet finns inte eller ligger utanför din behörighet.")
    return case
