"""The data-integrity catalogue: each check finds exactly the cases built to trip it."""

from __future__ import annotations

import datetime as dt

import pytest

from egenkontroll.cases.checks import CheckError, load_checks, run_checks
from egenkontroll.cases.importer import run_import
from tests.cases.factory import event, personnummer, write_dataset

PEOPLE = {name: personnummer(dt.date(2014, 1, 1 + i), 100 + i) for i, name in enumerate("ABCDEFGHIJ")}


def contradictions() -> list[dict]:
    p = PEOPLE
    return [
        # K1: decided (with ref) before its report
        event("K1-a", "K1", p["A"], "anmalan", "2024-02-01"),
        event("K1-f", "K1", p["A"], "forhandsbedomning", "2024-01-20", ref="K1-a", outcome="ej_inleda"),
        # K2: decided (no ref) with no report on or before that day
        event("K2-f", "K2", p["B"], "forhandsbedomning", "2024-01-20", outcome="ej_inleda"),
        event("K2-a", "K2", p["B"], "anmalan", "2024-01-25"),
        # K3: concluded, never opened
        event("K3-a", "K3", p["C"], "anmalan", "2024-01-02"),
        event("K3-x", "K3", p["C"], "utredning_avslutad", "2024-03-01", outcome="ingen_insats"),
        # K4: ends before it starts
        event("K4-p", "K4", p["D"], "insats_start", "2024-03-01", intervention="kontaktperson", legal_basis="SoL"),
        event("K4-e", "K4", p["D"], "insats_slut", "2024-02-01", ref="K4-p"),
        # K5 and K6: one child, two placements at once (in two cases)
        event("K5-p", "K5", p["E"], "insats_start", "2024-01-01", intervention="familjehem", legal_basis="SoL"),
        event("K6-p", "K6", p["E"], "insats_start", "2024-02-01", intervention="hvb", legal_basis="LVU3"),
        # K7 and K8: one child moved the same day: not an overlap
        event("K7-p", "K7", p["F"], "insats_start", "2024-01-01", intervention="jourhem", legal_basis="SoL"),
        event("K7-e", "K7", p["F"], "insats_slut", "2024-03-01"),
        event("K8-p", "K8", p["F"], "insats_start", "2024-03-01", intervention="familjehem", legal_basis="SoL"),
        # K9: events after closure
        event("K9-a", "K9", p["G"], "anmalan", "2024-01-01"),
        event("K9-z", "K9", p["G"], "arende_avslutat", "2024-02-01"),
        event("K9-b", "K9", p["G"], "anmalan", "2024-03-01"),
        # K10: cw2 left 2024-03-31
        event("K10-a", "K10", p["H"], "anmalan", "2024-05-02", unit="G2", caseworker="cw2"),
        # K11: nothing wrong
        event("K11-a", "K11", p["I"], "anmalan", "2024-01-02"),
        event("K11-f", "K11", p["I"], "forhandsbedomning", "2024-01-10", ref="K11-a", outcome="inleda"),
        event("K11-x", "K11", p["I"], "utredning_avslutad", "2024-03-01", outcome="ingen_insats"),
    ]


@pytest.mark.django_db
def test_each_check_finds_its_cases_and_the_import_counts_them(tmp_path):
    summary = run_import(write_dataset(tmp_path / "d", contradictions()))
    found = {f.check.id: f.case_ids for f in run_checks("default")}
    assert found == {
        "forhandsbedomning_fore_anmalan": ["K1", "K2"],
        "utredning_avslutad_utan_inledning": ["K3"],
        "insats_slutar_fore_start": ["K4"],
        "overlappande_placeringar": ["K5", "K6"],
        "handelse_efter_avslut": ["K9"],
        "handlaggare_utanfor_anstallning": ["K10"],
    }
    assert summary.checks == {check: len(cases) for check, cases in found.items()}


def test_the_shipped_catalogue_is_complete():
    checks = load_checks()
    assert len(checks) == 6
    assert {c.severity for c in checks} == {"error", "warning"}
    assert all(c.title and c.description and c.recommendation for c in checks)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("checks: [{id: a}]", "kontroll a: fältet title saknas eller är tomt"),
        (
            "checks: [{id: a, title: t, severity: kritisk, description: d, recommendation: r, sql: SELECT 1}]",
            "kontroll a: severity ska vara error eller warning",
        ),
        (
            "checks: [{id: a, title: t, severity: error, description: d, recommendation: r, "
            "sql: DELETE FROM cases_event}]",
            "kontroll a: sql ska vara en enda SELECT",
        ),
        (
            "checks: [{id: a, title: t, severity: error, description: d, recommendation: r, "
            "sql: 'SELECT 1; DROP TABLE cases_event'}]",
            "kontroll a: sql ska vara en enda SELECT",
        ),
    ],
)
def test_a_malformed_catalogue_is_refused_with_the_check_and_field(tmp_path, text, message):
    path = tmp_path / "checks.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CheckError, match=message):
        load_checks(path)
