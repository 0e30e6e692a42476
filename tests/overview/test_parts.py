"""The pure parts of the pages: periods, formatting, masking, the weekly backlog, vacancies."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from egenkontroll.overview import flow, staffing
from egenkontroll.pages import periods
from egenkontroll.pages.figures import mask_counts, masked_series
from egenkontroll.pages.tables import format_value

D = dt.date


def test_period_presets_and_parsing():
    day = D(2026, 3, 31)
    assert periods.presets(day) == [
        ("Senaste månaden", D(2026, 3, 1), day),
        ("Senaste kvartalet", D(2026, 1, 1), day),
        ("Hittills i år", D(2026, 1, 1), day),
        ("Senaste 12 månaderna", D(2025, 4, 1), day),
    ]
    p = periods.parse({"fran": "2026-01-01", "till": "2026-02-28"}, day)
    assert (p.start, p.end, p.as_of, p.errors) == (D(2026, 1, 1), D(2026, 2, 28), D(2026, 2, 28), ())
    swapped = periods.parse({"fran": "2026-03-01", "till": "2026-01-01"}, day)
    assert (swapped.start, swapped.end) == (D(2025, 4, 1), day) and swapped.errors


def test_swedish_number_formats():
    assert format_value(0.875, "share") == "88\u00a0%"
    assert format_value(21.666, "ratio") == "21,7"
    assert format_value(12345, "int") == "12\u00a0345"
    assert format_value(7.5, "days") == "7,5"
    assert format_value(None, "int") == "–"
    assert format_value("<5", "int") == "<5"


def test_mask_counts_hides_small_cells_and_what_would_reveal_them():
    # 1 and 12 of 20: the 1 is hidden, and so is the 7 not covered by the parts (the cheapest
    # second cell), else the 1 would follow as 20 − 12 − 7.
    assert mask_counts(20, [1, 12]) == (20, ["<5", 12])
    # Two parts only, 3 and 17 of 20: the 17 must go too.
    assert mask_counts(20, [3, 17]) == (20, ["<5", "x"])
    # Nothing small: all shown.
    assert mask_counts(30, [10, 20]) == (30, [10, 20])
    assert masked_series([0, 3, 7]) == [0, "<5", 7]


def test_weekly_backlog_counts():
    items = pl.DataFrame(
        {
            "unit_id": ["G"] * 3,
            "kind": ["fb", "fb", "utr"],
            "trigger_date": [D(2026, 3, 2), D(2026, 3, 4), D(2026, 2, 20)],
            "fulfilled_date": [D(2026, 3, 10), None, D(2026, 3, 3)],
        }
    )
    period = periods.Period(D(2026, 3, 2), D(2026, 3, 12), D(2026, 3, 12))
    weekly = flow.weekly(items, period)
    assert weekly["week_end"].to_list() == [D(2026, 3, 8), D(2026, 3, 12)]
    assert weekly["fb_open"].to_list() == [2, 1]
    assert weekly["fb_in"].to_list() == [2, 0]
    assert weekly["fb_out"].to_list() == [0, 1]
    assert weekly["utr_open"].to_list() == [0, 0]
    assert weekly["utr_out"].to_list() == [1, 0]


def test_vacancies_pair_leavers_with_later_starters():
    cw = pl.DataFrame(
        {
            "caseworker_id": ["a", "b", "c", "d", "e"],
            "unit_id": ["G"] * 5,
            "start_date": [D(2020, 1, 1), D(2025, 8, 1), D(2020, 1, 1), D(2020, 1, 1), D(2024, 3, 1)],
            "end_date": [D(2025, 6, 30), None, D(2025, 9, 30), D(2024, 1, 31), None],
        }
    )
    # a left 06-30 and b took the place 08-01; c left 09-30: open. d left in 2024: e replaced d.
    assert staffing.vacancies(cw, ["G"], D(2026, 3, 10)) == {"G": 1}
    assert staffing.quarters(D(2025, 11, 1), D(2026, 3, 10)) == ["2025 K4", "2026 K1"]
    assert staffing.turnover(cw, ["G"], D(2025, 1, 1), D(2025, 12, 31)) == [
        ("2025 K1", 0, 0), ("2025 K2", 0, 1), ("2025 K3", 1, 1), ("2025 K4", 0, 0),
    ]


def test_table_rows_are_escaped_html():
    from egenkontroll.pages.tables import Column, Table

    table = Table("t", "T", [Column("name", "Namn"), Column("n", "Antal", "int")])
    table.add({"name": '<script>alert("x")</script>', "n": 1234}, links={"n": "/a?b=1&c=2"}, flags={"n": "når målet"})
    html = table.body_html()
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert '<td class="num"><a href="/a?b=1&amp;c=2">1\u00a0234</a><span class="skarmlasare"> (når målet)</span></td>' in html
    assert html.startswith('<tr><th scope="row">')


def _vacancies_per_group(caseworkers: pl.DataFrame, unit_ids: list[str], as_of: dt.date) -> dict[str, int]:
    """The pairing as first written, one group's frame at a time: the reference for `vacancies`."""
    out = {}
    staff = caseworkers.filter(pl.col("unit_id").is_in(unit_ids))
    for (unit_id,), rows in staff.group_by(["unit_id"], maintain_order=True):
        waiting = sorted(d for d in rows["end_date"].drop_nulls() if d < as_of)
        for day in sorted(d for d in rows["start_date"].drop_nulls() if d <= as_of):
            if waiting and waiting[0] < day:
                waiting.pop(0)
        out[unit_id] = sum(1 for d in waiting if d > as_of - staffing.VACANCY_WINDOW)
    return out


@given(st.lists(st.tuples(st.sampled_from("GHK"), st.none() | st.dates(D(2023, 1, 1), D(2026, 6, 1)),
                          st.none() | st.dates(D(2023, 1, 1), D(2026, 6, 1))), max_size=40),
       st.dates(D(2024, 1, 1), D(2026, 6, 1)))
def test_vacancies_equal_the_pairing_group_by_group(staff, as_of):
    cw = pl.DataFrame(staff, schema={"unit_id": pl.Utf8, "start_date": pl.Date, "end_date": pl.Date}, orient="row")
    assert staffing.vacancies(cw, ["G", "H"], as_of) == _vacancies_per_group(cw, ["G", "H"], as_of)


def test_a_query_tail_continues_a_query_string_as_if_encoded_at_once():
    params = {"fran": "2025-01-01", "till": "", "enhet": "Norr & Söder"}
    assert periods.query_string(handlaggare="a b") + periods.query_tail(**params) == periods.query_string(
        handlaggare="a b", **params
    )
    assert periods.query_tail(till="") == ""
