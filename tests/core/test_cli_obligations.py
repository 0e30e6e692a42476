"""`egenkontroll obligations` and `egenkontroll rules` as a user runs them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from egenkontroll.cli import app

FIXTURES = Path(__file__).parent / "fixtures"
SPEC = FIXTURES / "spec_cases"
runner = CliRunner()


def run(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_spec_cases_match_the_hand_computed_csv_exactly():
    out = run("obligations", "--data", str(SPEC), "--as-of", "2027-03-01").stdout
    assert out == (SPEC / "expected_2027-03-01.csv").read_text()


def test_json_has_the_same_rows_with_nulls():
    rows = json.loads(run("obligations", "--data", str(SPEC), "--as-of", "2027-03-01", "--format", "json").stdout)
    expected = list(csv.DictReader((SPEC / "expected_2027-03-01.csv").open()))
    assert len(rows) == len(expected) == 11
    assert rows[1]["fulfilled_date"] is None and rows[1]["days_late"] == 73
    assert [r["trigger_event_id"] for r in rows] == [r["trigger_event_id"] for r in expected]


def test_rules_option_limits_the_output():
    out = run("obligations", "--data", str(SPEC), "--as-of", "2027-03-01", "--rules", "utredning_4m,besok_3m").stdout
    rules = {row["rule"] for row in csv.DictReader(io.StringIO(out))}
    assert rules == {"utredning_4m", "besok_3m"}


def test_unknown_rule_is_refused_with_the_list():
    result = runner.invoke(app, ["obligations", "--data", str(SPEC), "--rules", "nope"])
    assert result.exit_code == 1
    assert "nope" in result.output


def test_rejected_rows_go_to_stderr_and_file_never_with_the_number(tmp_path):
    data = tmp_path / "set"
    data.mkdir()
    for name in ("org_units.csv", "caseworkers.csv"):
        (data / name).write_text((SPEC / name).read_text())
    events = (SPEC / "events.csv").read_text() + "bad1;K9;20150312-9826;anmalan;2026-01-01;G1;cw1;;;;;;skola\n"
    (data / "events.csv").write_text(events)
    rejects = tmp_path / "rejects.csv"
    result = run("obligations", "--data", str(data), "--as-of", "2027-03-01", "--rejects", str(rejects))
    assert "1 rader avvisades" in result.stderr
    text = rejects.read_text()
    assert "bad1" in text and "20150312-****" in text
    assert "9826" not in text and "9826" not in result.stderr


def test_rules_lists_the_catalogue_with_references():
    result = runner.invoke(app, ["rules", "--references"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    for rule_id in ("forhandsbedomning_14d", "utredning_4m", "vardplan_placering", "besok_3m"):
        assert rule_id in result.stdout
    assert "11 kap. 1 a §" in result.stdout and "4 månader (1930:173)" in result.stdout


def test_unreachable_database_is_one_line_and_exit_1(tmp_path):
    result = runner.invoke(app, ["obligations", "--db", "postgresql://nobody@127.0.0.1:1/none"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
