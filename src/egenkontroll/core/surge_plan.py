"""The whole plan for a scenario: deadlines (core.planning), placements (core.placements), costs
(core.costs) and the caseworkers needed — for the base (today's inflow, today's staff) and the
scenario side by side. One function the CLI and the page share, so both say the same.

Demand in the placement chain follows the scenario's inflow: the other children's entries ×
inflow × surge factor, the unaccompanied children's × inflow × surge × unaccompanied factor (the
unaccompanied need a place from the day they come, so there is no lag).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

from egenkontroll.core import costs, planning
from egenkontroll.core import placements as PL
from egenkontroll.core.datafiles import load_data_file

EXAMPLES_FILE = Path(__file__).with_name("planning_examples.yaml")


class ExampleError(ValueError):
    pass


@dataclass(frozen=True)
class Example:
    name: str
    description: str
    fields: dict


def examples() -> dict[str, Example]:
    """The named example scenarios (planning_examples.yaml)."""
    return load_data_file(EXAMPLES_FILE, _parse_examples, ExampleError, "exempelscenarierna")


def _parse_examples(path: Path, data) -> dict[str, Example]:
    if not isinstance(data, dict) or not isinstance(data.get("examples"), dict):
        raise ExampleError(f"{path}: saknar avsnittet examples")
    return {
        str(name): Example(str(name), str(body.get("beskrivning", "")), {k: v for k, v in body.items() if k != "beskrivning"})
        for name, body in data["examples"].items()
    }


def demand(scenario: planning.Scenario) -> PL.Demand:
    """The chain's entry multipliers per stream from the scenario (see the module docstring)."""
    general = planning.inflow_factors(replace(scenario, unaccompanied=None))
    return PL.Demand(scenario.weeks, general, general * planning.stream_factors(scenario.unaccompanied, scenario.weeks))


def base_of(scenario: planning.Scenario) -> planning.Scenario:
    """Today's inflow and today's staff over the same weeks: the base the scenario is set beside."""
    return planning.Scenario(weeks=scenario.weeks, caseload_norm=scenario.caseload_norm)


@dataclass(frozen=True)
class Outcome:
    """One scenario's results: frames keyed by week (see `plan`)."""

    queue: pl.DataFrame  # core.planning.simulate
    staff: pl.DataFrame  # core.planning.staff_needed
    placements: pl.DataFrame  # core.placements.projection_frame
    cost: pl.DataFrame  # core.costs.cost_frame
    totals: dict[str, float]


@dataclass(frozen=True)
class Plan:
    baseline: planning.Baseline
    calibration: PL.Calibration
    prices: costs.PriceList
    runs: int
    seed: int
    base: Outcome
    scenario: Outcome


def calibrate_placements(links, org_units: pl.DataFrame, unit_id: str, window_start: dt.date,
                         as_of: dt.date) -> PL.Calibration:
    """core.placements.calibrate over the placements started at a unit of `unit_id`'s subtree."""
    return PL.calibrate(links.placements, links.events, window_start, as_of,
                        planning._unit_filter(org_units, unit_id))


def outcome(baseline: planning.Baseline, calibration: PL.Calibration, scenario: planning.Scenario,
            prices: costs.PriceList, runs: int, seed: int) -> Outcome:
    chain = calibration.chain
    wanted = demand(scenario)
    drawn = PL.simulate(chain, wanted, runs=runs, seed=seed)
    exact = PL.expected(chain, wanted)
    starts = [planning.week_start(baseline.as_of, w) for w in range(1, scenario.weeks + 1)]
    return Outcome(
        queue=planning.simulate(baseline, scenario),
        staff=planning.staff_needed(baseline, scenario),
        placements=PL.projection_frame(chain, drawn, exact, starts),
        cost=costs.cost_frame(chain, drawn["stock"], exact, prices, starts),
        totals=costs.totals(chain, drawn["stock"], prices)
        | {"aged_out_mean": float(drawn["aged_out"].sum(axis=1).mean()),
           "aged_out_low": float(np.percentile(drawn["aged_out"].sum(axis=1), 2.5)),
           "aged_out_high": float(np.percentile(drawn["aged_out"].sum(axis=1), 97.5))},
    )


def plan(baseline: planning.Baseline, calibration: PL.Calibration, scenario: planning.Scenario,
         prices: costs.PriceList, runs: int = 500, seed: int = 1) -> Plan:
    """Base and scenario with the same seed, so the difference is the scenario, not the draw."""
    return Plan(
        baseline=baseline, calibration=calibration, prices=prices, runs=runs, seed=seed,
        base=outcome(baseline, calibration, base_of(scenario), prices, runs, seed),
        scenario=outcome(baseline, calibration, scenario, prices, runs, seed),
    )
