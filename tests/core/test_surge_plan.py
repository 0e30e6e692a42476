"""The plan for a scenario: the chain's demand follows the scenario's inflow, by hand; the 2015 example."""

from __future__ import annotations

from egenkontroll.core import planning as P
from egenkontroll.core import surge_plan


def test_demand_multiplies_both_streams_by_the_inflow_and_only_the_unaccompanied_by_their_surge():
    # Inflow 1.5 throughout, a general surge ×2 in week 2, the unaccompanied ×6 in weeks 2–3:
    # others 1.5, 3, 1.5, 1.5; unaccompanied 1.5, 3 × 6 = 18, 1.5 × 6 = 9, 1.5.
    scenario = P.Scenario(weeks=4, inflow=1.5, surge=P.Surge(2, 2, 1), unaccompanied=P.Surge(6, 2, 2))
    demand = surge_plan.demand(scenario)
    assert demand.other.tolist() == [1.5, 3.0, 1.5, 1.5]
    assert demand.unaccompanied.tolist() == [1.5, 18.0, 9.0, 1.5]


def test_the_base_keeps_the_weeks_and_norm_but_not_the_surges_or_staffing():
    scenario = P.Scenario(weeks=30, inflow=2, staffing=P.parse_staffing("+3@4"), caseload_norm=17,
                          unaccompanied=P.Surge(6, 1, 13))
    assert surge_plan.base_of(scenario) == P.Scenario(weeks=30, caseload_norm=17)


def test_the_2015_example_is_six_times_the_unaccompanied_for_thirteen_weeks():
    example = surge_plan.examples()["2015"]
    assert example.fields["ensamkommande"] == {"faktor": 6, "fran": 1, "veckor": 13}
    assert "5 519" in example.description


def test_the_lag_moves_only_the_unaccompanied_surge_of_the_placements():
    # Inflow 1.5, the unaccompanied ×3 in week 1, placed two weeks later: others 1.5 every week;
    # unaccompanied 1.5 × (1, 1, 3, 1) = 1.5, 1.5, 4.5, 1.5. The reports (the queue) are not moved.
    import numpy as np

    from egenkontroll.core import placements as PL

    scenario = P.Scenario(weeks=4, inflow=1.5, unaccompanied=P.Surge(3, 1, 1), unaccompanied_lag=2)
    calibration = PL.Calibration(chain=None, window_start=None, as_of=None, top_age=18, episodes=0, entries=0,
                                 exits=0, moves=0, lag=(0.0, 1.0), lag_placements=3)
    demand = surge_plan.demand(scenario, surge_plan.lag_weights(scenario, calibration))
    assert demand.other.tolist() == [1.5] * 4
    assert demand.unaccompanied.tolist() == [1.5, 1.5, 4.5, 1.5]
    assert "2 veckor" in surge_plan.lag_text(scenario, calibration)
    assert P.inflow_factors(scenario, 0.5).tolist() == [1.5 * 2, 1.5, 1.5, 1.5]  # reports: at once
    # From data: the calibration's distribution (everyone one week later).
    from_data = P.Scenario(weeks=4, unaccompanied=P.Surge(3, 1, 1), unaccompanied_lag=P.LAG_FROM_DATA)
    weights = surge_plan.lag_weights(from_data, calibration)
    assert np.array_equal(weights, [0.0, 1.0])
    assert surge_plan.demand(from_data, weights).unaccompanied.tolist() == [1.0, 3.0, 1.0, 1.0]
    assert "hälften inom 1 vecka," in surge_plan.lag_text(from_data, calibration)
