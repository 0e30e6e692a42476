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


RATE = load_catalogue()["aktualiseringar_per_1000"]


def test_a_rate_gives_its_count_back_so_it_is_masked_like_one():
    """Review finding 2: the population is public (SCB), so rate × population ÷ 1,000 is the count.

    The city has 7 aktualiseringar over 2,000 children; its districts 2 over 1,000 and 5 over 1,000.
    Primary suppression alone would show 3.5 and 5.0 and hide 2.0 — which is 3.5 × 2 − 5.0 × 1.
    """
    total = F.Figure(7, 2000, 3.5)
    parts = [F.Figure(2, 1000, 2.0), F.Figure(5, 1000, 5.0)]
    assert F.masked_values(RATE, total, parts) == (3.5, ["<5", "x"])
    # a rate resting on five or more on every side is shown as it is
    assert F.masked_values(RATE, F.Figure(20, 2000, 10.0), [F.Figure(8, 1000, 8.0), F.Figure(12, 1000, 12.0)]) == (
        10.0, [8.0, 12.0],
    )


def test_a_rate_without_a_population_stays_empty_even_on_few_reports():
    assert F.masked_values(RATE, F.Figure(3, 0, None), [F.Figure(3, 0, None)]) == (None, [None])
    assert F.small_base(RATE, F.Figure(3, 1000, 3.0)) == "<5"  # alone, on its numerator, not its population


def test_a_sum_is_masked_on_its_children_not_its_placements():
    """Review finding 10: one child's five placements are one child, and their cost is that child's."""
    total = F.Figure(15, None, 900_000.0, persons=11)
    parts = [F.Figure(10, None, 700_000.0, persons=10), F.Figure(5, None, 200_000.0, persons=1)]
    assert F.masked_values(COST, total, parts) == (900_000.0, ["x", "<5"])
    assert F.small_base(COST, F.Figure(5, None, 200_000.0, persons=1)) == "<5"
