"""Placement costs: the shipped example price list, a municipality's own, its errors, and a cost worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from egenkontroll.core import costs
from egenkontroll.core import placements as PL
from egenkontroll.core.schema import PLACEMENTS


def test_the_shipped_prices_are_marked_as_an_example_and_cover_every_placement():
    prices = costs.load_prices(costs.SHIPPED)
    assert prices.example is True
    assert set(prices.prices) == set(PLACEMENTS)


def test_a_municipalitys_own_prices_come_from_the_environment(tmp_path, monkeypatch):
    own = tmp_path / "priser.yaml"
    own.write_text("prices: {" + ", ".join(f"{t}: 1000" for t in PLACEMENTS) + "}\n", encoding="utf-8")
    monkeypatch.setenv(costs.PRICES_ENV, str(own))
    prices = costs.load_prices()
    assert prices.example is False and prices.prices["sis"] == 1000.0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("prices: {jourhem: 1}", "pris saknas för familjehem"),
        ("prices: {" + ", ".join(f"{t}: 1" for t in PLACEMENTS) + ", villa: 2}", "okänd placeringstyp villa"),
        ("prices: {" + ", ".join(f"{t}: -1" for t in PLACEMENTS) + "}", "mellan 0 och 100000"),
        ("prices: {" + ", ".join(f"{t}: ja" for t in PLACEMENTS) + "}", "ska vara ett tal"),
        ("- a list", "saknar avsnittet prices"),
        ("prices: [", "kan inte läsa prislistan"),
    ],
)
def test_a_broken_price_file_is_refused_with_the_file_named(tmp_path, body, message):
    own = tmp_path / "egna.yaml"
    own.write_text(body, encoding="utf-8")
    with pytest.raises(costs.PriceListError, match=message) as info:
        costs.load_prices(own)
    assert "egna.yaml" in str(info.value)


def test_the_cost_of_a_week_and_a_year_by_hand():
    # 2 children in HVB at 5 000 kr/dygn and 3 in familjehem at 1 000: a week costs
    # 7 × (2 × 5 000 + 3 × 1 000) = 91 000 kr; nobody comes or goes, so 2 weeks cost 182 000
    # and the rate per year is 91 000 × 52.18 = 4 748 380 kr, with a band of zero width.
    prices = costs.PriceList({t: 0.0 for t in PLACEMENTS} | {"hvb": 5000.0, "familjehem": 1000.0}, False, "test")
    chain = PL.Chain(
        states=(("13–17", "hvb"), ("13–17", "familjehem")), stock=np.array([2.0, 3.0]), move=np.zeros((2, 2)),
        exit=np.zeros(2), age_out=np.zeros(2), entries=np.zeros((2, 2)),
    )
    runs = PL.simulate(chain, PL.Demand.flat(2), runs=10)
    frame = costs.cost_frame(chain, runs["stock"], PL.expected(chain, PL.Demand.flat(2)), prices, [None, None])
    assert frame["expected"].to_list() == [91000.0, 91000.0]
    assert frame["low"].to_list() == frame["high"].to_list() == [91000.0, 91000.0]
    total = costs.totals(chain, runs["stock"], prices)
    assert total["period_mean"] == 182000.0
    assert total["year_mean"] == pytest.approx(91000 * 52.18)


ALL = "prices: {" + ", ".join(f"{t}: 1000" for t in PLACEMENTS) + "}\n"


def test_own_and_bought_prices_are_optional_per_type(tmp_path):
    own = tmp_path / "priser.yaml"
    own.write_text(ALL + "regi: {kopt: {hvb: 6000}}\n", encoding="utf-8")
    prices = costs.load_prices(own)
    assert prices.price("hvb", "kopt") == 6000.0
    assert prices.price("hvb", "egen") == prices.price("hvb", None) == 1000.0
    table = prices.table()
    assert table.height == len(PLACEMENTS) * 3
    assert table.filter((table["intervention"] == "hvb") & (table["regi"] == "kopt"))["price"].to_list() == [6000.0]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("regi: {extern: {hvb: 1}}", "avsnittet regi ska ha delarna egen och kopt"),
        ("regi: {kopt: {villa: 1}}", "regi kopt: okänd placeringstyp villa"),
        ("regi: {egen: {hvb: -5}}", "priset för hvb \\(egen\\) ska vara ett tal"),
        ("regi: {egen: 5}", "regi egen ska ange pris per placeringstyp"),
    ],
)
def test_a_broken_regi_section_is_refused(tmp_path, section, message):
    own = tmp_path / "egna.yaml"
    own.write_text(ALL + section + "\n", encoding="utf-8")
    with pytest.raises(costs.PriceListError, match=message):
        costs.load_prices(own)
