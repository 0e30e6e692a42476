"""A deviation in the access tests' city (tests/access/cityfixture.py), stored through the workflow.

A lex Sarah report in group G1 by the arbetsledare of G1 (so anna, a handläggare in G1, did not
report it and may not read it), with one open action for which E1 is responsible.
"""

from __future__ import annotations

from datetime import date

from egenkontroll.core.deviation_rules import load_rules
from egenkontroll.deviations.workflow import add_action, create_deviation


def city_deviation(users: dict) -> dict:
    """Creates the deviation; returns the ids the URL matrix fills in (`#deviation_id`, `#action_id`)."""
    rules = load_rules()
    deviation = create_deviation(
        rules, users["ledare"], category="lex_sarah", title="Skyddsbedömning gjordes inte i tid",
        description="En anmälan blev liggande över en helg utan skyddsbedömning.", unit_id="G1",
        reported_on=date(2024, 3, 1), occurred_on=date(2024, 2, 28), severity="hog",
    )
    action = add_action(rules, deviation.pk, users["chef"], text="Rutin för helgbevakning ses över.",
                        responsible_unit_id="E1", due_date=date(2024, 4, 1))
    return {"deviation_id": deviation.pk, "action_id": action.pk}
