"""Placement days and their cost (issue 16), by placement type and egen regi / köpt, by hand."""

from __future__ import annotations

import polars as pl
import pytest

from egenkontroll.core import costs, kpi_catalogue, kpis
from egenkontroll.core.schema import PLACEMENTS
from tests.core import kpicity as city
from tests.core.eventtable import d, events
from tests.core.test_kpis import fig

# 1 000 kr a dygn for every type; HVB 5 000, own HVB 4 000, bought HVB 6 000; bought familjehem 1 500.
PRICES = costs.PriceList(
    {t: 1000.0 for t in PLACEMENTS} | {"hvb": 5000.0}, False, "test",
    {"egen": {"hvb": 4000.0}, "kopt": {"hvb": 6000.0, "familjehem": 1500.0}},
)
PERIOD = (d("2024-03-01"), d("2024-03-31"))


def placements():
    """Four placements and an öppenvård insats, in two groups (G1 alice, G3 david):

    k1 HVB egen regi 02-20 → slut 03-11: dygn 03-01 … 03-10 = 10, 10 × 4 000 = 40 000 (G1)
    k2 HVB köpt from 03-25, open: 03-25 … 03-31 = 7, 7 × 6 000 = 42 000 (G1)
    k3 familjehem köpt 2023-06-01, open: all 31 dygn, 31 × 1 500 = 46 500 (G3)
    k4 jourhem, regi not said, 03-31 → slut 03-31: no dygn (ends the day it starts)
    k5 jourhem, regi not said, 02-01 → slut 03-01: no dygn in March (the day it ends does not count)
    k6 kontaktfamilj (öppenvård): no placement
    """
    return events(
        ("s1", "k1", "insats_start", "2024-02-20", {"intervention": "hvb", "legal_basis": "SoL", "regi": "egen"}),
        ("e1", "k1", "insats_slut", "2024-03-11", {"ref": "s1"}),
        ("s2", "k2", "insats_start", "2024-03-25", {"intervention": "hvb", "legal_basis": "LVU3", "regi": "kopt"}),
        ("s3", "k3", "insats_start", "2023-06-01",
         {"intervention": "familjehem", "legal_basis": "SoL", "regi": "kopt", "unit_id": "G3", "caseworker_id": "david"}),
        ("s4", "k4", "insats_start", "2024-03-31", {"intervention": "jourhem", "legal_basis": "SoL"}),
        ("e4", "k4", "insats_slut", "2024-03-31", {"ref": "s4"}),
        ("s5", "k5", "insats_start", "2024-02-01", {"intervention": "jourhem", "legal_basis": "SoL"}),
        ("e5", "k5", "insats_slut", "2024-03-01", {"ref": "s5"}),
        ("s6", "k6", "insats_start", "2024-03-05", {"intervention": "kontaktfamilj", "legal_basis": "SoL"}),
        caseworker="alice",
    )


def compute(as_of=None, breakdown=None, prices=PRICES):
    return kpis.compute(placements(), city.city_obligations([]), city.ORG_UNITS, city.CASEWORKERS, *PERIOD, as_of,
                        kpi_ids=["placeringsdygn", "placeringskostnad"], breakdown=breakdown, prices=prices)


def test_dygn_and_cost_by_hand_and_rolled_up_the_tree():
    frame = compute()
    assert fig(frame, "G1", "placeringsdygn") == (2, None, 17.0)
    assert fig(frame, "G1", "placeringskostnad") == (2, None, 82_000.0)
    assert fig(frame, "G3", "placeringsdygn") == (1, None, 31.0)
    assert fig(frame, "G3", "placeringskostnad") == (1, None, 46_500.0)
    assert fig(frame, "S", "placeringsdygn") == (3, None, 48.0)
    assert fig(frame, "S", "placeringskostnad") == (3, None, 128_500.0)
    assert fig(frame, "david", "placeringskostnad", node_type="caseworker") == (1, None, 46_500.0)


def test_as_of_cuts_the_period_and_an_unknown_regi_costs_the_types_price():
    frame = compute(as_of=d("2024-03-05"))  # k1: 03-01 … 03-05 = 5; k2 not yet; k3: 5; k5's end day does not count
    assert fig(frame, "S", "placeringsdygn") == (2, None, 10.0)
    assert fig(frame, "S", "placeringskostnad") == (2, None, 5 * 4000 + 5 * 1500)
    # without regi prices in the list, every placement costs its type's price
    plain = compute(prices=costs.PriceList(PRICES.prices, False, "test"))
    assert fig(plain, "S", "placeringskostnad") == (3, None, 10 * 5000 + 7 * 5000 + 31 * 1000)


def test_breakdown_by_placement_type_and_regi():
    by_type = compute(breakdown="placement_type")
    assert fig(by_type, "S", "placeringsdygn", "hvb") == (2, None, 17.0)
    assert fig(by_type, "S", "placeringsdygn", "familjehem") == (1, None, 31.0)
    assert fig(by_type, "S", "placeringsdygn", "jourhem") == (0, None, 0.0)
    by_regi = compute(breakdown="regi")
    assert fig(by_regi, "S", "placeringskostnad", "egen") == (1, None, 40_000.0)
    assert fig(by_regi, "S", "placeringskostnad", "kopt") == (2, None, 88_500.0)
    assert fig(by_regi, "S", "placeringskostnad", "okand") == (0, None, 0.0)


@pytest.mark.parametrize("kpi_id", ["placeringsdygn", "placeringskostnad"])
def test_the_items_are_the_placements_with_their_dygn_and_cost(kpi_id):
    listed = kpis.items(placements(), city.city_obligations([]), city.ORG_UNITS, city.CASEWORKERS, kpi_id, *PERIOD,
                        unit_id="E1", prices=PRICES)
    assert listed.select("case_id", "what", "detail", "days", "kronor").rows() == [
        ("k1", "hvb", "egen", 10, 40_000), ("k2", "hvb", "kopt", 7, 42_000),
    ]


def test_the_shipped_price_list_prices_own_and_bought_apart():
    shipped = costs.load_prices(costs.SHIPPED)
    assert shipped.price("hvb", "kopt") > shipped.price("hvb", "egen")
    assert shipped.price("natverkshem", "egen") == shipped.prices["natverkshem"]  # left out: the type's price
    assert shipped.price("sis", None) == shipped.prices["sis"]
    frame = compute(prices=None)  # the default is the configured list (here the shipped one)
    assert fig(frame, "G3", "placeringskostnad")[2] == 31 * shipped.price("familjehem", "kopt")


def _entry(kpis_list, kpi_id):
    return next(k for k in kpis_list if k["id"] == kpi_id)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda k: _entry(k, "placeringskostnad")["numerator"].update(sum="timmar"), "sum ska vara en av dygn, kronor"),
        (lambda k: _entry(k, "placeringskostnad")["numerator"].update(sum="dygn"), "numerator.sum anges för"),
        (lambda k: _entry(k, "placeringsdygn")["numerator"].pop("sum"), "numerator.sum anges för"),
        (lambda k: _entry(k, "placeringsdygn")["numerator"].update(period_field="as_of"), "period_field 'as_of'"),
        (lambda k: _entry(k, "placerade_barn")["numerator"].update(sum="dygn"), "okänt fält sum"),
    ],
)
def test_a_broken_sum_figure_is_refused(tmp_path, mutate, message):
    from tests.core.test_kpis import write_catalogue

    with pytest.raises(kpi_catalogue.KpiCatalogueError, match=message):
        kpi_catalogue.load_catalogue(write_catalogue(tmp_path, mutate))


def test_a_sum_says_how_many_children_it_rests_on():
    """Review finding 10: the nämnd's small-number rule counts children; k1 and k2 are one child's placements."""
    one_child = placements().with_columns(
        person_key=pl.when(pl.col("case_id") == "k2").then(pl.lit("p-k1")).otherwise(pl.col("person_key"))
    )
    frame = kpis.compute(one_child, city.city_obligations([]), city.ORG_UNITS, city.CASEWORKERS, *PERIOD,
                         kpi_ids=["placeringsdygn", "placeringskostnad", "placerade_barn"], prices=PRICES)

    def persons(node, kpi, node_type="unit"):
        return frame.filter(
            (pl.col("node_type") == node_type) & (pl.col("node_id") == node) & (pl.col("kpi") == kpi)
        )["persons"].item()

    assert fig(frame, "G1", "placeringskostnad") == (2, None, 82_000.0)  # two placements …
    assert persons("G1", "placeringskostnad") == 1  # … of one child
    assert persons("S", "placeringsdygn") == 2  # k1/k2's child and k3's
    assert persons("alice", "placeringsdygn", "caseworker") == 1
    assert persons("G2", "placeringsdygn") == 0  # none: 0, not empty
    assert persons("S", "placerade_barn") is None  # only sums carry it
