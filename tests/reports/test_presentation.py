"""The masked view of a hand-made report document: no status, colour or recurrence on a hidden cell."""

from __future__ import annotations

from egenkontroll.reports import presentation as P


def target_miss(previous_masked) -> dict:
    """A share missing its target of 100 % in January on 8 of 10, in December on 1 of 2."""
    fields = {"kpi": "fb_inom_14d_andel", "title": "Förhandsbedömningar inom 14 dagar", "unit": "andel",
              "kind": "share", "better": "higher", "target": 1.0}
    trend = [
        {"month": "2025-12-01", "value": 0.5, "masked_value": previous_masked, "numerator": 1, "denominator": 2,
         "status": "miss"},
        {"month": "2026-01-01", "value": 0.8, "masked_value": 0.8, "numerator": 8, "denominator": 10,
         "status": "miss"},
    ]
    return {**fields, "value": 0.8, "masked_value": 0.8, "numerator": 8, "denominator": 10, "recurring": True,
            "trend": trend}


def test_a_hidden_month_in_the_trend_has_no_status_and_does_not_make_the_target_miss_recurring():
    miss = target_miss(previous_masked="<5")
    rows = P.trend_table(miss, masked=True).rows
    assert [(r["value"], r["status"]) for r in rows] == [("<5", "–"), (0.8, "avviker")]
    assert P.trend_table(miss, masked=True).css.get((0, "value"), "") == ""
    assert P.recurring(miss, masked=True) is False  # "återkommande" would tell December missed on 1–4
    assert P.recurring(miss, masked=False) is True
    assert P.recurring(target_miss(previous_masked=0.5), masked=True) is True


def test_a_target_miss_whose_own_value_is_hidden_has_no_value_trend_or_recurrence():
    miss = {**target_miss(previous_masked=0.5), "masked_value": "<5"}
    doc = {"month": "2026-01-01", "target_misses": [miss], "analyses": {}}
    (section,) = P.target_miss_sections(doc, masked=True)
    assert (section["value"], section["chart"], section["recurring"]) == (P.SMALL_BASE_TEXT, None, False)
    (row,) = P.target_misses_table(doc, masked=True).rows
    assert (row["value"], row["recurring"]) == (P.SMALL_BASE_TEXT, "–")
    (section,) = P.target_miss_sections(doc, masked=False)
    assert section["value"] == "80,0\u00a0%" and section["chart"] is not None and section["recurring"]


def test_a_count_without_its_optional_data_is_shown_empty_not_zero():
    """Review finding 8: vacant posts without staffing.csv are unknown, and 0 would tell the nämnd 'none'."""
    fields = {"kpi": "vakanta_tjanster", "title": "Vakanta tjänster", "unit": "antal", "kind": "count",
              "better": "lower", "target": None}
    without = {**fields, "value": None, "masked_value": None, "numerator": 0, "denominator": None}
    doc = {"month": "2026-01-01", "unit": {"name": "Norra"},
           "figures": [without, {**without, "kpi": "tjanster", "value": 7.0, "numerator": 7}]}
    rows = P.summary_table(doc, masked=False).rows
    assert [r["value"] for r in rows] == [None, 7]
    assert P.shown_text(without, masked=False) == P.format_value(None, "int")
