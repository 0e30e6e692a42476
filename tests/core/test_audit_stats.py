"""Wilson intervals and the districts' chance test, against values worked out by hand and published tables."""

from __future__ import annotations

import math

import pytest

from egenkontroll.core import audit_stats


def test_wilson_interval_matches_the_formula_worked_by_hand():
    # 3 of 15, z = 1.96: centre (0.2 + 0.128) / 1.256 = 0.2611, half-width 0.1907 (Newcombe 1998, method 3)
    low, high = audit_stats.wilson(3, 15)
    assert low == pytest.approx(0.0705, abs=5e-4) and high == pytest.approx(0.4519, abs=5e-4)
    assert audit_stats.wilson(0, 12)[0] == 0.0 and audit_stats.wilson(12, 12)[1] == 1.0
    assert audit_stats.wilson(0, 0) is None
    low, high = audit_stats.wilson(10, 20)
    assert low == pytest.approx(1 - high)  # symmetric at one half


def test_fisher_exact_on_a_two_by_two_table_is_the_textbook_value():
    # 3 of 15 against 5 of 15: two-sided Fisher p = 0.6817 (the sum over tables at most as probable)
    by_hand = sum(
        math.comb(15, x) * math.comb(15, 8 - x) for x in range(9)
        if math.comb(15, x) * math.comb(15, 8 - x) <= math.comb(15, 3) * math.comb(15, 5)
    ) / math.comb(30, 8)
    assert audit_stats.freeman_halton([3, 5], [15, 15]) == pytest.approx(by_hand)
    assert by_hand == pytest.approx(0.6817, abs=1e-4)


def test_three_of_fifteen_against_five_of_fifteen_is_called_within_chance():
    result = audit_stats.compare_districts({"Farsta": (3, 15), "Hägersten": (5, 15)})
    assert result.method == "fisher" and not result.significant
    assert result.sentence.startswith("Skillnaderna mellan distrikten ryms inom vad slumpen kan ge")
    assert "p = 0,68" in result.sentence


def test_a_clear_difference_is_called_so():
    # Seed 004, plan för boendesituationen: 13, 2, 10, 13 of 20
    result = audit_stats.compare_districts({"HV": (13, 20), "Sk": (2, 20), "Sh": (10, 20), "Sö": (13, 20)})
    assert result.significant and result.p_value < 0.01
    assert "större än vad slumpen brukar ge" in result.sentence and "p < 0,01" in result.sentence


def test_nothing_to_compare_gives_no_sentence():
    assert audit_stats.compare_districts({"A": (3, 15)}) is None
    assert audit_stats.compare_districts({"A": (0, 15), "B": (0, 12)}) is None
    assert audit_stats.compare_districts({"A": (15, 15), "B": (0, 0)}) is None


def test_chi_square_tail_matches_the_tables():
    # critical values at 5 %: 3.841 (1 df), 5.991 (2 df), 7.815 (3 df)
    assert audit_stats.chi_square_sf(3.841, 1) == pytest.approx(0.05, abs=1e-4)
    assert audit_stats.chi_square_sf(5.991, 2) == pytest.approx(0.05, abs=1e-4)
    assert audit_stats.chi_square_sf(7.815, 3) == pytest.approx(0.05, abs=1e-4)
    assert audit_stats.chi_square_sf(2 * math.log(4), 2) == pytest.approx(0.25)  # 2 df: exp(-x/2)


def test_large_tables_fall_back_to_chi_square():
    counts = {f"D{i}": (40 + i, 100) for i in range(6)}
    result = audit_stats.compare_districts(counts)
    assert result.method == "chi2" and not result.significant
