"""`egenkontroll plan` as a user runs it, on the page tests' municipality written as CSV files.

On 2026-03-10, over the 26 weeks before (2025-09-10 – 2026-03-10, 182 days), the city S had:
5 reports, 3 decisions (2 "inleda"), 1 investigation concluded (C3); 2 reports undecided (C4, C5),
1 investigation open (C1), 1 other open case (C3, placed). Caseworkers: anna, bo and cia active
(182 days each), dan until 2025-11-28 (80 days) → 626 / 7 caseworker-weeks. So capacity is
3 × 3 / 89.43 ≈ 0.10 decisions a week against 2 waiting: the 14 days break at once.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

import egenkontroll.cli.planning_commands  # noqa: F401  (registers the command)
from egenkontroll.cli.app import app
from tests.cases.factory import write_dataset
from tests.overview import municipality as M

runner = CliRunner()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("planera"), M.events(), M.ORG_UNITS, M.CASEWORKERS)


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("EGK_PSEUDONYM_KEY", "test-pseudonym-key-0123456789abcdef")


def run(*args: str):
    return runner.invoke(app, ["plan", *args])


def rows(output: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(output)))


def test_text_gives_the_baseline_the_weeks_and_one_sentence_per_limit(dataset):
    result = run("--data", str(dataset), "--as-of", "2026-03-10", "--weeks", "8")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Anmälningar per vecka 0.2; andel som leder till utredning 67%." in out
    assert "Väntar på förhandsbedömning 2; pågående utredningar 1; övriga öppna ärenden 1." in out
    assert "Handläggare 3;" in out
    # Week 1 is the week of Monday 2026-03-16, ISO week 12.
    assert "Fristen för förhandsbedömning (14 dagar) bryts vecka 12 2026 (om 1 vecka)." in out
    assert "Fristen för utredning (4 månader) bryts vecka 12 2026 (om 1 vecka)." in out
    assert "Riktmärket 20 ärenden per handläggare håller hela perioden (8 veckor)." in out
    assert "2026-19" in out and "2026-20" not in out  # eight weekly rows


def test_csv_has_one_row_per_week_with_the_scenario_applied(dataset):
    result = run(
        "--data", str(dataset), "--as-of", "2026-03-10", "--weeks", "4", "--format", "csv",
        "--surge", "3", "--surge-from", "2", "--surge-weeks", "1", "--staffing", "+3@2,-1@4",
    )
    assert result.exit_code == 0, result.output
    table = rows(result.stdout)
    assert [r["week"] for r in table] == ["1", "2", "3", "4"]
    assert [r["week_start"] for r in table] == ["2026-03-16", "2026-03-23", "2026-03-30", "2026-04-06"]
    assert [float(r["inflow"]) for r in table] == [0.19, 0.58, 0.19, 0.19]  # 5/26 a week, × 3 in week 2
    assert [float(r["caseworkers"]) for r in table] == [3.0, 6.0, 6.0, 5.0]
    assert float(table[0]["decision_capacity"]) == pytest.approx(3 * 3 / (626 / 7), abs=0.005)
    assert table[0]["fb_14d_bryts"] == "true"


def test_the_default_day_is_the_last_in_the_data_and_a_unit_can_be_chosen(dataset):
    result = run("--data", str(dataset), "--unit", "G2", "--weeks", "1", "--format", "csv")
    assert result.exit_code == 0, result.output
    # The last event is 2026-03-05 (a Thursday): week 1 starts on Monday 03-09.
    assert rows(result.stdout)[0]["week_start"] == "2026-03-09"


def test_mistakes_are_told_in_swedish(dataset):
    bad = run("--data", str(dataset), "--staffing", "tre@fyra")
    assert bad.exit_code != 0 and "ändring@vecka" in bad.output
    unknown = run("--data", str(dataset), "--unit", "NOPE")
    assert unknown.exit_code == 1 and "okänd enhet: NOPE" in unknown.output
    wrong = run("--data", str(dataset), "--format", "xml")
    assert wrong.exit_code != 0 and "text, csv eller json" in wrong.output


def test_text_adds_placements_staff_and_cost_with_bands_and_how_to_read_them(dataset):
    result = run("--data", str(dataset), "--as-of", "2026-03-10", "--weeks", "3", "--runs", "50")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Placerade barn per vecka i scenariot: medel (95 %-band)" in out
    assert "Handläggare: planerat och behov" in out
    assert "Scenariot: placeringskostnad" in out and "Basen: placeringskostnad" in out
    assert "exempelpriser" in out and "Så läser du banden" in out
    assert "Med slumpen i inflödet bryts 14-dagarsfristen i 95 av 100 simuleringar mellan v. 1 och v. 1." in out


def test_json_gives_base_and_scenario_with_bands_reproducibly(dataset):
    args = ("--data", str(dataset), "--as-of", "2026-03-10", "--example", "2015", "--runs", "40", "--format", "json")
    first, again = run(*args), run(*args)
    assert first.exit_code == 0, first.output
    assert first.stdout == again.stdout  # the same seed gives the same bands
    body = json.loads(first.stdout)
    assert body["simuleringar"] == 40 and body["priser"]["exempel"] is True
    scenario = body["scenario"]
    assert len(scenario["koer"]) == 52  # the 2015 example runs 52 weeks
    kinds = {r["placement"] for r in scenario["placeringar"]}
    assert kinds == {"familjehem", "natverkshem", "jourhem", "hvb", "stodboende", "sis", "alla"}
    assert len(scenario["placeringar"]) == 52 * 7
    assert all(r["low"] - 1e-9 <= r["mean"] <= r["high"] + 1e-9 for r in scenario["placeringar"])
    assert all(r["low"] - 1e-6 <= r["mean"] <= r["high"] + 1e-6 for r in scenario["kostnad_per_vecka"])
    assert {"planned", "by_limits", "by_norm"} <= set(scenario["handlaggare"][0])
    assert body["underlag"]["unit_id"] == "S"
    # The 14 days break at once (see the module docstring) in every run: week 1 both ends.
    assert body["fristernas_band"]["brytvecka"]["fb_14d_bryts"] == {"tidigast": 1, "senast": 1}
    assert len(body["fristernas_band"]["vantetid_hog"]) == 52


def test_an_unknown_example_and_a_broken_price_list_are_told_in_swedish(dataset, tmp_path):
    unknown = run("--data", str(dataset), "--example", "1999")
    assert unknown.exit_code != 0 and "okänt exempel" in unknown.output
    broken = tmp_path / "priser.yaml"
    broken.write_text("prices: {jourhem: 1}", encoding="utf-8")
    bad = run("--data", str(dataset), "--as-of", "2026-03-10", "--price-list", str(broken))
    assert bad.exit_code == 1 and "pris saknas för familjehem" in bad.output


def test_the_old_name_with_its_swedish_options_gives_the_same_plan(dataset):
    new = run("--data", str(dataset), "--as-of", "2026-03-10", "--weeks", "4", "--format", "csv",
              "--surge", "3", "--surge-from", "2", "--surge-weeks", "1", "--staffing", "+3@2,-1@4")
    old = runner.invoke(app, ["planera", "--data", str(dataset), "--per", "2026-03-10", "--veckor", "4", "--format", "csv",
                              "--topp", "3", "--topp-fran", "2", "--topp-veckor", "1", "--personal", "+3@2,-1@4"])
    assert new.exit_code == old.exit_code == 0, old.output
    assert old.stdout == new.stdout and len(rows(new.stdout)) == 4
    assert "använd `egenkontroll plan`" in old.stderr and new.stderr == ""
def test_the_unaccompanied_lag_is_an_option_and_said_in_the_output(dataset):
    base = ["--data", str(dataset), "--as-of", "2026-03-10", "--weeks", "4", "--runs", "20",
            "--unaccompanied", "6", "--format", "json"]
    at_once = json.loads(run(*base).stdout)
    later = json.loads(run(*base, "--unaccompanied-lag", "3").stdout)
    assert at_once["ensamkommande_placeras"] == "De ensamkommande barnen i scenariot placeras samma vecka som de kommer."
    assert later["ensamkommande_placeras"] == "De ensamkommande barnen i scenariot placeras 3 veckor efter att de kommer."
    assert later["scenario"]["koer"] == at_once["scenario"]["koer"]  # the reports come at once either way
    data = json.loads(run(*base, "--unaccompanied-lag", "data").stdout)
    assert data["placeringar_underlag"]["fordrojning_ensamkommande"]["placeringar"] == 0  # no unaccompanied child
    assert "samma vecka" in data["ensamkommande_placeras"]
    bad = run(*base, "--unaccompanied-lag", "snart")
    assert bad.exit_code != 0 and "veckor" in bad.output
