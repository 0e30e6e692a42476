"""The deviation rules file: the shipped one loads, a broken one fails naming the entry, due dates."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from egenkontroll.core.deviation_rules import DEFAULT_FILE, DeviationRulesError, load_rules, parse_rules


def shipped() -> dict:
    return yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))


def test_shipped_rules_hold_the_workflow():
    rules = load_rules(DEFAULT_FILE)
    assert list(rules.categories) == ["lex_sarah", "avvikelse_handlaggning", "synpunkt_klagomal", "ovrigt"]
    assert rules.categories["lex_sarah"].ivo and not rules.categories["ovrigt"].ivo
    assert rules.initial_status == "rapporterad"
    assert rules.may_change("rapporterad", "under_utredning")
    assert rules.may_change("atgardad", "avslutad")
    assert not rules.may_change("rapporterad", "avslutad")
    assert not rules.may_change("avslutad", "rapporterad")
    assert [s for s in rules.statuses if rules.is_closed(s)] == ["avslutad"]


def test_the_file_says_the_numbers_are_local():
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    # the law's own words (SoL 2025:400 27 kap. 5 and 6 §§), and no number of days in them
    assert '"genast"' in text and '"snarast"' in text and "NO number of days" in text and "not law" in text
    assert all("lokal" in t.basis for t in load_rules(DEFAULT_FILE).time_limits)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["statuses"][0].update(next=["utredd"]), "statusen rapporterad: okänd status i next: 'utredd'"),
        (lambda d: d["time_limits"][0].update(days=0), "tidsgränsen lex_sarah_utredning_paborjad: 'days'"),
        (lambda d: d["time_limits"][1].update(categories=["lex_maria"]),
         "tidsgränsen lex_sarah_utredning_klar: okänd kategori 'lex_maria'"),
        (lambda d: d["time_limits"][2].update(until_status="klar"),
         "tidsgränsen avvikelse_utredning_klar: okänd status i until_status: 'klar'"),
        (lambda d: d["categories"][1].update(title=""), "kategorin avvikelse_handlaggning: 'title' saknas"),
        (lambda d: d["categories"][0].update(ivo="ja"), "kategorin lex_sarah: 'ivo' ska vara true eller false"),
        (lambda d: d["categories"].append({"id": "ovrigt", "title": "Igen"}), "kategorin ovrigt: id förekommer flera"),
        (lambda d: d["statuses"][3].pop("closed"), "ingen status har closed: true"),
        (lambda d: d["severities"][0].update(colour="röd"), "allvarlighetsgraden lag: okända fält: colour"),
        (lambda d: d.update(deadlines=[]), "okända fält: deadlines"),
    ],
)
def test_a_broken_file_names_the_entry(change, message):
    data = shipped()
    change(data)
    with pytest.raises(DeviationRulesError, match="egna.yaml") as err:
        parse_rules(data, "egna.yaml")
    assert message in str(err.value)


def test_environment_variable_replaces_the_file(tmp_path, monkeypatch):
    data = shipped()
    data["time_limits"][0]["days"] = 5
    own = tmp_path / "avvikelser.yaml"
    own.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("EGK_DEVIATION_RULES_FILE", str(own))
    assert load_rules().time_limits[0].days == 5
    broken = tmp_path / "trasig.yaml"
    broken.write_text("categories: [", encoding="utf-8")
    monkeypatch.setenv("EGK_DEVIATION_RULES_FILE", str(broken))
    with pytest.raises(DeviationRulesError, match="trasig.yaml: kan inte läsa"):
        load_rules()
    monkeypatch.setenv("EGK_DEVIATION_RULES_FILE", str(tmp_path / "saknas.yaml"))
    with pytest.raises(DeviationRulesError, match="saknas.yaml"):
        load_rules()


def test_working_days_around_midsommar():
    """Midsommarafton 2026 is Friday 19 June: not a working day, nor the weekend after it."""
    limit = load_rules(DEFAULT_FILE).limits_for("lex_sarah")[0]
    assert limit.working_days and limit.days == 2
    assert limit.due(dt.date(2026, 6, 18)) == dt.date(2026, 6, 23)  # Thursday → Mon 22, Tue 23
    assert limit.due(dt.date(2026, 6, 19)) == dt.date(2026, 6, 23)  # reported on midsommarafton
    assert limit.due(dt.date(2026, 6, 12)) == dt.date(2026, 6, 16)  # an ordinary Friday: Mon, Tue


def test_calendar_days_and_limit_states():
    rules = load_rules(DEFAULT_FILE)
    reported = dt.date(2026, 6, 18)
    started, done = rules.limit_states("lex_sarah", reported, {"under_utredning": dt.date(2026, 6, 24)},
                                       today=dt.date(2026, 7, 3))
    assert started.due == dt.date(2026, 6, 23) and started.met_on == dt.date(2026, 6, 24)
    assert started.late and not started.overdue
    assert done.due == dt.date(2026, 7, 2) and done.met_on is None and done.overdue
    # A later status meets an earlier limit: the first day the deviation reached either.
    (only,) = rules.limit_states("ovrigt", reported, {"avslutad": dt.date(2026, 7, 1)}, today=dt.date(2026, 9, 1))
    assert only.due == dt.date(2026, 7, 18) and only.met_on == dt.date(2026, 7, 1) and not only.late
