"""Placement demand: small chains worked by hand, the simulation's reproducibility and bands, and a
calibration on a handful of placements whose rates are counted by hand in the comments."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from egenkontroll.core import linking
from egenkontroll.core import placements as PL
from tests.core.eventtable import d, events

PLACED, FOSTER = ("13–17", "jourhem"), ("13–17", "familjehem")


def chain(states, stock, move=None, exit=None, age_out=None, entries=None):
    k = len(states)
    return PL.Chain(
        states=tuple(states), stock=np.array(stock, dtype=float),
        move=np.zeros((k, k)) if move is None else np.array(move, dtype=float),
        exit=np.zeros(k) if exit is None else np.array(exit, dtype=float),
        age_out=np.zeros(k) if age_out is None else np.array(age_out, dtype=float),
        entries=np.zeros((2, k)) if entries is None else np.array(entries, dtype=float),
    )


def test_two_state_chain_with_exit_rate_a_tenth():
    # "placed" ↔ "not placed": 100 placed, each leaves with probability 0.1 a week, none come.
    # Week 1: 100 × 0.9 = 90; week 2: 90 × 0.9 = 81.
    c = chain([PLACED], [100], exit=[0.1])
    assert PL.expected(c, PL.Demand.flat(2))[:, 0].tolist() == pytest.approx([90.0, 81.0])


def test_entries_add_after_the_exits():
    # 5 new a week: week 1 = 100 × 0.9 + 5 = 95; week 2 = 95 × 0.9 + 5 = 90.5;
    # the steady state is 5 ÷ 0.1 = 50.
    c = chain([PLACED], [100], exit=[0.1], entries=[[5.0], [0.0]])
    out = PL.expected(c, PL.Demand.flat(400))[:, 0]
    assert out[:2].tolist() == pytest.approx([95.0, 90.5])
    assert out[-1] == pytest.approx(50.0)


def test_moves_from_jourhem_to_familjehem():
    # Half of the jourhem children move to familjehem each week, nobody leaves familjehem.
    # Week 1: jourhem 10 × 0.5 = 5, familjehem 5; week 2: jourhem 2.5, familjehem 5 + 2.5 = 7.5.
    c = chain([PLACED, FOSTER], [10, 0], move=[[0, 0.5], [0, 0]])
    assert PL.expected(c, PL.Demand.flat(2)).ravel().tolist() == pytest.approx([5.0, 5.0, 2.5, 7.5])


def test_the_unaccompanied_stream_has_its_own_mix_and_multiplier():
    # Others: 2 a week into jourhem; unaccompanied: 1 a week into HVB, ×6 in week 2.
    # Nobody leaves: jourhem 2, 4; HVB 1, 1 + 6 = 7.
    hvb = ("13–17", "hvb")
    c = chain([PLACED, hvb], [0, 0], entries=[[2.0, 0.0], [0.0, 1.0]])
    demand = PL.Demand(2, np.ones(2), np.array([1.0, 6.0]))
    assert PL.expected(c, demand).ravel().tolist() == pytest.approx([2.0, 1.0, 4.0, 7.0])


def test_the_simulation_is_reproducible_by_its_seed():
    c = chain([PLACED], [100], exit=[0.1], entries=[[5.0], [1.0]])
    a = PL.simulate(c, PL.Demand.flat(10), runs=50, seed=7)
    b = PL.simulate(c, PL.Demand.flat(10), runs=50, seed=7)
    other = PL.simulate(c, PL.Demand.flat(10), runs=50, seed=8)
    assert np.array_equal(a["stock"], b["stock"])
    assert not np.array_equal(a["stock"], other["stock"])


def test_a_chain_without_chance_has_a_band_of_zero_width():
    # Nobody comes or goes: every run keeps the 12 children; exit 1: all 12 leave in week 1.
    still = PL.simulate(chain([PLACED], [12]), PL.Demand.flat(3), runs=20)
    mean, low, high = PL.band(still["stock"][:, :, 0])
    assert mean.tolist() == low.tolist() == high.tolist() == [12, 12, 12]
    gone = PL.simulate(chain([PLACED], [12], exit=[1.0]), PL.Demand.flat(2), runs=20)
    assert gone["stock"].sum() == 0
    assert gone["exits"][:, 0].tolist() == [12] * 20


def test_ageing_out_is_counted_apart_from_other_exits():
    c = chain([("18–20", "stodboende")], [30], age_out=[1.0])
    runs = PL.simulate(c, PL.Demand.flat(1), runs=5)
    assert runs["aged_out"][:, 0].tolist() == [30] * 5
    assert runs["exits"].sum() == 0


def test_the_simulated_mean_matches_the_exact_mean_and_the_band_holds_it():
    # Binomial(100, 0.1) leavers in week 1: sd 3; the mean of 2000 runs is within 0.5 of 90.
    c = chain([PLACED], [100], exit=[0.1], entries=[[4.0], [0.0]])
    runs = PL.simulate(c, PL.Demand.flat(6), runs=2000, seed=3)
    mean, low, high = PL.band(runs["stock"][:, :, 0])
    exact = PL.expected(c, PL.Demand.flat(6))[:, 0]
    assert np.abs(mean - exact).max() < 0.5
    assert (low < exact).all() and (exact < high).all()
    # Week 1: 90 + Poisson(4) − … ≈ sd √(9 + 4) ≈ 3.6: the 95 % band is about ±7.
    assert 10 < high[0] - low[0] < 18


def test_poisson_entries_into_an_empty_state():
    # Nobody stays a week (exit 1), 4 come each week: the stock is Poisson(4): P(0) = 1.8 %,
    # P(≤ 8) = 97.9 %, so the 2.5 % point is 1 and the 97.5 % point 8.
    c = chain([PLACED], [0], exit=[1.0], entries=[[4.0], [0.0]])
    runs = PL.simulate(c, PL.Demand.flat(1), runs=2000, seed=1)
    _, low, high = PL.band(runs["stock"][:, :, 0])
    assert low[0] == pytest.approx(1, abs=0.5) and high[0] == pytest.approx(8, abs=1)


def test_too_many_runs_or_weeks_are_refused_in_swedish():
    with pytest.raises(ValueError, match="körningar"):
        PL.simulate(chain([PLACED], [1]), PL.Demand.flat(1), runs=PL.MAX_RUNS + 1)
    with pytest.raises(ValueError, match="veckor"):
        PL.simulate(chain([PLACED], [1]), PL.Demand.flat(PL.MAX_WEEKS + 1))


def test_a_chain_whose_probabilities_exceed_one_is_refused():
    with pytest.raises(ValueError, match="högst 1"):
        chain([PLACED, FOSTER], [1, 0], move=[[0, 0.7], [0, 0]], exit=[0.5, 0])


# ---------------------------------------------------------------- calibration

AS_OF = d("2025-03-02")  # a Sunday
WINDOW = d("2025-01-06")  # 8 weeks = 56 days, both ends in


def town():
    """Child A (14 years): jourhem 6–20 January, then familjehem from 20 January, still placed.
    Child B (unaccompanied, 15): HVB from 3 February, still placed. Child C (19): stödboende
    since 2023, past 18 — so the data continue to 21."""
    return events(
        ("a1", "A", "insats_start", "2025-01-06", {"intervention": "jourhem", "birth_date": "2010-05-01"}),
        ("a2", "A", "insats_slut", "2025-01-20", {"ref": "a1", "birth_date": "2010-05-01"}),
        ("a3", "A", "insats_start", "2025-01-20", {"intervention": "familjehem", "birth_date": "2010-05-01"}),
        ("b1", "B", "insats_start", "2025-02-03", {"intervention": "hvb", "birth_date": "2009-06-01", "unaccompanied": True}),
        ("c1", "C", "insats_start", "2023-06-01", {"intervention": "stodboende", "birth_date": "2006-01-01"}),
    )


def test_calibration_counts_moves_entries_stock_and_exposure():
    ev = town()
    links = linking.link(ev)
    cal = PL.calibrate(links.placements, links.events, WINDOW, AS_OF)
    c = cal.chain
    at = {s: i for i, s in enumerate(c.states)}
    jour, fam, hvb = at[("13–17", "jourhem")], at[("13–17", "familjehem")], at[("13–17", "hvb")]
    stod = at[("18–20", "stodboende")]
    assert cal.top_age == 21  # C is 19 and still placed
    assert (cal.entries, cal.moves, cal.exits) == (2, 1, 0)  # A's jourhem and B's HVB; A's move; no exit
    # Jourhem: 14 days (6–19 January) = 2 placement-weeks, 1 move → 0.5 a week to familjehem.
    assert c.move[jour, fam] == pytest.approx(0.5)
    # Ageing 13–17 → 18–20: no 18th birthday in the window among 12 placement-weeks in the band
    # (jourhem 2, familjehem 6, HVB 4), so the rate leans on the even spread u = 1 ÷ (5 × 52.18):
    # band 52u ÷ (12 + 52); jourhem (2 weeks) 52 × band ÷ (2 + 52).
    band = 52 / (5 * 52.18) / 64
    assert c.move[jour, at[("18–20", "jourhem")]] == pytest.approx(52 * band / 54)
    assert c.exit[jour] == 0 and c.exit[fam] == 0
    # The top band 18–20 (3 years) ages out at 21; C's 8 weeks in stödboende without a 21st birthday:
    # band 52 ÷ (3 × 52.18) ÷ (8 + 52), the state 52 × band ÷ (8 + 52).
    band = 52 / (3 * 52.18) / 60
    assert c.age_out[stod] == pytest.approx(52 * band / 60)
    assert (cal.aged_up, cal.aged_out) == (0, 0)
    # Entries over 8 weeks: others 1 jourhem (A), unaccompanied 1 HVB (B) → 1/8 a week each.
    assert c.entries[0, jour] == pytest.approx(1 / 8) and c.entries[1, hvb] == pytest.approx(1 / 8)
    assert c.entries.sum() == pytest.approx(2 / 8)  # the familjehem follows on: not an entry
    # On as_of: A in familjehem, B in HVB, C in stödboende 18–20.
    assert {c.states[i]: n for i, n in enumerate(c.stock) if n} == {
        ("13–17", "familjehem"): 1, ("13–17", "hvb"): 1, ("18–20", "stodboende"): 1,
    }
    # Familjehem and HVB have stock but no exit seen: said in a warning.
    assert any(w.startswith("familjehem 13–17: inga avslut") for w in cal.warnings)


def test_an_empty_state_takes_its_types_pooled_rates_in_its_own_band():
    links = linking.link(town())
    c = PL.calibrate(links.placements, links.events, WINDOW, AS_OF).chain
    at = {s: i for i, s in enumerate(c.states)}
    # No 6–12 child was ever in jourhem: the pooled jourhem → familjehem rate (0.5) applies in 6–12.
    assert c.move[at[("6–12", "jourhem")], at[("6–12", "familjehem")]] == pytest.approx(0.5)


def test_without_anyone_past_18_the_top_band_ends_at_18():
    ev = town().filter(pl_col_case_not("C"))
    links = linking.link(ev)
    cal = PL.calibrate(links.placements, links.events, WINDOW, AS_OF)
    assert cal.top_age == 18
    at = {s: i for i, s in enumerate(cal.chain.states)}
    assert ("18–20", "hvb") not in at
    # Without C: 12 placement-weeks in 13–17, no birthday; HVB has 4 of them.
    band = 52 / (5 * 52.18) / 64
    assert cal.chain.age_out[at[("13–17", "hvb")]] == pytest.approx(52 * band / 56)


def test_ageing_is_calibrated_from_birthdays_while_placed():
    """D turns 18 on 1 February 2025 and her HVB placement ends that day: she ages out (not an
    exit). E turns 13 on 20 January 2025 in familjehem: she moves up a band. Window 6 January –
    2 March 2025 (8 weeks); nobody is placed past 18, so the top band ends at 18."""
    ev = events(
        ("d1", "D", "insats_start", "2024-06-01", {"intervention": "hvb", "birth_date": "2007-02-01"}),
        ("d2", "D", "insats_slut", "2025-02-01", {"ref": "d1", "birth_date": "2007-02-01"}),
        ("e1", "E", "insats_start", "2020-03-01", {"intervention": "familjehem", "birth_date": "2012-01-20"}),
    )
    links = linking.link(ev)
    cal = PL.calibrate(links.placements, links.events, WINDOW, AS_OF)
    c = cal.chain
    at = {s: i for i, s in enumerate(c.states)}
    assert cal.top_age == 18 and (cal.exits, cal.aged_up, cal.aged_out) == (0, 1, 1)
    w = 52
    # 6–12: E's 14 days (6–19 January) = 2 placement-weeks, one birthday (13) → band and state
    # (1 + w × u) ÷ (2 + w), u = 1 ÷ (7 × 52.18); the state alone in the band has the band's rate.
    band_6 = (1 + w / (7 * 52.18)) / (2 + w)
    assert c.move[at[("6–12", "familjehem")], at[("13–17", "familjehem")]] == pytest.approx((1 + w * band_6) / (2 + w))
    # A 6–12 state nobody was in: the band's rate.
    assert c.move[at[("6–12", "hvb")], at[("13–17", "hvb")]] == pytest.approx(band_6)
    # 13–17: D's 26 days in HVB (6–31 January) and E's 42 days in familjehem (20 January – 2 March),
    # one 18th birthday (D's) → band (1 + w × u) ÷ (68/7 + w), u = 1 ÷ (5 × 52.18);
    # HVB (1 + w × band) ÷ (26/7 + w), familjehem (0 + w × band) ÷ (6 + w).
    band_13 = (1 + w / (5 * 52.18)) / (68 / 7 + w)
    assert c.age_out[at[("13–17", "hvb")]] == pytest.approx((1 + w * band_13) / (26 / 7 + w))
    assert c.age_out[at[("13–17", "familjehem")]] == pytest.approx(w * band_13 / (6 + w))
    # HVB 13–17 holds the child who turned 18: it ages out faster than familjehem.
    assert c.age_out[at[("13–17", "hvb")]] > c.age_out[at[("13–17", "familjehem")]]
    assert c.exit.sum() == 0  # D's placement ended on her 18th birthday: aged out, not an exit


def test_zero_stock_and_no_placements_give_an_empty_projection():
    ev = events(("x", "X", "anmalan", "2025-01-10"))
    links = linking.link(ev)
    cal = PL.calibrate(links.placements, links.events, WINDOW, AS_OF)
    assert cal.chain.stock.sum() == 0 and cal.chain.entries.sum() == 0
    assert PL.expected(cal.chain, PL.Demand.flat(4)).sum() == 0


def test_a_window_after_as_of_is_refused():
    links = linking.link(town())
    with pytest.raises(ValueError, match="referensperioden"):
        PL.calibrate(links.placements, links.events, AS_OF + dt.timedelta(days=1), AS_OF)


def pl_col_case_not(case_id):
    import polars as pl

    return pl.col("case_id") != case_id


# ---------------------------------------------------------------- the unaccompanied lag


def test_a_fixed_lag_moves_the_surge_two_weeks_later():
    # One unaccompanied child a week into HVB, nobody leaves; ×3 in week 1. At once: 3, 4, 5, 6.
    # Two weeks later: the 2 extra arrive in week 3: multipliers 1, 1, 3, 1 → stock 1, 2, 5, 6.
    hvb = ("13–17", "hvb")
    c = chain([hvb], [0], entries=[[0.0], [1.0]])
    surge = np.array([3.0, 1.0, 1.0, 1.0])
    assert PL.lagged(surge, PL.fixed_lag(2)).tolist() == [1.0, 1.0, 3.0, 1.0]
    demand = PL.Demand(4, np.ones(4), PL.lagged(surge, PL.fixed_lag(2)))
    assert PL.expected(c, demand)[:, 0].tolist() == pytest.approx([1.0, 2.0, 5.0, 6.0])
    assert PL.lagged(surge, None).tolist() == surge.tolist()  # no lag: at once
    # A lag past the last week: the surge is placed after the projection.
    assert PL.lagged(surge, PL.fixed_lag(4)).tolist() == [1.0] * 4


def test_a_lag_distribution_spreads_the_surge():
    # Half placed the week they come, half a week later; ×3 in weeks 1–2 (2 extra a week):
    # week 1: 1 + ½·2 = 2; week 2: 1 + ½·2 + ½·2 = 3; week 3: 1 + ½·2 = 2; week 4: 1.
    surge = np.array([3.0, 3.0, 1.0, 1.0])
    assert PL.lagged(surge, np.array([0.5, 0.5])).tolist() == [2.0, 3.0, 2.0, 1.0]
    with pytest.raises(ValueError, match="fördröjningen"):
        PL.fixed_lag(PL.MAX_LAG_WEEKS + 1)


def test_the_lag_is_calibrated_from_report_to_placement_of_unaccompanied_children():
    """B (unaccompanied) reported 6 January, placed in HVB 3 February: 28 days = 4 weeks. F
    (unaccompanied) reported 10 February and placed 12 February: week 0. A (not unaccompanied,
    jourhem) and a follow-on placement do not count."""
    ev = town().vstack(events(
        ("b0", "B", "anmalan", "2025-01-06", {"birth_date": "2009-06-01", "unaccompanied": True}),
        ("f0", "F", "anmalan", "2025-02-10", {"birth_date": "2010-01-01", "unaccompanied": True}),
        ("f1", "F", "insats_start", "2025-02-12", {"intervention": "jourhem", "birth_date": "2010-01-01",
                                                    "unaccompanied": True}),
        ("a0", "A", "anmalan", "2025-01-02", {"birth_date": "2010-05-01"}),
    ))
    links = linking.link(ev)
    cal = PL.calibrate(links.placements, links.events, WINDOW, AS_OF)
    assert cal.lag_placements == 2
    assert len(cal.lag) == PL.MAX_LAG_WEEKS + 1
    assert {w: p for w, p in enumerate(cal.lag) if p} == {0: 0.5, 4: 0.5}
    assert cal.lag_median == 0
    # Without reports: no distribution to learn from.
    links = linking.link(town())
    bare = PL.calibrate(links.placements, links.events, WINDOW, AS_OF)
    assert (bare.lag, bare.lag_placements, bare.lag_weights, bare.lag_median) == ((), 0, None, None)
