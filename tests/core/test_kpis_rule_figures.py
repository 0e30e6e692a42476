"""The issue-16 figures of the rules that had none: share met in time of what fell due, by hand.

Each new figure follows overvagande_i_tid_andel: obligations whose due date falls in the period;
numerator met on time; denominator met on time or late, pending or overdue (void and marked left
out). The second test runs two rules through the obligations engine itself, so the figure is
wired to the rule and not only to hand-made obligation rows.
"""

from __future__ import annotations

import pytest

from egenkontroll.core import kpi_catalogue, kpis, rules
from egenkontroll.core.obligations import evaluate
from tests.core import kpicity as city
from tests.core.eventtable import d, events
from tests.core.test_kpis import fig, obligations, small_org

RULE_OF_FIGURE = {
    "skyddsbedomning_i_tid_andel": "skyddsbedomning_1d",
    "vardplan_i_tid_andel": "vardplan_placering",
    "genomforandeplan_i_tid_andel": "genomforandeplan_1m",
    "vardnadsoverflyttning_i_tid_andel": "vardnadsoverflyttning_2ar",
    "lvu_understallning_i_tid_andel": "lvu_understallning_1v",
    "lvu_ansokan_i_tid_andel": "lvu_ansokan_4v",
    "lvu14_overvagande_i_tid_andel": "lvu14_overvagande_3m",
    "jourhem_i_tid_andel": "jourhem_2m",
}


def test_every_rule_of_the_catalogue_has_a_figure():
    catalogue = kpi_catalogue.load_catalogue()
    counted = {
        rule for k in catalogue.values() if k.id != "markerade_skyldigheter"
        for sel in (k.numerator, k.denominator) if sel is not None for rule in sel.rule
    }
    assert {r.id for r in rules.load_catalogue().rules} <= counted
    # and a mark on any rule's obligation is counted as marked
    assert set(catalogue["markerade_skyldigheter"].numerator.rule) == set(kpi_catalogue.RULE_IDS)


@pytest.mark.parametrize(("kpi_id", "rule"), list(RULE_OF_FIGURE.items()))
def test_share_met_in_time_of_what_fell_due_in_the_period(kpi_id, rule):
    ob = obligations(
        (rule, "2023-12-01", "2024-01-05", "2024-01-04", "fulfilled_on_time"),
        (rule, "2023-12-20", "2024-01-31", "2024-01-31", "fulfilled_on_time"),  # on the due day
        (rule, "2024-01-10", "2024-02-12", "2024-02-14", "fulfilled_late"),
        (rule, "2024-02-01", "2024-03-01", None, "overdue"),  # never met: counts against
        (rule, "2024-02-20", "2024-03-20", None, "void"),  # the placement ended first
        (rule, "2024-02-21", "2024-03-21", None, "marked"),  # counted in markerade_skyldigheter
        (rule, "2023-11-01", "2023-12-29", "2024-01-02", "fulfilled_late"),  # due before the period
        (rule, "2024-03-10", "2024-04-02", None, "pending"),  # due after it
    )
    frame = kpis.compute(events(), ob, small_org(), city.CASEWORKERS, d("2024-01-01"), d("2024-03-31"),
                         kpi_ids=[kpi_id, "markerade_skyldigheter"])
    assert fig(frame, "G1", kpi_id) == (2, 4, 0.5)
    assert fig(frame, "G1", "markerade_skyldigheter") == (1, None, 1.0)
    assert fig(frame, "alice", kpi_id, node_type="caseworker") == (2, 4, 0.5)


def test_pending_with_a_due_date_in_the_period_counts_when_as_of_is_before_it():
    ob = obligations(
        ("skyddsbedomning_1d", "2024-03-14", "2024-03-15", "2024-03-15", "fulfilled_on_time"),
        ("skyddsbedomning_1d", "2024-03-19", "2024-03-20", None, "pending"),
    )
    frame = kpis.compute(events(), ob, small_org(), city.CASEWORKERS, d("2024-03-01"), d("2024-03-31"),
                         d("2024-03-19"), kpi_ids=["skyddsbedomning_i_tid_andel"])
    assert fig(frame, "G1", "skyddsbedomning_i_tid_andel") == (1, 2, 0.5)


def test_the_engines_own_obligations_feed_the_new_figures():
    ev = events(
        # skyddsbedömning: same or next day, no move to a working day
        ("a1", "k1", "anmalan", "2024-01-12"), ("s1", "k1", "skyddsbedomning", "2024-01-13", {"outcome": "ej_akut"}),
        ("a2", "k2", "anmalan", "2024-02-02"), ("s2", "k2", "skyddsbedomning", "2024-02-05", {"outcome": "ej_akut"}),
        ("a3", "k3", "anmalan", "2024-03-31"),  # due 2024-04-01, after the period
        # LVU 7 §: one week, moved to the next working day
        ("b1", "k4", "lvu6_beslut", "2024-01-08"), ("u1", "k4", "lvu6_understallt", "2024-01-12"),
        ("b2", "k5", "lvu6_beslut", "2024-02-03"),  # Saturday: due Saturday 02-10 → Monday 02-12
        ("u2", "k5", "lvu6_understallt", "2024-02-12"),
        ("b3", "k6", "lvu6_beslut", "2024-03-13"),  # due 03-20, never submitted
    )
    evaluation = evaluate(ev, d("2024-03-31"), ["skyddsbedomning_1d", "lvu_understallning_1v"])
    frame = kpis.compute(ev, evaluation.obligations, small_org(), city.CASEWORKERS, d("2024-01-01"),
                         d("2024-03-31"), kpi_ids=["skyddsbedomning_i_tid_andel", "lvu_understallning_i_tid_andel"],
                         links=evaluation.links)
    assert fig(frame, "G1", "skyddsbedomning_i_tid_andel") == (1, 2, 0.5)
    assert fig(frame, "G1", "lvu_understallning_i_tid_andel") == (2, 3, pytest.approx(2 / 3))
    listed = kpis.items(ev, evaluation.obligations, small_org(), city.CASEWORKERS, "lvu_understallning_i_tid_andel",
                        d("2024-01-01"), d("2024-03-31"), part="denominator", links=evaluation.links)
    assert listed.sort("case_id").select("case_id", "status").rows() == [
        ("k4", "fulfilled_on_time"), ("k5", "fulfilled_on_time"), ("k6", "overdue"),
    ]
