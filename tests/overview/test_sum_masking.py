"""Sums (placement dygn and kronor, issue 16) shown to the nämnd: hidden where their placements are few,
and a second cell hidden so that no hidden sum is the total minus the shown ones."""

from __future__ import annotations

from egenkontroll.core.kpi_catalogue import load_catalogue
from egenkontroll.pages import figures as F

COST = load_catalogue()["placeringskostnad"]


def test_a_sum_on_few_placements_is_hidden_with_a_second_cell():
    # the city: 12 placements costing 900 000; three förvaltningar with 8, 3 and 1 placements
    total = F.Figure(12, None, 900_000.0)
    parts = [F.Figure(8, None, 600_000.0), F.Figure(3, None, 250_000.0), F.Figure(1, None, 50_000.0)]
    shown_total, shown = F.masked_values(COST, total, parts)
    # both small ones hidden, so neither is the total minus the rest; the large one stays
    assert (shown_total, shown) == (900_000.0, [600_000.0, "<5", "<5"])


def test_one_small_part_takes_a_second_one_with_it():
    total = F.Figure(20, None, 1_000_000.0)
    parts = [F.Figure(10, None, 500_000.0), F.Figure(7, None, 300_000.0), F.Figure(3, None, 200_000.0)]
    # 3 placements: "<5"; the cheapest other cell (7 placements) hidden with it ("x")
    assert F.masked_values(COST, total, parts) == (1_000_000.0, [500_000.0, "x", "<5"])


def test_nothing_small_nothing_hidden():
    total = F.Figure(15, None, 700_000.0)
    parts = [F.Figure(9, None, 400_000.0), F.Figure(6, None, 300_000.0)]
    assert F.masked_values(COST, total, parts) == (700_000.0, [400_000.0, 300_000.0])
