"""A value beside its target is shown so that the shown number and the verdict never disagree.

89.66 % against "≥ 90 %" was shown as "90 %" and marked avviker (issue 13, item 2).
"""

from __future__ import annotations

import io
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from egenkontroll.pages.downloads import to_xlsx
from egenkontroll.pages.tables import Column, Table, format_against, format_target, format_value
from egenkontroll.reports import presentation as P

NBSP = "\u00a0"


def parse(text: str) -> Decimal:
    """The number a reader sees: "89,7 %" → 89.7, "1 234,5" → 1234.5."""
    return Decimal(text.replace(NBSP, "").replace("%", "").replace(",", ".").strip())


def side(a, b) -> int:
    return (a > b) - (a < b)


def test_a_value_just_below_the_target_is_not_shown_as_the_target():
    assert format_value(0.8966, "share") == f"90{NBSP}%"  # the old display, still used without a target
    assert format_against(0.8966, 0.9, "share") == f"89,7{NBSP}%"
    assert format_against(0.89996, 0.9, "share") == f"89,996{NBSP}%"
    assert format_against(0.9, 0.9, "share") == f"90,0{NBSP}%"
    assert format_against(14.04, 14, "days") == "14,04"
    assert format_against(13.96, 14, "days") == "14,0" or parse(format_against(13.96, 14, "days")) < 14
    assert format_against(1234.56, 1000, "ratio") == f"1{NBSP}234,6"


def test_targets_are_shown_exactly():
    assert format_target(0.9, "share") == f"90{NBSP}%"
    assert format_target(0.905, "share") == f"90,5{NBSP}%"
    assert format_target(14, "days") == "14"
    assert format_target(20.0, "ratio") == "20"


values = st.floats(min_value=0, max_value=1, allow_nan=False)
kinds = st.sampled_from(["share", "ratio", "days", "int"])


@given(value=values, target=values, kind=kinds, scale=st.sampled_from([1, 30, 400]))
def test_shown_value_compares_to_the_shown_target_as_the_verdict_does(value, target, kind, scale):
    """For any value and target, the shown strings read back compare as the verdict compares."""
    if kind != "share":
        value, target = value * scale, target * scale
    if kind == "int":
        value = round(value)
    shown = parse(format_against(value, target, kind))
    assert side(shown, parse(format_target(target, kind))) == side(value, target)


@given(value=values, target=values)
def test_verdict_and_shown_share_agree(value, target):
    shown = parse(format_against(value, target, "share"))
    assert side(shown, parse(format_target(target, "share"))) == side(value, target)


def test_table_cells_and_workbook_use_the_precision_the_target_needs():
    table = Table("t", "Test", [Column("kpi", "Nyckeltal"), Column("value", "Värde", "share"),
                                Column("plain", "Utan mål", "share")])
    table.add({"kpi": "Inom 14 dagar", "value": 0.8966, "plain": 0.8966}, targets={"value": 0.9})
    assert [c.text for c in table.cells()[0]] == ["Inom 14 dagar", f"89,7{NBSP}%", f"90{NBSP}%"]
    sheet = load_workbook(io.BytesIO(to_xlsx(table))).active
    assert sheet["B2"].number_format == "0.0%" and sheet["C2"].number_format == "0%"


def _fig(value: float) -> dict:
    return {
        "kpi": "fb_inom_14d_andel", "title": "Förhandsbedömning inom 14 dagar", "unit": "andel", "kind": "share",
        "better": "higher", "target": 0.9, "value": value, "numerator": 26, "denominator": 29, "status": "miss",
        "masked_value": value,
    }


def test_committee_report_summary_shows_the_target_miss_below_the_target():
    doc = {"month": "2026-02-01", "unit": {"name": "Teststad"}, "figures": [_fig(26 / 29)]}
    table = P.summary_table(doc, masked=False)
    cells = {c.text for c in table.cells()[0]}
    assert f"89,7{NBSP}%" in cells and "avviker" in cells and f"90{NBSP}%" not in cells - {f"≥{NBSP}90{NBSP}%"}
    assert P.shown_text(_fig(26 / 29), masked=False) == f"89,7{NBSP}%"
    sheet = load_workbook(io.BytesIO(to_xlsx(table))).active
    value_cell = next(c for c in sheet[2] if isinstance(c.value, float))
    assert value_cell.number_format == "0.0%"


def test_thousands_are_separated_by_a_no_break_space_in_tables_and_text():
    from egenkontroll.pages.templatetags.tal import tal

    assert format_value(1234567, "int") == f"1{NBSP}234{NBSP}567"
    assert format_value(1234.5, "ratio") == f"1{NBSP}234,5"
    assert tal(12345) == f"12{NBSP}345" and tal(2026.5) == f"2{NBSP}026,5" and tal("2026") == "2026"
