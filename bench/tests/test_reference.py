"""The benchmark's reference implementations against a hand-computed municipality.

A benchmark that compares against a wrong reference proves nothing, so every implementation of
`utr_inom_4m_andel` (DuckDB from the file and from a table, the naive loop, Egenkontroll) must
give the numbers worked out by hand below, including FIFO ties, the implicit opening, a limit
moved over midsommarafton and nyårsdagen, an unmatched conclusion and events after as_of.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from egkbench import reference as R

AS_OF, PF, PT = dt.date(2024, 12, 31), dt.date(2024, 1, 1), dt.date(2024, 12, 31)
PERSON = "20150312-9825"

ORG = """unit_id,parent_id,name,level
S,,Stad,stad
F1,S,Förvaltning,forvaltning
G1,F1,Grupp 1,grupp
G2,F1,Grupp 2,grupp
"""
CASEWORKERS = """caseworker_id,name,unit_id,title,start_date,end_date
cw1,Anna,G1,socialsekreterare,2020-01-01,
"""
# (event_id, case_id, event_type, date, unit_id, outcome)
EVENTS = [
    # C1: opened 2024-02-21, limit 2024-06-21 is midsommarafton -> Monday 06-24: concluded on time.
    ("e11", "C1", "utredning_inledd", "2024-02-21", "G1", ""),
    ("e12", "C1", "utredning_avslutad", "2024-06-24", "G1", "insats"),
    # C2: the same limit, concluded a day later, by G2: late, counted at G2.
    ("e21", "C2", "utredning_inledd", "2024-02-21", "G1", ""),
    ("e22", "C2", "utredning_avslutad", "2024-06-25", "G2", "insats"),
    # C3: no utredning_inledd in the case, so förhandsbedömning 'inleda' opens: on time.
    ("e31", "C3", "forhandsbedomning", "2024-03-01", "G2", "inleda"),
    ("e32", "C3", "utredning_avslutad", "2024-05-02", "G2", "insats"),
    # C4: the case has utredning_inledd, so 'inleda' opens nothing; the second conclusion is unmatched.
    ("e41", "C4", "forhandsbedomning", "2024-01-10", "G2", "inleda"),
    ("e42", "C4", "utredning_inledd", "2024-01-15", "G2", ""),
    ("e43", "C4", "utredning_avslutad", "2024-05-15", "G2", "insats"),
    ("e44", "C4", "utredning_avslutad", "2024-06-01", "G2", "insats"),
    # C5: FIFO; on 2024-03-01 the opening sorts before the conclusion, which concludes e51
    # (limit 2024-01-01 is nyårsdagen -> 01-02: late); e54 concludes e52 (limit 07-01: on time).
    ("e51", "C5", "utredning_inledd", "2023-09-01", "G1", ""),
    ("e53", "C5", "utredning_avslutad", "2024-03-01", "G1", "insats"),
    ("e52", "C5", "utredning_inledd", "2024-03-01", "G1", ""),
    ("e54", "C5", "utredning_avslutad", "2024-04-01", "G1", "insats"),
    # C6: concluded before the period, and concluded after as_of: neither counts.
    ("e61", "C6", "utredning_inledd", "2023-01-10", "G1", ""),
    ("e62", "C6", "utredning_avslutad", "2023-12-29", "G1", "insats"),
    ("e63", "C6", "utredning_inledd", "2024-10-31", "G1", ""),
    ("e64", "C6", "utredning_avslutad", "2025-01-10", "G1", "insats"),
]
# Hand-computed: G1 = C1 on time, C5 late + on time; G2 = C2 late, C3 and C4 on time.
EXPECTED = pl.DataFrame(
    {"unit_id": ["F1", "G1", "G2", "S"], "numerator": [4, 2, 2, 4], "denominator": [6, 3, 3, 6]},
    schema=R.RESULT,
)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("municipality")
    (root / "org_units.csv").write_text(ORG, encoding="utf-8")
    (root / "caseworkers.csv").write_text(CASEWORKERS, encoding="utf-8")
    header = "event_id,case_id,person,gender,event_type,date,unit_id,caseworker_id,ref,outcome,intervention,legal_basis,until,source,unaccompanied"
    rows = [f"{e},{c},{PERSON},F,{t},{d},{u},cw1,,{o},,,,," for e, c, t, d, u, o in EVENTS]
    (root / "events.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return root


def _same(frame: pl.DataFrame) -> None:
    assert frame.sort("unit_id").to_dicts() == EXPECTED.to_dicts()


def test_duckdb_from_csv_and_from_table(dataset):
    con = R.duckdb_connection(dataset, R.holidays())
    _same(R.duckdb_figure(con, R.duckdb_csv_source(dataset), AS_OF, PF, PT))
    R.load_events_table(con, dataset)
    _same(R.duckdb_figure(con, "events", AS_OF, PF, PT))


def test_naive_loop(dataset):
    _same(R.naive(dataset, AS_OF, PF, PT, R.holidays()))


def test_egenkontroll_path(dataset):
    from egenkontroll.core.interchange import read_dataset

    _same(R.egenkontroll_figure(read_dataset(dataset, key=b"k" * 32), AS_OF, PF, PT))


def test_floor_counts_data_rows(dataset):
    assert R.floor(dataset / "events.csv") == len(EVENTS)


def test_compare_names_the_units_that_differ():
    wrong = EXPECTED.with_columns(pl.when(pl.col("unit_id") == "G2").then(1).otherwise("numerator").alias("numerator"))
    problems = R.compare({"a": EXPECTED, "b": wrong})
    assert len(problems) == 1 and "1 units" in problems[0] and "G2: 2/3 vs 1/3" in problems[0]
    assert R.compare({"a": EXPECTED, "b": EXPECTED.reverse()}) == []


def test_month_arithmetic_and_next_working_day():
    assert R._plus_months(dt.date(2024, 10, 31), 4) == dt.date(2025, 2, 28)
    assert R._plus_months(dt.date(2023, 10, 31), 4) == dt.date(2024, 2, 29)
    holidays = set(R.holidays())
    assert R._next_working(dt.date(2024, 6, 21), holidays) == dt.date(2024, 6, 24)  # midsommarafton
    assert R._next_working(dt.date(2024, 12, 24), holidays) == dt.date(2024, 12, 27)  # julafton, juldagen, annandag
