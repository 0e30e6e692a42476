"""Placement costs: what the projected placements cost a week and a year, with the same bands.

Why it exists: in 2015 the placements of the surge were bought at short notice at HVB prices;
a planner needs the bill beside the places. The prices are data (placement_prices.yaml, an
example shipped; the municipality's own with EGK_PLACEMENT_PRICES_FILE), in kronor per dygn
and child per placement type. The cost of a week is Σ children in the type × price × 7, taken
run by run from core.placements' simulation, so the band of the cost is the band of the runs —
not the band of each type added up (which would be too wide).

The same price list prices the placement days that happened (the key figure placeringskostnad,
core.kpis, issue 16). There the insats_start may say whether the placement was the municipality's
own (egen regi) or bought (köpt); the optional section `regi` of the price list gives separate
prices for the two, and a type it leaves out costs its price in `prices`, as does a placement
whose regi is not known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from egenkontroll.core.datafiles import configured_path, load_data_file
from egenkontroll.core.placements import WEEKS_PER_YEAR, Chain, band
from egenkontroll.core.schema import PLACEMENTS, REGI

PRICES_ENV = "EGK_PLACEMENT_PRICES_FILE"
SHIPPED = Path(__file__).with_name("placement_prices.yaml")
MAX_PRICE = 100_000


class PriceListError(ValueError):
    """A price file that cannot be used, said in Swedish with the file named."""


@dataclass(frozen=True)
class PriceList:
    prices: dict[str, float]  # kronor per dygn and child
    example: bool
    source: str
    # egen | kopt → type → kronor per dygn, where the list prices own and bought places apart
    by_regi: dict[str, dict[str, float]] = field(default_factory=dict)

    def price(self, kind: str, regi: str | None) -> float:
        """Kronor per dygn for a placement of `kind`, own or bought (None: not known)."""
        return self.by_regi.get(regi or "", {}).get(kind, self.prices[kind])

    def table(self) -> pl.DataFrame:
        """Every (intervention, regi) with its price per dygn, regi null for "not known"."""
        pairs = [(kind, regi) for kind in PLACEMENTS for regi in (*REGI, None)]
        return pl.DataFrame(
            {
                "intervention": [k for k, _ in pairs], "regi": [r for _, r in pairs],
                "price": [self.price(k, r) for k, r in pairs],
            },
            schema={"intervention": pl.Utf8, "regi": pl.Utf8, "price": pl.Float64},
        )

    def weekly(self, chain: Chain) -> np.ndarray:
        """Kronor a week for one child in each state of the chain."""
        return np.array([7 * self.prices[t] for _, t in chain.states])


def prices_path(path: str | Path | None = None) -> Path:
    """The price list in force: `path`, else EGK_PLACEMENT_PRICES_FILE, else the shipped example."""
    return configured_path(path, PRICES_ENV, SHIPPED)


def load_prices(path: str | Path | None = None) -> PriceList:
    """The price list from `path`, else EGK_PLACEMENT_PRICES_FILE, else the shipped example
    (core.datafiles: parsed once per file version, failures name the file)."""
    return load_data_file(prices_path(path), _parse, PriceListError, "prislistan")


def _parse(path: Path, data) -> PriceList:
    name = path.name
    if not isinstance(data, dict) or not isinstance(data.get("prices"), dict):
        raise PriceListError(f"{name}: saknar avsnittet prices")
    prices = data["prices"]
    unknown = sorted(set(map(str, prices)) - set(PLACEMENTS))
    missing = [t for t in PLACEMENTS if t not in prices]
    if unknown:
        raise PriceListError(f"{name}: okänd placeringstyp {', '.join(unknown)} (kända: {', '.join(PLACEMENTS)})")
    if missing:
        raise PriceListError(f"{name}: pris saknas för {', '.join(missing)}")
    out = {kind: _price(name, kind, prices[kind]) for kind in PLACEMENTS}
    return PriceList(out, bool(data.get("example", False)), str(path), _by_regi(name, data.get("regi")))


def _price(name: str, kind: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_PRICE:
        raise PriceListError(f"{name}: priset för {kind} ska vara ett tal mellan 0 och {MAX_PRICE} kr per dygn")
    return float(value)


def _by_regi(name: str, section) -> dict[str, dict[str, float]]:
    """The optional section `regi: {egen: {type: price}, kopt: {…}}`; each part and type optional."""
    if section is None:
        return {}
    if not isinstance(section, dict) or not set(map(str, section)) <= set(REGI):
        raise PriceListError(f"{name}: avsnittet regi ska ha delarna {' och '.join(REGI)} (var för sig valfria)")
    out = {}
    for regi, prices in section.items():
        if not isinstance(prices, dict):
            raise PriceListError(f"{name}: regi {regi} ska ange pris per placeringstyp")
        unknown = sorted(set(map(str, prices)) - set(PLACEMENTS))
        if unknown:
            raise PriceListError(f"{name}: regi {regi}: okänd placeringstyp {', '.join(unknown)}")
        out[str(regi)] = {kind: _price(name, f"{kind} ({regi})", value) for kind, value in prices.items()}
    return out


def weekly_cost(chain: Chain, stock: np.ndarray, prices: PriceList) -> np.ndarray:
    """Kronor per week: stock (… × states) → (…), e.g. runs × weeks → runs × weeks."""
    return stock @ prices.weekly(chain)


def cost_frame(chain: Chain, runs_stock: np.ndarray, expected: np.ndarray, prices: PriceList,
               week_starts: list) -> pl.DataFrame:
    """Week, week_start, expected cost (exact mean), simulated mean, 2.5 % and 97.5 % points (kr)."""
    per_run = weekly_cost(chain, runs_stock, prices)
    mean, low, high = band(per_run)
    return pl.DataFrame(
        {
            "week": np.arange(1, len(week_starts) + 1), "week_start": week_starts,
            "expected": weekly_cost(chain, expected, prices), "mean": mean, "low": low, "high": high,
        },
        schema_overrides={"week": pl.Int32, "week_start": pl.Date},
    )


def totals(chain: Chain, runs_stock: np.ndarray, prices: PriceList) -> dict[str, float]:
    """The whole period's cost and the rate per year (period × 52.18 ÷ weeks), mean and band."""
    total = weekly_cost(chain, runs_stock, prices).sum(axis=1)
    weeks = runs_stock.shape[1]
    mean, low, high = (float(v) for v in band(total))
    per_year = WEEKS_PER_YEAR / weeks
    return {
        "period_mean": mean, "period_low": low, "period_high": high,
        "year_mean": mean * per_year, "year_low": low * per_year, "year_high": high * per_year,
    }
