"""The obligations engine against hand-computed dates (shared/spec/rules.md is the only truth).

Each expected date below was counted by hand on a 2023–2027 Swedish calendar; the comment says how.
"""

from __future__ import annotations

import polars as pl
import pytest

from egenkontroll.core.obligations import evaluate
from tests.core.eventtable import d, events


def obligation(ev, as_of: str, rule: str, trigger: str | None = None, **kw) -> dict:
    rows = evaluate(ev, d(as_of), [rule]).obligations
    if trigger:
        rows = rows.filter(pl.col("trigger_event_id") == trigger)
    assert rows.height == 1, rows
    return rows.row(0, named=True)


@pytest.mark.parametrize(
    ("report", "due14", "due10ad"),
    [
        # +14 = Good Friday 3 Apr; Easter Monday 6 Apr → Tue 7 Apr. 10 wd skip 3 and 6 Apr.
        ("2026-03-20", "2026-04-07", "2026-04-07"),
        # +14 = Ascension Thu 14 May → Fri 15 May. 10 wd: 1 May and 14 May are holidays.
        ("2026-04-30", "2026-05-15", "2026-05-18"),
        # +14 = midsommarafton Fri 19 Jun → Mon 22 Jun.
        ("2026-06-05", "2026-06-22", "2026-06-22"),
        # +14 = julafton → juldagen, annandag (Sat), Sun → Mon 28 Dec.
        ("2026-12-10", "2026-12-28", "2026-12-28"),
        # +14 = nyårsafton → nyårsdagen, Sat, Sun → Mon 4 Jan. 10 wd skip 24–25 Dec, 31 Dec, 1 Jan, 6 Jan.
        ("2026-12-17", "2027-01-04", "2027-01-07"),
        # +14 lands on a plain Wednesday: stays.
        ("2026-11-04", "2026-11-18", "2026-11-18"),
        # received on a Saturday: 14 calendar days → Sat → Mon; 10 wd counted from the weekend.
        ("2026-11-21", "2026-12-07", "2026-12-04"),
    ],
)
def test_preliminary_assessment_due_dates_around_holidays(report, due14, due10ad):
    ev = events(("a1", "C1", "anmalan", report))
    assert obligation(ev, "2027-06-01", "forhandsbedomning_14d")["due_date"] == d(due14)
    assert obligation(ev, "2027-06-01", "forhandsbedomning_10ad")["due_date"] == d(due10ad)


def test_decision_on_the_moved_due_date_is_on_time_and_a_day_later_is_late():
    on_time = events(("a1", "C1", "anmalan", "2026-03-20"), ("f1", "C1", "forhandsbedomning", "2026-04-07", {"outcome": "ej_inleda"}))
    late = events(("a1", "C1", "anmalan", "2026-03-20"), ("f1", "C1", "forhandsbedomning", "2026-04-09", {"outcome": "inleda"}))
    assert obligation(on_time, "2026-05-01", "forhandsbedomning_14d")["status"] == "fulfilled_on_time"
    row = obligation(late, "2026-05-01", "forhandsbedomning_14d")
    assert (row["status"], row["days_late"], row["fulfilled_event_id"]) == ("fulfilled_late", 2, "f1")


@pytest.mark.parametrize(
    ("opened", "due"),
    [
        ("2025-10-31", "2026-03-02"),  # 31 Oct + 4 m = 28 Feb 2026 (Sat) → Mon 2 Mar
        ("2023-10-31", "2024-02-29"),  # leap year: 29 Feb 2024 is a Thursday
        ("2024-10-31", "2025-02-28"),  # 28 Feb 2025 is a Friday
        ("2026-08-24", "2026-12-28"),  # 24 Dec → julafton … → Mon 28 Dec
        ("2026-02-19", "2026-06-22"),  # 19 Jun midsommarafton → Mon 22 Jun
    ],
)
def test_investigation_four_months_with_month_ends(opened, due):
    ev = events(("u1", "C1", "utredning_inledd", opened))
    row = obligation(ev, "2027-12-31", "utredning_4m")
    assert row["due_date"] == d(due)
    assert row["status"] == "overdue"


def investigation(*extra):
    return events(("u1", "C1", "utredning_inledd", "2026-01-15"), *extra)  # due Fri 15 May 2026


def test_extension_decided_before_the_limit_moves_the_due_date():
    ev = investigation(
        ("x1", "C1", "utredning_forlangd", "2026-05-10", {"until": "2026-07-31"}),
        ("c1", "C1", "utredning_avslutad", "2026-07-20", {"outcome": "insats"}),
    )
    row = obligation(ev, "2026-08-01", "utredning_4m")
    assert (row["due_date"], row["extended"], row["status"]) == (d("2026-07-31"), True, "fulfilled_on_time")


def test_extension_decided_after_the_limit_does_not_count():
    ev = investigation(
        ("x1", "C1", "utredning_forlangd", "2026-05-20", {"until": "2026-07-31"}),
        ("c1", "C1", "utredning_avslutad", "2026-06-10", {"outcome": "insats"}),
    )
    row = obligation(ev, "2026-08-01", "utredning_4m")
    assert (row["due_date"], row["extended"], row["status"], row["days_late"]) == (
        d("2026-05-15"), False, "fulfilled_late", 26,
    )


def test_extensions_apply_in_date_order_against_the_due_date_then_in_force():
    ev = investigation(
        ("x2", "C1", "utredning_forlangd", "2026-07-20", {"until": "2026-09-30"}),  # before 31 Jul: applies
        ("x1", "C1", "utredning_forlangd", "2026-05-15", {"until": "2026-07-31"}),  # on the due date: applies
        ("x3", "C1", "utredning_forlangd", "2026-10-05", {"until": "2026-12-31"}),  # after 30 Sep: too late
    )
    row = obligation(ev, "2026-10-10", "utredning_4m")
    assert (row["due_date"], row["extended"], row["status"], row["days_late"]) == (d("2026-09-30"), True, "overdue", 10)


def test_extension_after_the_conclusion_is_ignored():
    ev = investigation(
        ("c1", "C1", "utredning_avslutad", "2026-05-20", {"outcome": "ingen_insats"}),
        ("x1", "C1", "utredning_forlangd", "2026-05-25", {"until": "2026-07-31"}),
    )
    row = obligation(ev, "2026-08-01", "utredning_4m")
    assert (row["extended"], row["status"]) == (False, "fulfilled_late")


def test_without_utredning_inledd_an_inleda_decision_opens_the_investigation():
    ev = events(
        ("a1", "C1", "anmalan", "2026-01-02"),
        ("f1", "C1", "forhandsbedomning", "2026-01-10", {"outcome": "inleda"}),
        ("c1", "C1", "utredning_avslutad", "2026-05-11", {"outcome": "insats"}),
    )
    row = obligation(ev, "2026-06-01", "utredning_4m")
    # 10 Jan (Sat) + 4 m = 10 May (Sun) → Mon 11 May
    assert (row["trigger_event_id"], row["due_date"], row["status"]) == ("f1", d("2026-05-11"), "fulfilled_on_time")


def test_each_conclusion_closes_the_earliest_open_investigation():
    ev = events(
        ("u1", "C1", "utredning_inledd", "2026-01-05"),
        ("u2", "C1", "utredning_inledd", "2026-02-02"),
        ("c1", "C1", "utredning_avslutad", "2026-03-01", {"outcome": "insats"}),
        ("c2", "C1", "utredning_avslutad", "2026-07-01", {"outcome": "insats"}),
    )
    rows = evaluate(ev, d("2026-08-01"), ["utredning_4m"]).obligations
    assert rows.select("trigger_event_id", "fulfilled_event_id", "status").rows() == [
        ("u1", "c1", "fulfilled_on_time"),
        ("u2", "c2", "fulfilled_late"),  # 2 Feb + 4 m = 2 Jun
    ]


def placement(basis="SoL", kind="familjehem", start="2025-01-10", *extra):
    return events(("i1", "C1", "insats_start", start, {"intervention": kind, "legal_basis": basis}), *extra)


def test_review_chain_one_obligation_per_link_and_the_open_link_is_owed():
    ev = placement(
        "SoL", "hvb", "2025-01-10",
        ("o1", "C1", "overvagande", "2025-07-01", {"ref": "i1"}),
        ("o2", "C1", "overvagande", "2026-01-08", {"ref": "i1"}),
    )
    rows = evaluate(ev, d("2026-09-01"), ["overvagande_6m"]).obligations
    assert rows.select("trigger_event_id", "due_date", "fulfilled_event_id", "status", "days_late").rows() == [
        ("i1", d("2025-07-10"), "o1", "fulfilled_on_time", None),
        # 1 Jul 2025 + 6 m = 1 Jan 2026 (nyårsdagen) → Fri 2 Jan: o2 on 8 Jan is 6 days late
        ("o1", d("2026-01-02"), "o2", "fulfilled_late", 6),
        # 8 Jan + 6 m = Wed 8 Jul 2026; on 1 Sep 55 days overdue
        ("o2", d("2026-07-08"), None, "overdue", 55),
    ]


def test_lvu3_placements_are_reconsidered_not_considered():
    ev = placement("LVU3", "sis", "2026-01-20")
    assert evaluate(ev, d("2026-03-01"), ["overvagande_6m"]).obligations.height == 0
    row = obligation(ev, "2026-03-01", "omprovning_6m")
    assert (row["due_date"], row["status"]) == (d("2026-07-20"), "pending")


def test_open_care_has_no_review_but_needs_an_implementation_plan():
    ev = placement("SoL", "kontaktfamilj", "2026-01-31")
    assert evaluate(ev, d("2026-06-01"), ["overvagande_6m", "besok_3m", "vardplan_placering"]).obligations.height == 0
    row = obligation(ev, "2026-06-01", "genomforandeplan_1m")
    assert row["due_date"] == d("2026-02-28")  # guideline: clamped, not moved off the Saturday


def test_ending_a_placement_before_the_due_date_voids_the_open_link():
    ev = placement("SoL", "familjehem", "2025-01-10", ("e1", "C1", "insats_slut", "2025-05-01", {"ref": "i1"}))
    assert obligation(ev, "2025-12-01", "overvagande_6m")["status"] == "void"
    assert obligation(ev, "2025-12-01", "besok_3m")["status"] == "overdue"  # due 10 Apr, before the end


def test_closing_the_case_voids_an_undecided_report():
    ev = events(("a1", "C1", "anmalan", "2026-03-02"), ("z1", "C1", "arende_avslutat", "2026-03-10"))
    assert obligation(ev, "2026-06-01", "forhandsbedomning_14d")["status"] == "void"


def test_custody_transfer_consideration_before_and_after_sfs_2022_665():
    old = placement("SoL", "familjehem", "2021-03-01")
    new = placement("LVU2", "natverkshem", "2023-03-01")
    assert obligation(old, "2026-01-01", "vardnadsoverflyttning_2ar")["due_date"] == d("2024-03-01")  # 3 years
    row = obligation(new, "2026-01-01", "vardnadsoverflyttning_2ar")
    assert (row["due_date"], row["status"]) == (d("2025-03-03"), "overdue")  # 1 Mar 2025 is a Saturday


def test_care_plan_is_due_on_the_placement_day():
    ev = placement("SoL", "jourhem", "2026-02-02", ("v1", "C1", "vardplan", "2026-02-05", {"ref": "i1"}))
    row = obligation(ev, "2026-03-01", "vardplan_placering")
    assert (row["due_date"], row["status"], row["days_late"]) == (d("2026-02-02"), "fulfilled_late", 3)


def test_events_after_as_of_are_ignored():
    ev = events(("a1", "C1", "anmalan", "2026-03-02"), ("f1", "C1", "forhandsbedomning", "2026-03-10", {"outcome": "ej_inleda"}))
    assert obligation(ev, "2026-03-09", "forhandsbedomning_14d")["status"] == "pending"
    assert obligation(ev, "2026-03-10", "forhandsbedomning_14d")["status"] == "fulfilled_on_time"
    assert evaluate(ev, d("2026-03-01")).obligations.height == 0


def test_two_reports_with_ref_decided_out_of_order():
    ev = events(
        ("a1", "C1", "anmalan", "2026-03-02"),
        ("a2", "C1", "anmalan", "2026-03-05"),
        ("f2", "C1", "forhandsbedomning", "2026-03-06", {"outcome": "ej_inleda", "ref": "a2"}),
        ("f1", "C1", "forhandsbedomning", "2026-03-20", {"outcome": "inleda", "ref": "a1"}),
    )
    rows = evaluate(ev, d("2026-04-01"), ["forhandsbedomning_14d"]).obligations
    assert rows.select("trigger_event_id", "fulfilled_event_id", "status").rows() == [
        ("a1", "f1", "fulfilled_late"),  # due 16 Mar
        ("a2", "f2", "fulfilled_on_time"),
    ]


def test_two_reports_without_ref_are_decided_first_in_first_out():
    ev = events(
        ("a1", "C1", "anmalan", "2026-03-02"),
        ("a2", "C1", "anmalan", "2026-03-05"),
        ("f1", "C1", "forhandsbedomning", "2026-03-06", {"outcome": "ej_inleda"}),
        ("f2", "C1", "forhandsbedomning", "2026-03-20", {"outcome": "ej_inleda"}),
    )
    rows = evaluate(ev, d("2026-04-01"), ["forhandsbedomning_14d"]).obligations
    assert rows.select("trigger_event_id", "fulfilled_event_id", "status").rows() == [
        ("a1", "f1", "fulfilled_on_time"),
        ("a2", "f2", "fulfilled_late"),  # 5 Mar + 14 = Thu 19 Mar
    ]


def test_decision_without_ref_never_decides_a_later_report():
    ev = events(
        ("f1", "C1", "forhandsbedomning", "2026-03-01", {"outcome": "ej_inleda"}),
        ("a1", "C1", "anmalan", "2026-03-02"),
    )
    assert obligation(ev, "2026-03-03", "forhandsbedomning_14d")["status"] == "pending"


def test_followup_without_ref_is_rejected_when_two_placements_are_open():
    ev = events(
        ("i1", "C1", "insats_start", "2026-01-05", {"intervention": "familjehem", "legal_basis": "SoL"}),
        ("i2", "C1", "insats_start", "2026-01-20", {"intervention": "hvb", "legal_basis": "SoL"}),
        ("b1", "C1", "besok", "2026-01-10"),  # only i1 open: linked
        ("b2", "C1", "besok", "2026-02-10"),  # both open: ambiguous
        ("e1", "C1", "insats_slut", "2026-03-01", {"ref": "i2"}),
        ("b3", "C1", "besok", "2026-03-10"),  # i2 ended: linked to i1
    )
    result = evaluate(ev, d("2026-04-01"), ["besok_3m"])
    assert result.rejects["event_id"].to_list() == ["b2"]
    assert "tvetydig" in result.rejects["reason"][0]
    assert result.obligations["fulfilled_event_id"].to_list() == ["b1", "b3", None]


def test_open_obligation_belongs_to_the_caseworker_responsible_on_as_of():
    ev = events(
        ("a1", "C1", "anmalan", "2026-03-02", {"caseworker_id": "H1", "unit_id": "G1"}),
        ("h1", "C1", "handlaggare", "2026-03-04", {"caseworker_id": "H2", "unit_id": "G2"}),
    )
    assert (obligation(ev, "2026-03-03", "forhandsbedomning_14d")["caseworker_id"]) == "H1"
    row = obligation(ev, "2026-03-30", "forhandsbedomning_14d")
    assert (row["caseworker_id"], row["unit_id"]) == ("H2", "G2")


def test_fulfilled_obligation_belongs_to_whoever_fulfilled_it():
    ev = events(
        ("a1", "C1", "anmalan", "2026-03-02", {"caseworker_id": "H1", "unit_id": "G1"}),
        ("f1", "C1", "forhandsbedomning", "2026-03-05", {"caseworker_id": "H3", "unit_id": "G3", "outcome": "inleda"}),
        ("h1", "C1", "handlaggare", "2026-03-06", {"caseworker_id": "H2", "unit_id": "G2"}),
    )
    row = obligation(ev, "2026-04-01", "forhandsbedomning_14d")
    assert (row["caseworker_id"], row["unit_id"]) == ("H3", "G3")


def test_disabled_or_unknown_rules():
    from egenkontroll.core.rules import RuleError

    with pytest.raises(RuleError, match="okända regler"):
        evaluate(events(("a1", "C1", "anmalan", "2026-03-02")), d("2026-04-01"), ["no_such_rule"])


def test_a_care_plan_made_before_its_placement_waits_for_it_on_an_earlier_as_of():
    # SoL 11 kap. 3 §: the vårdplan may be made before the placement starts, naming it in ref.
    ev = events(
        ("v1", "C1", "vardplan", "2026-01-02", {"ref": "i1"}),
        ("i1", "C1", "insats_start", "2026-01-12", {"intervention": "familjehem", "legal_basis": "SoL"}),
        ("v2", "C2", "vardplan", "2026-01-02", {"ref": "i9"}),  # names no insats of its case at all
    )
    before = evaluate(ev, d("2026-01-05"), ["vardplan_placering"])
    assert before.rejects["event_id"].to_list() == ["v2"]
    assert before.obligations.is_empty()
    after = evaluate(ev, d("2026-01-20"), ["vardplan_placering"])
    assert after.rejects["event_id"].to_list() == ["v2"]
    assert after.obligations["fulfilled_event_id"].to_list() == ["v1"]
