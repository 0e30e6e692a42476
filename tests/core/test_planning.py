"""Surge planning: the fluid queue worked by hand, the calibration on a tiny town, and two properties."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egenkontroll.core import planning as P
from egenkontroll.core.kpi_catalogue import load_catalogue
from egenkontroll.core.schema import CASEWORKERS, ORG_UNITS, conform
from tests.core.eventtable import d, events

AS_OF = dt.date(2026, 3, 1)  # a Sunday: week 1 starts Monday 2026-03-02

# 10 reports a week; 4 caseworkers decide 3 each a week (12) and conclude 1.5 each (6);
# half the decisions open an investigation; 10 undecided and 40 open investigations on as_of.
CALM = P.Baseline(
    unit_id="E", as_of=AS_OF, weeks=26, reports=260, decisions=312, assessments=100, opened_by_decision=50,
    concluded=156, undecided=10, open_investigations=40, other_open_cases=0, caseworkers=4,
    caseworker_weeks=104.0, investigation_share=0.8,
)


def test_the_baseline_rates():
    assert CALM.reports_per_week == 10
    assert CALM.inleda_share == 0.5
    assert CALM.decisions_per_caseworker_week == 3
    assert CALM.conclusions_per_caseworker_week == 1.5


def test_weeks_start_on_the_monday_after_as_of_and_carry_iso_labels():
    frame = P.simulate(CALM, P.Scenario(weeks=3))
    assert frame["week_start"].to_list() == [d("2026-03-02"), d("2026-03-09"), d("2026-03-16")]
    assert frame["iso_week"].to_list() == ["2026-10", "2026-11", "2026-12"]


def test_constant_inflow_under_capacity_never_breaks():
    frame = P.simulate(CALM, P.Scenario(weeks=52))
    # Each week: the 10 waiting are decided (capacity 12), 10 come in; 5 investigations open, 6 close.
    assert frame["decisions"].to_list() == [10.0] * 52
    assert frame["undecided"].to_list() == [10.0] * 52
    assert frame["wait_days"][0] == pytest.approx(7 * 10 / 12)
    assert frame["open_investigations"][:3].to_list() == [39.0, 38.0, 37.0]
    assert frame["investigation_days"][0] == pytest.approx(7 * 39 / 6)
    assert frame["cases_per_caseworker"][0] == pytest.approx((10 + 39) / 4)
    assert P.first_breaks(frame) == {"fb_14d_bryts": None, "utr_4m_bryts": None, "caseload_over_norm": None}


def test_a_doubling_surge_breaks_the_14_days_in_its_second_week():
    frame = P.simulate(CALM, P.Scenario(weeks=20, surge=P.Surge(factor=2, from_week=3, weeks=10)))
    assert frame["inflow"].to_list() == [10.0] * 2 + [20.0] * 10 + [10.0] * 8
    # Week 3: 10 decided, 20 in → 20 waiting (11.7 days). Week 4: 12 decided, 20 in → 28 (16.3 days).
    assert frame["undecided"][2:4].to_list() == [20.0, 28.0]
    assert frame["wait_days"][2] == pytest.approx(7 * 20 / 12)
    assert frame["wait_days"][3] == pytest.approx(7 * 28 / 12)
    assert P.first_breaks(frame)["fb_14d_bryts"] == 4


def test_more_staff_pushes_the_break_later():
    scenario = P.Scenario(
        weeks=20, surge=P.Surge(factor=2, from_week=3, weeks=10), staffing=(P.StaffChange(change=2, from_week=3),)
    )
    frame = P.simulate(CALM, scenario)
    assert frame["caseworkers"][:4].to_list() == [4.0, 4.0, 6.0, 6.0]
    # Capacity 18 from week 3: 20 waiting after week 3, then 2 more a week; 14 days = 36 waiting.
    assert frame["undecided"][2:12].to_list() == [20.0, 22.0, 24.0, 26.0, 28.0, 30.0, 32.0, 34.0, 36.0, 38.0]
    assert frame["wait_days"][10] == pytest.approx(14.0)  # week 11: exactly the limit, not over it
    assert P.first_breaks(frame)["fb_14d_bryts"] == 12


def test_losing_half_the_staff_breaks_both_limits_at_once():
    frame = P.simulate(CALM, P.Scenario(weeks=4, staffing=(P.StaffChange(change=-2, from_week=1),)))
    # 2 caseworkers: 6 decisions and 3 conclusions a week. Week 1: 10 − 6 + 10 = 14 waiting (16.3 days);
    # 3 investigations open and 3 close each week: 40 stay open, 7 × 40 / 3 = 93 days (under 122).
    first = frame.row(0, named=True)
    assert (first["decisions"], first["undecided"], first["concluded"]) == (6.0, 14.0, 3.0)
    assert first["wait_days"] == pytest.approx(7 * 14 / 6)
    assert frame["open_investigations"].to_list() == [40.0, 40.0, 40.0, 40.0]
    breaks = P.first_breaks(P.simulate(CALM, P.Scenario(weeks=4, staffing=(P.StaffChange(-3, 1),))))
    # One caseworker: 1.5 conclusions a week against 40 open → 187 days in week 1.
    assert breaks["fb_14d_bryts"] == 1 and breaks["utr_4m_bryts"] == 1


def test_nobody_left_means_the_queue_waits_for_ever():
    frame = P.simulate(CALM, P.Scenario(weeks=2, staffing=(P.StaffChange(-10, 2),)))
    assert frame["caseworkers"].to_list() == [4.0, 0.0]
    assert math.isinf(frame["wait_days"][1]) and math.isinf(frame["cases_per_caseworker"][1])
    assert frame["fb_14d_bryts"].to_list() == [False, True]


def test_the_caseload_norm_comes_from_the_catalogue():
    loaded = replace(CALM, other_open_cases=50)  # (50 + 10 + 39) / 4 = 24.75 in week 1
    assert P.norm_from(load_catalogue()) == 20
    assert P.first_breaks(P.simulate(loaded, P.Scenario(weeks=2)))["caseload_over_norm"] == 1
    assert P.first_breaks(P.simulate(loaded, P.Scenario(weeks=2, caseload_norm=30)))["caseload_over_norm"] is None
    targets = load_catalogue(targets={"targets": {"arenden_per_handlaggare": 25}})
    assert P.norm_from(targets) == 25


def test_moving_staff_time_to_investigations_scales_both_capacities():
    frame = P.simulate(CALM, P.Scenario(weeks=1, investigation_share=0.9))
    # From 20 % to 10 % on assessments halves their capacity; 80 % → 90 % on investigations: × 9/8.
    assert frame["decision_capacity"][0] == pytest.approx(12 * 0.5)
    assert frame["conclusion_capacity"][0] == pytest.approx(6 * 9 / 8)


def test_scenarios_refuse_nonsense():
    with pytest.raises(ValueError):
        P.Scenario(weeks=0)
    with pytest.raises(ValueError):
        P.Scenario(surge=P.Surge(2, 0, 3))
    with pytest.raises(ValueError):
        P.Scenario(investigation_share=1.5)


# ---------------------------------------------------------------- calibration on a tiny town

ORG = conform(
    pl.DataFrame(
        {"unit_id": ["S", "G1", "G2"], "parent_id": [None, "S", "S"], "name": ["Stad", "G1", "G2"],
         "level": ["stad", "grupp", "grupp"]}
    ),
    ORG_UNITS,
)
STAFF = conform(
    pl.DataFrame(
        {
            "caseworker_id": ["H1", "H2", "H3", "H4"],
            "name": ["H1", "H2", "H3", "H4"],
            "unit_id": ["G1", "G1", "G1", "G2"],
            "title": ["socialsekreterare"] * 4,
            "start_date": [d("2020-01-01"), d("2026-02-23"), d("2019-01-01"), None],
            "end_date": [None, None, d("2026-02-01"), None],
        }
    ),
    CASEWORKERS,
)


def town() -> pl.DataFrame:
    """Window 2026-02-16 – 03-01 (two weeks). All in G1 except E.

    A: reported 02-16, "inleda" 02-20 (the investigation opens with it), concluded 02-27 → still open as a case.
    B: reported 02-18, "ej_inleda" 02-25 → closed.  C: reported 02-26, undecided.
    D: reported 01-05, "inleda" and investigation 01-10, still open.  E (G2): reported 02-20, undecided.
    """
    return events(
        ("a1", "A", "anmalan", "2026-02-16"),
        ("a2", "A", "forhandsbedomning", "2026-02-20", {"ref": "a1", "outcome": "inleda"}),
        ("a3", "A", "utredning_avslutad", "2026-02-27", {"outcome": "ingen_insats"}),
        ("b1", "B", "anmalan", "2026-02-18"),
        ("b2", "B", "forhandsbedomning", "2026-02-25", {"ref": "b1", "outcome": "ej_inleda"}),
        ("c1", "C", "anmalan", "2026-02-26"),
        ("d1", "D", "anmalan", "2026-01-05"),
        ("d2", "D", "forhandsbedomning", "2026-01-10", {"ref": "d1", "outcome": "inleda"}),
        ("d3", "D", "utredning_inledd", "2026-01-10"),
        ("e1", "E", "anmalan", "2026-02-20", {"unit_id": "G2", "caseworker_id": "H4"}),
        ("late", "C", "forhandsbedomning", "2026-03-05", {"ref": "c1", "outcome": "inleda"}),  # after as_of
    )


def test_calibration_of_a_group_counts_what_happened_in_the_window():
    b = P.calibrate(town(), STAFF, ORG, "G1", AS_OF, weeks=2)
    assert (b.reports, b.decisions, b.assessments, b.opened_by_decision, b.concluded) == (3, 2, 2, 1, 1)
    assert b.reports_per_week == 1.5
    assert b.inleda_share == 0.5
    assert (b.undecided, b.open_investigations) == (1, 1)  # C (the decision of 03-05 is not yet known); D
    assert b.other_open_cases == 1  # A: its investigation is over but the case is not closed
    assert b.caseworkers == 2  # H1 and H2; H3 has left
    assert b.caseworker_weeks == pytest.approx((14 + 7) / 7)  # H2 from 02-23
    assert b.decisions_per_caseworker_week == pytest.approx(2 / 3)
    assert b.conclusions_per_caseworker_week == pytest.approx(1 / 3)
    # Undecided report-days: a1 4, b1 7, c1 4 = 15; investigation-days: A 7, D 14 = 21.
    assert b.investigation_share == pytest.approx(21 / 36)
    assert b.warnings() == []


def test_an_ansokan_is_no_report_waiting_for_a_decision():
    """Issue 11: an ansökan (or other information) owes no förhandsbedömning, so it neither adds
    to the inflow of reports nor waits undecided; the figures are those of the town without it."""
    extra = events(
        ("s1", "S1", "anmalan", "2026-02-17", {"kind": "ansokan"}),
        ("s2", "S1", "utredning_inledd", "2026-02-19"),
        ("n1", "S2", "anmalan", "2026-02-24", {"kind": "information"}),
    )
    b = P.calibrate(pl.concat([town(), extra]), STAFF, ORG, "G1", AS_OF, weeks=2)
    assert (b.reports, b.decisions, b.undecided) == (3, 2, 1)  # a1, b1, c1; only C undecided


def test_calibration_of_the_city_takes_every_group():
    b = P.calibrate(town(), STAFF, ORG, "S", AS_OF, weeks=2)
    assert (b.reports, b.undecided, b.caseworkers) == (4, 2, 3)
    assert b.caseworker_weeks == pytest.approx((14 + 7 + 14) / 7)
    assert P.Baseline.from_frame(b.to_frame()) == b


def test_a_group_that_does_not_investigate_is_warned_about():
    b = P.calibrate(town(), STAFF, ORG, "G2", AS_OF, weeks=2)
    assert (b.reports, b.decisions, b.concluded) == (1, 0, 0)
    assert len(b.warnings()) == 2


# ---------------------------------------------------------------- properties

baselines = st.builds(
    P.Baseline,
    unit_id=st.just("E"), as_of=st.just(AS_OF), weeks=st.integers(1, 52),
    reports=st.integers(0, 2000), decisions=st.integers(0, 2000), assessments=st.integers(1, 1000),
    opened_by_decision=st.integers(0, 1), concluded=st.integers(0, 1000), undecided=st.integers(0, 500),
    open_investigations=st.integers(0, 500), other_open_cases=st.integers(0, 200), caseworkers=st.integers(0, 60),
    caseworker_weeks=st.floats(1, 3000), investigation_share=st.floats(0, 1),
).map(lambda b: replace(b, opened_by_decision=b.opened_by_decision * b.assessments // 2))
surges = st.none() | st.builds(P.Surge, factor=st.floats(0, 5), from_week=st.integers(1, 30), weeks=st.integers(0, 30))


@settings(max_examples=200, deadline=None)
@given(baselines, st.floats(0, 3), st.floats(0, 3), surges)
def test_more_inflow_never_makes_a_queue_shorter(baseline, low, extra, surge):
    a = P.simulate(baseline, P.Scenario(weeks=30, inflow=low, surge=surge))
    b = P.simulate(baseline, P.Scenario(weeks=30, inflow=low + extra, surge=surge))
    for column in ("undecided", "open_investigations"):
        assert all(y >= x - 1e-9 for x, y in zip(a[column], b[column], strict=True))


@settings(max_examples=200, deadline=None)
@given(baselines, st.integers(0, 20), st.integers(1, 30), surges)
def test_more_staff_never_makes_the_undecided_backlog_longer(baseline, more, week, surge):
    a = P.simulate(baseline, P.Scenario(weeks=30, surge=surge))
    b = P.simulate(baseline, P.Scenario(weeks=30, surge=surge, staffing=(P.StaffChange(more, week),)))
    assert all(y <= x + 1e-9 for x, y in zip(a["undecided"], b["undecided"], strict=True))
    assert all(y <= x + 1e-9 for x, y in zip(a["wait_days"], b["wait_days"], strict=True))


def test_staffing_notation_and_the_sentences():
    assert P.parse_staffing("+3@4, -2@10") == (P.StaffChange(3, 4), P.StaffChange(-2, 10))
    assert P.parse_staffing("") == ()
    with pytest.raises(ValueError, match="ändring@vecka"):
        P.parse_staffing("3 från vecka 4")
    frame = P.simulate(CALM, P.Scenario(weeks=20, surge=P.Surge(factor=2, from_week=3, weeks=10)))
    assert P.describe_breaks(frame, 20) == [
        "Fristen för förhandsbedömning (14 dagar) bryts vecka 13 2026 (om 4 veckor).",
        "Fristen för utredning (4 månader) håller hela perioden (20 veckor).",
        # Week 6: 44 waiting and 37 open investigations, (44 + 37) / 4 > 20.
        "Riktmärket 20 ärenden per handläggare överskrids vecka 15 2026 (om 6 veckor).",
    ]


def test_the_caseworkers_needed_to_keep_both_limits_worked_by_hand():
    # CALM: 10 reports a week, 3 decisions and 1.5 conclusions per caseworker-week, half open an
    # investigation; 10 undecided and 40 open investigations today.
    # Week 1 with N: decided = min(10, 3N), waiting = 20 − decided; wait = 7 × waiting ÷ 3N ≤ 14
    # ⇔ waiting ≤ 6N. N = 2: 6 decided, 14 waiting > 12 — breaks. N = 3: 9 decided, 11 ≤ 18;
    # investigations 40 + 4.5 − 4.5 = 40, 7 × 40 ÷ 4.5 = 62 days ≤ 122 — holds: 3.
    # Week 2 from 11 waiting: N = 2: 15 > 12 breaks; N = 3: 12 ≤ 18 holds: 3 again.
    need = P.staff_needed(CALM, P.Scenario(weeks=2))
    assert need["by_limits"].to_list() == [3, 3]
    assert need["planned"].to_list() == [4.0, 4.0]
    # By the norm (20): the plan's queues in week 1 are 10 waiting + 39 investigations → ⌈49 ÷ 20⌉ = 3.
    assert need["by_norm"][0] == 3


def test_a_surge_needs_more_caseworkers_and_no_throughput_means_no_answer():
    calm = P.staff_needed(CALM, P.Scenario(weeks=8))["by_limits"].to_list()
    surge = P.staff_needed(CALM, P.Scenario(weeks=8, surge=P.Surge(3, 1, 8)))["by_limits"].to_list()
    assert all(s > c for s, c in zip(surge[2:], calm[2:], strict=True))
    idle = replace(CALM, decisions=0, concluded=0)
    assert P.staff_needed(idle, P.Scenario(weeks=2))["by_limits"].to_list() == [None, None]


def test_the_unaccompanied_surge_multiplies_only_their_share_of_the_reports():
    # 260 reports, 52 of them about unaccompanied children (u = 0.2): ×6 of those in weeks 2–3
    # gives 10 × (0.8 + 0.2 × 6) = 20 reports a week.
    base = replace(CALM, unaccompanied_reports=52)
    frame = P.simulate(base, P.Scenario(weeks=4, unaccompanied=P.Surge(6, 2, 2)))
    assert frame["inflow"].to_list() == pytest.approx([10.0, 20.0, 20.0, 10.0])


def test_chance_in_the_inflow_gives_a_band_around_the_wait_and_the_break_week():
    # CALM with a doubled inflow from week 3 breaks the 14 days in week 4 on average (above);
    # Poisson arrivals move it by a week or so either way — never before the surge starts.
    scenario = P.Scenario(weeks=20, surge=P.Surge(factor=2, from_week=3, weeks=10))
    bands = P.simulate_bands(CALM, scenario, runs=400, seed=2)
    mean = P.simulate(CALM, scenario)
    early, late = bands["breaks"]["fb_14d_bryts"]
    assert 3 <= early <= 4 <= late <= 6
    assert (bands["wait_low"] <= mean["wait_days"].to_numpy() + 1e-9).all()
    assert (mean["wait_days"].to_numpy() <= bands["wait_high"] + 1e-9).all()
    again = P.simulate_bands(CALM, scenario, runs=400, seed=2)
    assert np.array_equal(again["wait_high"], bands["wait_high"])  # seeded: reproducible
    assert P.describe_break_bands(bands["breaks"], 20)[0].startswith("Med slumpen i inflödet bryts 14-dagarsfristen")


def test_a_calm_unit_holds_in_every_run():
    bands = P.simulate_bands(CALM, P.Scenario(weeks=10), runs=200)
    assert bands["breaks"]["utr_4m_bryts"] == (None, None)
    assert "håller 4-månadersfristen hela perioden" in P.describe_break_bands(bands["breaks"], 10)[1]
