"""Issue 11: anmälan / ansökan / information, and the LVU (1990:52) time limits, against the law.

Every expected date below was counted BY HAND from the law text on the Swedish calendar of
2025–2027 (never taken from the code); the comment on each row shows the count. The day rules
are those of Lag (1930:173) om beräkning av lagstadgad tid: a time limit whose last day is a
Saturday, Sunday or public holiday (or midsommarafton, julafton, nyårsafton) ends on the next
working day. Months are calendar months, clamped to the month's last day (30 Nov + 3 m = 28 Feb).

Holidays used (2026): Långfredagen Fri 3 Apr, Påskdagen Sun 5 Apr, Annandag påsk Mon 6 Apr,
Midsommarafton Fri 19 Jun, Midsommardagen Sat 20 Jun, Julafton Thu 24 Dec, Juldagen Fri 25 Dec,
Annandag jul Sat 26 Dec, Nyårsafton Thu 31 Dec, Nyårsdagen Fri 1 Jan 2027.
"""

from __future__ import annotations

import polars as pl
import pytest

from egenkontroll.core.obligations import evaluate
from egenkontroll.core.rules import load_catalogue
from tests.core.eventtable import d, events

AS_OF = "2027-06-30"


def rows(ev, rule: str, as_of: str = AS_OF) -> pl.DataFrame:
    return evaluate(ev, d(as_of), [rule]).obligations.sort("trigger_date", "trigger_event_id")


def one(ev, rule: str, as_of: str = AS_OF, trigger: str | None = None) -> dict:
    found = rows(ev, rule, as_of)
    if trigger:
        found = found.filter(pl.col("trigger_event_id") == trigger)
    assert found.height == 1, found
    return found.row(0, named=True)


def lvu6(start: str, end: str | None = None, case: str = "C1", key: str = "p1") -> list[tuple]:
    """An omedelbart omhändertagande carried out on `start` (a jourhem under LVU 6 §)."""
    out = [(key, case, "insats_start", start, {"intervention": "jourhem", "legal_basis": "LVU6"})]
    if end:
        out.append((f"{key}-slut", case, "insats_slut", end, {"ref": key}))
    return out


# ------------------------------------------------------------------ LVU 7 §: underställning


@pytest.mark.parametrize(
    ("decided", "due"),
    [
        # Fri 27 Mar + 7 = Fri 3 Apr Långfredagen; Sat 4, Påskdagen 5, Annandag påsk 6 → Tue 7 Apr.
        ("2026-03-27", "2026-04-07"),
        # Fri 12 Jun + 7 = Fri 19 Jun midsommarafton; Sat 20 midsommardagen, Sun 21 → Mon 22 Jun.
        ("2026-06-12", "2026-06-22"),
        # Thu 17 Dec + 7 = Thu 24 Dec julafton; juldagen 25, Sat 26 (annandag), Sun 27 → Mon 28 Dec.
        ("2026-12-17", "2026-12-28"),
        # Thu 24 Dec + 7 = Thu 31 Dec nyårsafton; nyårsdagen Fri 1 Jan, Sat 2, Sun 3 → Mon 4 Jan 2027.
        ("2026-12-24", "2027-01-04"),
        # Tue 24 Mar + 7 = Tue 31 Mar, a working day at the month's end: stays.
        ("2026-03-24", "2026-03-31"),
        # Fri 23 Oct + 7 = Fri 30 Oct, working day (Alla helgons dag is Sat 31 Oct): stays.
        ("2026-10-23", "2026-10-30"),
    ],
)
def test_underställning_within_a_week_of_the_decision(decided, due):
    ev = events(("b1", "C1", "lvu6_beslut", decided))
    row = one(ev, "lvu_understallning_1v")
    assert (row["due_date"], row["status"]) == (d(due), "overdue")


def test_underställning_on_the_moved_last_day_is_on_time_and_the_day_after_late():
    on_time = events(("b1", "C1", "lvu6_beslut", "2026-03-27"), ("u1", "C1", "lvu6_understallt", "2026-04-07"))
    late = events(("b1", "C1", "lvu6_beslut", "2026-03-27"), ("u1", "C1", "lvu6_understallt", "2026-04-08"))
    assert one(on_time, "lvu_understallning_1v")["status"] == "fulfilled_on_time"
    row = one(late, "lvu_understallning_1v")
    assert (row["status"], row["days_late"]) == ("fulfilled_late", 1)


def test_underställning_names_its_decision_else_takes_the_earliest_without_one():
    ev = events(
        ("b1", "C1", "lvu6_beslut", "2026-05-04"),
        ("b2", "C1", "lvu6_beslut", "2026-05-06"),
        ("u2", "C1", "lvu6_understallt", "2026-05-07", {"ref": "b2"}),  # names the later decision
        ("u1", "C1", "lvu6_understallt", "2026-05-15"),  # no ref: the earliest unanswered (b1)
    )
    found = {r["trigger_event_id"]: r for r in rows(ev, "lvu_understallning_1v").to_dicts()}
    # b1: Mon 4 May + 7 = Mon 11 May; answered 15 May → 4 days late. b2: + 7 = Wed 13 May.
    assert (found["b1"]["fulfilled_event_id"], found["b1"]["status"], found["b1"]["days_late"]) == (
        "u1", "fulfilled_late", 4,
    )
    assert (found["b2"]["fulfilled_event_id"], found["b2"]["due_date"]) == ("u2", d("2026-05-13"))


# ------------------------------------------------------------------ LVU 8 §: ansökan om vård


@pytest.mark.parametrize(
    ("start", "due"),
    [
        # Fri 6 Mar + 28 = Fri 3 Apr Långfredagen → Sat, Påskdagen, Annandag påsk → Tue 7 Apr.
        ("2026-03-06", "2026-04-07"),
        # Fri 22 May + 28 = Fri 19 Jun midsommarafton → Sat 20, Sun 21 → Mon 22 Jun.
        ("2026-05-22", "2026-06-22"),
        # Thu 26 Nov + 28 = Thu 24 Dec julafton → 25, 26, 27 → Mon 28 Dec.
        ("2026-11-26", "2026-12-28"),
        # Sat 31 Jan + 28 = Sat 28 Feb (month end) → Sun 1 Mar → Mon 2 Mar.
        ("2026-01-31", "2026-03-02"),
        # Tue 3 Mar + 28 = Tue 31 Mar, working day: stays.
        ("2026-03-03", "2026-03-31"),
    ],
)
def test_ansökan_within_four_weeks_of_the_omhändertagande(start, due):
    assert one(events(*lvu6(start)), "lvu_ansokan_4v")["due_date"] == d(due)


def test_ansökan_fulfils_from_the_placement_start_and_an_earlier_one_does_not_count():
    ev = events(
        ("x0", "C1", "lvu_ansokan", "2026-02-20"),  # before the omhändertagande: another matter
        *lvu6("2026-03-06"),
        ("x1", "C1", "lvu_ansokan", "2026-04-07"),  # on the moved last day
    )
    row = one(ev, "lvu_ansokan_4v")
    assert (row["fulfilled_event_id"], row["status"]) == ("x1", "fulfilled_on_time")


def test_ansökan_is_void_when_the_omhändertagande_ends_before_the_limit():
    # Due Tue 7 Apr (above); the placement ends Fri 20 Mar without an ansökan: void, not late.
    assert one(events(*lvu6("2026-03-06", "2026-03-20")), "lvu_ansokan_4v")["status"] == "void"
    # Ending on the due day itself does not void it: still owed and, without ansökan, overdue.
    assert one(events(*lvu6("2026-03-06", "2026-04-07")), "lvu_ansokan_4v")["status"] == "overdue"


def test_only_lvu6_placements_owe_an_ansökan():
    ev = events(("p1", "C1", "insats_start", "2026-03-06", {"intervention": "hvb", "legal_basis": "LVU2"}))
    assert rows(ev, "lvu_ansokan_4v").height == 0


# ------------------------------------------------------------------ LVU 14 § third paragraph


def placement(start: str = "2025-06-02", basis: str = "LVU2", key: str = "p1", intervention: str = "familjehem"):
    return (key, "C1", "insats_start", start, {"intervention": intervention, "legal_basis": basis})


@pytest.mark.parametrize(
    ("decided", "due"),
    [
        # Fri 3 Oct 2025 + 3 m = Sat 3 Jan 2026 → Sun 4 → Mon 5 Jan (trettondedag is Tue 6).
        ("2025-10-03", "2026-01-05"),
        # Sun 30 Nov 2025 + 3 m = 28 Feb 2026 (clamped; Sat) → Sun 1 Mar → Mon 2 Mar.
        ("2025-11-30", "2026-03-02"),
        # Thu 19 Mar + 3 m = Fri 19 Jun midsommarafton → Sat, Sun → Mon 22 Jun.
        ("2026-03-19", "2026-06-22"),
        # Thu 24 Sep + 3 m = Thu 24 Dec julafton → 25, 26, 27 → Mon 28 Dec.
        ("2026-09-24", "2026-12-28"),
        # Sat 3 Jan + 3 m = Fri 3 Apr Långfredagen → Sat, Påskdagen, Annandag → Tue 7 Apr.
        ("2026-01-03", "2026-04-07"),
    ],
)
def test_restriction_considered_within_three_months(decided, due):
    ev = events(placement(), ("r1", "C1", "umgangesbegransning", decided, {"ref": "p1"}))
    assert one(ev, "lvu14_overvagande_3m")["due_date"] == d(due)


def test_each_consideration_owes_the_next_three_months_later():
    ev = events(
        placement(),
        ("r1", "C1", "umgangesbegransning", "2025-10-03", {"ref": "p1"}),
        ("o1", "C1", "umgangesbegransning_overvagd", "2026-01-05", {"ref": "p1"}),  # on the moved day
        ("o2", "C1", "umgangesbegransning_overvagd", "2026-04-08", {"ref": "p1"}),  # a day late
    )
    found = rows(ev, "lvu14_overvagande_3m", as_of="2026-05-01").select(
        "trigger_event_id", "due_date", "fulfilled_event_id", "status"
    ).rows()
    assert found == [
        ("r1", d("2026-01-05"), "o1", "fulfilled_on_time"),  # 3 Oct + 3 m = Sat 3 Jan → Mon 5 Jan
        ("o1", d("2026-04-07"), "o2", "fulfilled_late"),  # 5 Jan + 3 m = Påskdagen 5 Apr → Tue 7 Apr
        ("o2", d("2026-07-08"), None, "pending"),  # Wed 8 Apr + 3 m = Wed 8 Jul
    ]


def test_lifting_the_restriction_or_ending_the_placement_voids_the_open_consideration():
    lifted = events(
        placement(),
        ("r1", "C1", "umgangesbegransning", "2026-01-10", {"ref": "p1"}),  # due Fri 10 Apr
        ("l1", "C1", "umgangesbegransning_upphord", "2026-02-15", {"ref": "p1"}),
        # a new restriction later on the same placement starts its own chain
        ("r2", "C1", "umgangesbegransning", "2026-05-04", {"ref": "p1"}),  # + 3 m = Tue 4 Aug
        ("o2", "C1", "umgangesbegransning_overvagd", "2026-07-01", {"ref": "p1"}),  # + 3 m = Thu 1 Oct
    )
    found = rows(lifted, "lvu14_overvagande_3m", as_of="2026-08-01").select(
        "trigger_event_id", "due_date", "fulfilled_event_id", "status"
    ).rows()
    assert found == [
        ("r1", d("2026-04-10"), None, "void"),
        ("r2", d("2026-08-04"), "o2", "fulfilled_on_time"),
        ("o2", d("2026-10-01"), None, "pending"),
    ]
    ended = events(
        placement(),
        ("r1", "C1", "umgangesbegransning", "2026-01-10", {"ref": "p1"}),
        ("e1", "C1", "insats_slut", "2026-03-31", {"ref": "p1"}),
    )
    assert one(ended, "lvu14_overvagande_3m")["status"] == "void"


# ------------------------------------------------------------------ SoL 6 kap. 6 §: jourhem


def jourhem_case(concluded: str, ended: str | None, start: str = "2025-05-05") -> pl.DataFrame:
    return events(
        ("a1", "C1", "anmalan", "2025-05-01"),
        ("i1", "C1", "utredning_inledd", "2025-05-02"),
        ("p1", "C1", "insats_start", start, {"intervention": "jourhem", "legal_basis": "SoL"}),
        ("u1", "C1", "utredning_avslutad", concluded, {"outcome": "insats"}),
        *([("s1", "C1", "insats_slut", ended, {"ref": "p1"})] if ended else []),
    )


@pytest.mark.parametrize(
    ("concluded", "due"),
    [
        # Tue 3 Feb + 2 m = Fri 3 Apr Långfredagen → Sat, Påskdagen, Annandag påsk → Tue 7 Apr.
        ("2026-02-03", "2026-04-07"),
        # Mon 20 Apr + 2 m = Sat 20 Jun midsommardagen → Sun 21 → Mon 22 Jun.
        ("2026-04-20", "2026-06-22"),
        # Mon 26 Oct + 2 m = Sat 26 Dec annandag jul → Sun 27 → Mon 28 Dec.
        ("2026-10-26", "2026-12-28"),
        # Wed 31 Dec 2025 + 2 m = 28 Feb 2026 (clamped; Sat) → Sun 1 Mar → Mon 2 Mar.
        ("2025-12-31", "2026-03-02"),
        # Mon 30 Jun 2025 (the last day of SoL 2001:453's row) + 2 m = Sat 30 Aug → Mon 1 Sep.
        ("2025-06-30", "2025-09-01"),
    ],
)
def test_jourhem_ends_within_two_months_of_the_concluded_investigation(concluded, due):
    assert one(jourhem_case(concluded, None), "jourhem_2m")["due_date"] == d(due)


def test_jourhem_moved_on_on_the_last_day_is_on_time_a_day_later_late():
    assert one(jourhem_case("2026-02-03", "2026-04-07"), "jourhem_2m")["status"] == "fulfilled_on_time"
    row = one(jourhem_case("2026-02-03", "2026-04-08"), "jourhem_2m")
    assert (row["status"], row["days_late"], row["fulfilled_event_id"]) == ("fulfilled_late", 1, "s1")


def test_no_jourhem_duty_without_a_jourhem_open_at_the_conclusion():
    ended_before = jourhem_case("2026-02-03", "2026-01-20")
    started_after = jourhem_case("2026-02-03", None, start="2026-02-10")
    familjehem = events(
        ("p1", "C1", "insats_start", "2026-01-05", {"intervention": "familjehem", "legal_basis": "SoL"}),
        ("u1", "C1", "utredning_avslutad", "2026-02-03", {"outcome": "insats"}),
    )
    for ev in (ended_before, started_after, familjehem):
        assert rows(ev, "jourhem_2m").height == 0


def test_the_jourhem_rows_change_reference_at_the_new_socialtjanstlag():
    # one row; its references change by trigger date (docs/rules.md, "How references are versioned")
    catalogue = load_catalogue()
    old, new = catalogue.reference_for("jourhem_2m", d("2025-06-30")), catalogue.reference_for("jourhem_2m", d("2025-07-01"))
    assert "2001:453" in old.text and "6 kap. 6 §" in old.text and not old.verified
    assert "2025:400" in new.text and "22 kap. 4 § andra stycket" in new.text and new.verified


# ------------------------------------------------------------------ anmälan, ansökan, information


@pytest.mark.parametrize(
    ("kind", "owed"),
    [(None, True), ("anmalan", True), ("ansokan", False), ("information", False)],
)
def test_only_an_anmalan_owes_förhandsbedömning_and_skyddsbedömning(kind, owed):
    ev = events(("a1", "C1", "anmalan", "2026-03-20", {"kind": kind}))
    for rule in ("forhandsbedomning_14d", "forhandsbedomning_10ad", "skyddsbedomning_1d"):
        assert rows(ev, rule).height == (1 if owed else 0), (rule, kind)


@pytest.mark.parametrize(
    ("received", "owes_fb"),
    [
        ("2026-03-02", False),  # after the investigation opened (1 Mar) and before it concluded
        ("2026-04-03", False),  # Långfredagen, still inside the open investigation
        ("2026-04-07", False),  # on the day it concluded: "not concluded before it"
        ("2026-04-08", True),  # the day after the conclusion: a new förhandsbedömning is owed
        ("2026-03-01", True),  # on the day it opened: not "opened before" the anmälan
    ],
)
def test_an_anmalan_during_an_open_investigation_owes_no_förhandsbedömning(received, owes_fb):
    ev = events(
        ("a0", "C1", "anmalan", "2026-02-20"),
        ("i1", "C1", "utredning_inledd", "2026-03-01"),
        ("u1", "C1", "utredning_avslutad", "2026-04-07", {"outcome": "ingen_insats"}),
        ("a1", "C1", "anmalan", received),
    )
    for rule in ("forhandsbedomning_14d", "forhandsbedomning_10ad"):
        assert rows(ev, rule).filter(pl.col("trigger_event_id") == "a1").height == int(owes_fb), rule
    # the skyddsbedömning is owed all the same
    assert rows(ev, "skyddsbedomning_1d").filter(pl.col("trigger_event_id") == "a1").height == 1


def test_an_ansökan_never_takes_the_förhandsbedömning_of_a_later_anmälan():
    ev = events(
        ("s1", "C1", "anmalan", "2026-03-02", {"kind": "ansokan"}),
        ("a1", "C1", "anmalan", "2026-03-10"),
        ("f1", "C1", "forhandsbedomning", "2026-03-12", {"outcome": "ej_inleda"}),  # no ref: FIFO
    )
    row = one(ev, "forhandsbedomning_14d")
    assert (row["trigger_event_id"], row["fulfilled_event_id"], row["status"]) == ("a1", "f1", "fulfilled_on_time")


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # "genast": the same day or the next, a calendar day that 1930:173 does not move
        ("2026-12-24", "2026-12-25"),  # julafton → juldagen
        ("2026-06-18", "2026-06-19"),  # → midsommarafton
        ("2026-03-31", "2026-04-01"),  # month end → 1 Apr
        ("2026-04-02", "2026-04-03"),  # → Långfredagen
    ],
)
def test_skyddsbedömning_is_law_due_the_next_day(received, due):
    assert one(events(("a1", "C1", "anmalan", received)), "skyddsbedomning_1d")["due_date"] == d(due)
    rule = next(r for r in load_catalogue().rules if r.id == "skyddsbedomning_1d")
    assert rule.kind == "lag" and "genast" in rule.reference and "11 kap. 1 a §" in rule.reference


def test_a_law_row_cannot_be_switched_off(tmp_path):
    import yaml

    from egenkontroll.core.rules import RuleError

    data = yaml.safe_load(load_catalogue().source.read_text(encoding="utf-8"))
    next(r for r in data["rules"] if r["id"] == "skyddsbedomning_1d")["enabled"] = False
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RuleError, match="skyddsbedomning_1d.*kan inte stängas av"):
        load_catalogue(path)


# ------------------------------------------------------------------ övervägande, vårdplan


@pytest.mark.parametrize(
    ("start", "basis", "due"),
    [
        # LVU 2 § from Fri 3 Oct 2025 + 6 m = Fri 3 Apr 2026 Långfredagen → Tue 7 Apr.
        ("2025-10-03", "LVU2", "2026-04-07"),
        # SoL from Fri 19 Dec 2025 + 6 m = Fri 19 Jun midsommarafton → Mon 22 Jun.
        ("2025-12-19", "SoL", "2026-06-22"),
        # LVU 2 § from Wed 24 Jun + 6 m = Thu 24 Dec julafton → Mon 28 Dec.
        ("2026-06-24", "LVU2", "2026-12-28"),
        # SoL from Sun 31 Aug 2025 + 6 m = 28 Feb 2026 (clamped; Sat) → Mon 2 Mar.
        ("2025-08-31", "SoL", "2026-03-02"),
        # An omedelbart omhändertagande (LVU 6 §) owes no 6-monthly övervägande.
        ("2025-10-03", "LVU6", None),
    ],
)
def test_six_monthly_övervägande_for_sol_and_lvu2_only(start, basis, due):
    ev = events(("p1", "C1", "insats_start", start, {"intervention": "jourhem", "legal_basis": basis}))
    found = rows(ev, "overvagande_6m")
    assert found["due_date"].to_list() == ([d(due)] if due else [])


def test_care_after_an_omhändertagande_counts_from_its_own_verkställighet():
    """LVU 6 § jourhem from Sat 10 Jan; the court's LVU 2 § care carried out Fri 20 Feb, the
    jourhem placement ending that day."""
    ev = events(
        *lvu6("2026-01-10", "2026-02-20"),
        ("x1", "C1", "lvu_ansokan", "2026-02-06"),
        ("p2", "C1", "insats_start", "2026-02-20", {"intervention": "familjehem", "legal_basis": "LVU2", "ref": "p2"}),
        ("v2", "C1", "vardplan", "2026-02-20", {"ref": "p2"}),
    )
    over = rows(ev, "overvagande_6m", as_of="2026-03-01")
    # only the LVU 2 § placement: Fri 20 Feb + 6 m = Thu 20 Aug, a working day
    assert over.select("trigger_event_id", "due_date").rows() == [("p2", d("2026-08-20"))]
    # the vårdplan is owed for the care, not for the omhändertagande (it follows with the ansökan)
    assert rows(ev, "vardplan_placering", as_of="2026-03-01")["trigger_event_id"].to_list() == ["p2"]
    # Sat 10 Jan + 28 = Sat 7 Feb → Sun 8 → Mon 9 Feb; the ansökan came Fri 6 Feb
    row = one(ev, "lvu_ansokan_4v", as_of="2026-03-01")
    assert (row["due_date"], row["status"]) == (d("2026-02-09"), "fulfilled_on_time")
