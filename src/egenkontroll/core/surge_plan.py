"""The whole plan for a scenario: deadlines (core.planning), placements (core.placements), costs
(core.costs) and the caseworkers needed — for the base (today's inflow, today's staff) and the
scenario side by side. One function the CLI and the page share, so both say the same.

Demand in the placement chain follows the scenario's inflow: the other children's entries ×
inflow × surge factor, the unaccompanied children's × inflow × surge × unaccompanied factor.
The unaccompanied surge's extra children are placed at once unless the scenario gives a lag
(`Scenario.unaccompanied_lag`: a number of weeks, or the reference window's distribution of the
weeks from report to placement, core.placements.lagged); the reports come at once either way.
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


def demand(scenario: planning.Scenario, lag: np.ndarray | None = None) -> PL.Demand:
    """The chain's entry multipliers per stream from the scenario (see the module docstring);
    `lag` the weights of `lag_weights`."""
    general = planning.inflow_factors(replace(scenario, unaccompanied=None))
    stream = PL.lagged(planning.stream_factors(scenario.unaccompanied, scenario.weeks), lag)
    return PL.Demand(scenario.weeks, general, general * stream)


def lag_weights(scenario: planning.Scenario, calibration: PL.Calibration) -> np.ndarray | None:
    """The scenario's lag as weights per week (None: at once). From data without a single
    unaccompanied placement to learn from, the children are placed at once (`lag_text` says so)."""
    lag = scenario.unaccompanied_lag
    if lag is None:
        return None
    if lag == planning.LAG_FROM_DATA:
        return calibration.lag_weights
    return PL.fixed_lag(int(lag))


def lag_text(scenario: planning.Scenario, calibration: PL.Calibration) -> str | None:
    """One Swedish sentence on when the unaccompanied surge is placed (None without such a surge)."""
    if scenario.unaccompanied is None:
        return None
    lag = scenario.unaccompanied_lag
    if lag is None:
        return "De ensamkommande barnen i scenariot placeras samma vecka som de kommer."
    if lag != planning.LAG_FROM_DATA:
        return f"De ensamkommande barnen i scenariot placeras {_weeks(int(lag))} efter att de kommer."
    if calibration.lag_median is None:
        return ("Referensperioden har ingen placering av ensamkommande barn efter en anmälan att räkna "
                "fördröjningen från: barnen i scenariot placeras samma vecka som de kommer.")
    weights = np.array(calibration.lag)
    within = float(weights[:14].sum())
    return (
        f"De ensamkommande barnen i scenariot placeras med referensperiodens fördröjning från anmälan till "
        f"placering ({calibration.lag_placements} placeringar): hälften inom {_weeks(calibration.lag_median)}, "
        f"{round(100 * within)} % inom 13 veckor."
    )


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
    lag_text: str | None = None  # when the unaccompanied surge is placed (`lag_text`)


def calibrate_placements(links, org_units: pl.DataFrame, unit_id: str, window_start: dt.date,
                         as_of: dt.date) -> PL.Calibration:
    """core.placements.calibrate over the placements started at a unit of `unit_id`'s subtree."""
    return PL.calibrate(links.placements, links.events, window_start, as_of,
                        planning._unit_filter(org_units, unit_id))


def _weeks(n: int) -> str:
    return f"{n} vecka" if n == 1 else f"{n} veckor"


def outcome(baseline: planning.Baseline, calibration: PL.Calibration, scenario: planning.Scenario,
            prices: costs.PriceList, runs: int, seed: int) -> Outcome:
    chain = calibration.chain
    wanted = demand(scenario, lag_weights(scenario, calibration))
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
        lag_text=lag_text(scenario, calibration),
    )
