"""The scoping layer: which cases, obligations, events and units each role sees, by hand."""

from __future__ import annotations

import polars as pl
import pytest
from django.contrib.auth import get_user_model

from egenkontroll.access.scoping import scope_for, subtree
from egenkontroll.cases.models import Case, Caseworker, Event, Obligation, OrgUnit
from tests.access.cityfixture import build_city, make_users


@pytest.fixture
def users(db):
    build_city()
    return make_users()


def ids(qs, field="case_id"):
    return sorted(qs.values_list(field, flat=True))


EXPECTED_CASES = {
    "anna": ["C1", "C2", "C6"],
    "bo": ["C3"],
    "ledare": ["C1", "C2", "C3"],
    "chef": ["C1", "C2", "C3", "C4"],
    "controller": ["C1", "C2", "C3", "C4"],
    "avdchef": ["C5", "C6"],
    "inspektor": ["C1", "C2", "C3", "C4", "C5", "C6"],
    "namnd": [],
    "admin": [],
    "dubbel": ["C4", "C5", "C6"],
}


@pytest.mark.parametrize("name", sorted(EXPECTED_CASES))
def test_cases_obligations_and_events_follow_the_scope(users, name):
    scope = scope_for(users[name])
    assert ids(scope.cases(Case.objects.all())) == EXPECTED_CASES[name]
    assert ids(scope.obligations(Obligation.objects.all())) == EXPECTED_CASES[name]
    assert ids(scope.events(Event.objects.all())) == EXPECTED_CASES[name]
    assert scope.person_level == bool(EXPECTED_CASES[name])


@pytest.mark.parametrize("name", sorted(EXPECTED_CASES))
def test_the_frame_form_of_the_person_rule_agrees_with_the_query(users, name):
    """`Scope.person_expr` (over the pages' frames) shows the same cases as `Scope.cases` (a query)."""
    scope = scope_for(users[name])
    cases = pl.DataFrame(
        list(Case.objects.values_list("case_id", "unit_id", "caseworker_id")),
        schema=["case_id", "unit_id", "caseworker_id"], orient="row",
    )

    def subtree_ids(unit: str) -> list[str]:
        return [row["unit_id"] for row in subtree(frozenset({unit}))]

    assert sorted(cases.filter(scope.person_expr(subtree_ids))["case_id"]) == EXPECTED_CASES[name]


EXPECTED_UNITS = {
    "anna": ["G1"],
    "ledare": ["G1"],
    "chef": ["E1", "G1", "G2"],
    "controller": ["A1", "E1", "G1", "G2"],
    "avdchef": ["A2", "E2", "G3"],
    "inspektor": ["A1", "A2", "E1", "E2", "F", "G1", "G2", "G3", "S"],
    "namnd": ["A1", "A2", "E1", "E2", "F", "G1", "G2", "G3", "S"],
    "admin": [],
    "dubbel": ["E2", "G1", "G3"],
}


@pytest.mark.parametrize("name", sorted(EXPECTED_UNITS))
def test_figure_units_are_whole_subtrees(users, name):
    scope = scope_for(users[name])
    assert ids(scope.org_units(OrgUnit.objects.all()), "unit_id") == EXPECTED_UNITS[name]


def test_flags_per_role(users):
    namnd, inspektor, admin, anna = (scope_for(users[n]) for n in ("namnd", "inspektor", "admin", "anna"))
    assert (namnd.aggregate_only, namnd.masked, namnd.person_level) == (True, True, False)
    assert (inspektor.read_only, inspektor.unit_ids, inspektor.person_level) == (True, None, True)
    assert (admin.is_admin, admin.person_level, admin.has_figures) == (True, False, False)
    assert (anna.caseworker_id, anna.read_only, anna.is_admin) == ("anna", False, False)
    assert ids(namnd.caseworkers(Caseworker.objects.all()), "caseworker_id") == []
    assert ids(anna.caseworkers(Caseworker.objects.all()), "caseworker_id") == ["anna", "bo"]


def test_can_see_case_and_unit(users):
    anna, chef = scope_for(users["anna"]), scope_for(users["chef"])
    assert [anna.can_see_case(c) for c in ("C1", "C3", "C6", "nope")] == [True, False, True, False]
    assert [chef.can_see_unit(u) for u in ("E1", "G2", "E2", "A1")] == [True, True, False, False]


def test_superuser_without_roles_is_admin_only(users):
    root = get_user_model().objects.create_superuser("root", password="x")
    scope = scope_for(root)
    assert (scope.is_admin, scope.person_level, scope.roles) == (True, False, frozenset({"admin"}))
    assert ids(scope.cases(Case.objects.all())) == []


def test_inactive_and_anonymous_users_see_nothing(users):
    users["chef"].is_active = False
    assert ids(scope_for(users["chef"]).cases(Case.objects.all())) == []
    assert scope_for(None).roles == frozenset()
