"""The events' own answers to audit questions, and the agreement with the reviewer, by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl

from egenkontroll.core.audit_prefill import agreement, system_answers
from egenkontroll.core.audits import load_templates

D = dt.date
FROM, TO = D(2024, 1, 1), D(2024, 12, 31)


def test_each_prefill_kind_answers_from_the_events_and_obligations():
    template = load_templates()["familjevard"]
    events = pl.DataFrame(
        [
            ("A", "vardplan", D(2023, 5, 1)),  # before the period: still a vårdplan
            ("A", "genomforandeplan", D(2025, 2, 1)),  # after the period's end: not counted
            *[("A", "besok", D(2024, m, 1)) for m in (2, 5, 8, 11)],  # four visits
            ("B", "vardplan", D(2024, 3, 1)),
            *[("B", "besok", D(2024, m, 1)) for m in (2, 5, 8)],  # three visits
            ("B", "besok", D(2023, 12, 1)),  # before the period
        ],
        schema={"case_id": pl.Utf8, "event_type": pl.Utf8, "date": pl.Date}, orient="row",
    )
    obligations = pl.DataFrame(
        [
            ("A", "overvagande_6m", D(2024, 6, 1), "fulfilled_on_time"),
            ("A", "overvagande_6m", D(2024, 12, 1), "pending"),
            ("B", "overvagande_6m", D(2024, 6, 1), "fulfilled_late"),
            ("C", "overvagande_6m", D(2025, 3, 1), "overdue"),  # due after the period: not this audit's
        ],
        schema={"case_id": pl.Utf8, "rule": pl.Utf8, "due_date": pl.Date, "status": pl.Utf8}, orient="row",
    )
    found = system_answers(template, ["A", "B", "C"], events, obligations, FROM, TO)
    got = {(c, q): a for c, q, a in found.iter_rows()}
    assert got == {
        ("A", "vardplan"): "ja", ("B", "vardplan"): "ja", ("C", "vardplan"): "nej",
        ("A", "genomforandeplan"): "nej", ("B", "genomforandeplan"): "nej", ("C", "genomforandeplan"): "nej",
        ("A", "overvagande_6m"): "ja", ("B", "overvagande_6m"): "nej", ("C", "overvagande_6m"): "ej_aktuellt",
        ("A", "besok_regelbundet"): "ja", ("B", "besok_regelbundet"): "nej", ("C", "besok_regelbundet"): "nej",
    }


def test_agreement_counts_only_answered_cases():
    reviewer = pl.DataFrame({"case_id": ["A", "B", "C", "A"], "question_id": ["vardplan", "vardplan", "vardplan", "x"],
                             "answer": ["ja", "ja", None, "ja"]})
    system = pl.DataFrame({"case_id": ["A", "B", "C"], "question_id": ["vardplan"] * 3, "answer": ["ja", "nej", "nej"]})
    rows = agreement(reviewer, system).rows()
    assert rows == [("vardplan", 2, 1, 0.5)]
