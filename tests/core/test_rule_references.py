"""References by trigger date: SoL (2001:453) up to 2025-06-30, SoL (2025:400) from 2025-07-01.

The expected paragraphs are those read in the law text (docs/lagrum.md), written here by hand.
"""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from typer.testing import CliRunner

from egenkontroll.cli import app
from egenkontroll.core.rules import DEFAULT_FILE, RuleError, load_catalogue

runner = CliRunner()
LAST_OLD, FIRST_NEW = dt.date(2025, 6, 30), dt.date(2025, 7, 1)


@pytest.mark.parametrize(
    ("rule_id", "old", "new"),
    [
        ("forhandsbedomning_14d", "(2001:453) 11 kap. 1 a §", "(2025:400) 20 kap. 2 §"),
        ("skyddsbedomning_1d", "(2001:453) 11 kap. 1 a § första stycket", "(2025:400) 20 kap. 1 § första stycket"),
        ("utredning_4m", "(2001:453) 11 kap. 2 §", "(2025:400) 20 kap. 3 §"),
        ("overvagande_6m", "(2001:453) 6 kap. 8 § första stycket", "(2025:400) 22 kap. 13 § första stycket"),
        ("vardnadsoverflyttning_2ar", "(2001:453) 6 kap. 8 § tredje stycket", "(2025:400) 22 kap. 14 § första stycket"),
        ("besok_3m", "(2001:453) 6 kap. 7 b §", "(2025:400) 22 kap. 12 § andra stycket"),
        ("vardplan_placering", "(2001:453) 11 kap. 3 § första", "(2025:400) 9 kap. 12 § första stycket"),
        ("genomforandeplan_1m", "(2001:453) 11 kap. 3 §", "(2025:400) 9 kap. 12 § andra"),
        ("jourhem_2m", "(2001:453) 6 kap. 6 §", "(2025:400) 22 kap. 4 § andra stycket"),
    ],
)
def test_the_day_before_and_the_day_of_the_new_law(rule_id, old, new):
    catalogue = load_catalogue(DEFAULT_FILE)
    before, after = catalogue.reference_for(rule_id, LAST_OLD), catalogue.reference_for(rule_id, FIRST_NEW)
    assert old in before.text and "2025:400" not in before.text
    assert new in after.text and "2001:453" not in after.text


def test_unverified_paragraphs_say_so_and_verified_ones_do_not():
    catalogue = load_catalogue(DEFAULT_FILE)
    old = catalogue.reference_for("forhandsbedomning_14d", LAST_OLD)
    new = catalogue.reference_for("forhandsbedomning_14d", FIRST_NEW)
    assert not old.verified and old.shown.endswith("(ej verifierad)")
    assert new.verified and "ej verifierad" not in new.shown
    assert "motsvarande bestämmelse" not in DEFAULT_FILE.read_text(encoding="utf-8")


def test_the_vardnadsoverflyttning_row_of_2021_keeps_its_three_year_text():
    catalogue = load_catalogue(DEFAULT_FILE)
    ref = catalogue.reference_for("vardnadsoverflyttning_2ar", dt.date(2021, 5, 3))
    assert "6 kap. 8 § andra stycket" in ref.text and "tre år" in ref.text


def _catalogue_with(tmp_path, rule_id: str, references) -> str:
    data = yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))
    for row in data["rules"]:
        if row["id"] == rule_id:
            row["references"] = references
    path = tmp_path / "regler.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def test_windows_that_overlap_are_refused(tmp_path):
    path = _catalogue_with(tmp_path, "utredning_4m", [
        {"valid_to": "2025-07-01", "text": "SoL (2001:453) 11 kap. 2 §", "verified": False},
        {"valid_from": "2025-07-01", "text": "SoL (2025:400) 20 kap. 3 §", "verified": True},
    ])
    with pytest.raises(RuleError, match="regel 'utredning_4m': lagrummens giltighetstider överlappar"):
        load_catalogue(path)


def test_windows_that_leave_a_gap_are_refused(tmp_path):
    path = _catalogue_with(tmp_path, "utredning_4m", [
        {"valid_to": "2025-06-29", "text": "SoL (2001:453) 11 kap. 2 §", "verified": False},
        {"valid_from": "2025-07-01", "text": "SoL (2025:400) 20 kap. 3 §", "verified": True},
    ])
    with pytest.raises(RuleError, match="lämnar ett glapp mellan 2025-06-29 och 2025-07-01"):
        load_catalogue(path)


def test_windows_must_cover_the_rows_validity(tmp_path):
    path = _catalogue_with(tmp_path, "utredning_4m", [
        {"valid_from": "2025-07-01", "text": "SoL (2025:400) 20 kap. 3 §", "verified": True},
    ])
    with pytest.raises(RuleError, match="inget lagrum gäller före 2025-07-01"):
        load_catalogue(path)


def test_verified_must_be_said(tmp_path):
    path = _catalogue_with(tmp_path, "utredning_4m", [{"text": "SoL (2025:400) 20 kap. 3 §"}])
    with pytest.raises(RuleError, match="verified ska vara true eller false"):
        load_catalogue(path)


def test_an_older_catalogue_with_one_reference_text_loads_as_unverified(tmp_path):
    data = yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))
    for row in data["rules"]:
        row.pop("references")
        row["reference"] = "Kommunens egen text."
    path = tmp_path / "gammal.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    catalogue = load_catalogue(path)
    ref = catalogue.reference_for("utredning_4m", FIRST_NEW)
    assert ref.text == "Kommunens egen text." and not ref.verified
    assert len(catalogue.unverified()) == len(catalogue.rules)


def test_rules_lagrum_lists_the_unverified_references():
    result = runner.invoke(app, ["rules", "--references"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    listing = result.stdout.split("Ej verifierade lagrum", 1)[1]
    expected = {r.id for r, _ in load_catalogue(DEFAULT_FILE).unverified()}
    assert {"forhandsbedomning_14d", "utredning_4m", "besok_3m"} <= expected
    for rule_id in expected:
        assert rule_id in listing
    # every verified-only rule stays out of the listing
    assert "omprovning_6m" not in listing and "vardplan_placering" not in listing
    assert "6 kap. 7 b §" in listing and "20 kap. 3 §" not in listing


def test_rules_on_a_date_shows_the_paragraph_in_force():
    before = runner.invoke(app, ["rules", "--date", "2025-06-30"], env={"COLUMNS": "400"})
    after = runner.invoke(app, ["rules", "--date", "2025-07-01"], env={"COLUMNS": "400"})
    assert before.exit_code == 0 and after.exit_code == 0, before.output + after.output
    assert "11 kap. 2 §" in before.stdout and "20 kap. 3 §" not in before.stdout
    assert "20 kap. 3 §" in after.stdout and "11 kap. 2 §" not in after.stdout
    bad = runner.invoke(app, ["rules", "--date", "30/6"])
    assert bad.exit_code == 2 and "ÅÅÅÅ-MM-DD" in bad.output


@pytest.mark.parametrize(
    ("rule_id", "paragraph"),
    [
        ("lvu_understallning_1v", "(1990:52) med särskilda bestämmelser om vård av unga 7 § första stycket"),
        ("lvu_ansokan_4v", "(1990:52) med särskilda bestämmelser om vård av unga 8 § första stycket"),
        ("lvu14_overvagande_3m", "(1990:52) med särskilda bestämmelser om vård av unga 14 § tredje stycket"),
        ("omprovning_6m", "(1990:52) med särskilda bestämmelser om vård av unga 13 § andra stycket"),
    ],
)
def test_lvu_rules_keep_their_verified_paragraph_across_the_new_socialtjanstlag(rule_id, paragraph):
    catalogue = load_catalogue(DEFAULT_FILE)
    before, after = catalogue.reference_for(rule_id, LAST_OLD), catalogue.reference_for(rule_id, FIRST_NEW)
    assert before == after and before.verified and paragraph in before.text


def test_every_row_of_the_catalogue_has_a_reference_on_every_date_it_applies():
    catalogue = load_catalogue(DEFAULT_FILE)
    for rule in catalogue.rules:
        for day in (dt.date(2020, 1, 1), dt.date(2022, 6, 30), dt.date(2022, 7, 1), LAST_OLD, FIRST_NEW,
                    dt.date(2026, 12, 31)):
            if catalogue.row_on(rule.id, day) is rule:
                assert rule.reference_on(day) is not None, (rule.id, day)
