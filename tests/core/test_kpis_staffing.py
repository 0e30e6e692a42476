"""Staffing figures (issue 16) against values worked out by hand on a two-group town.

as_of is 2026-06-30, so the turnover cohort is who was employed in a group on 2025-06-30.

    caseworker  group  employed                 form         cohort G?  on as_of
    A           G1     2020-01-01 –             tillsvidare  G1         G1
    B           G1     2024-01-01 – 2026-03-31  tillsvidare  G1 (left)  –
    C           G1     2025-06-30 – 2025-12-31  visstid      G1 (left)  –
    C           G2     2026-01-01 –             visstid      –          G2
    D           G2     2026-02-01 –             konsult      –          G2
    E           G2     2023-01-01 – 2025-06-29  tillsvidare  –          –
    F           G2     2022-01-01 – 2026-06-30  tillsvidare  G2         G2 (last day)

Posts on as_of: G1 3, G2 4 (3 until 2026-03-31). Open cases: K1 (G1, A), K2 (G1, B, who left:
without since 2026-04-01, 90 days), K3 (G2, never a caseworker: since 2026-06-10, 20 days),
K4 (G2, D, a placed child), K5 (G2, E, who left: a placed child without since 2025-06-30, 365 days).
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from egenkontroll.core import kpis
from egenkontroll.core.obligations import evaluate
from egenkontroll.core.schema import CASEWORKERS, ORG_UNITS, STAFFING, conform
from tests.core.eventtable import d, events

AS_OF = dt.date(2026, 6, 30)
PERIOD = (dt.date(2026, 6, 1), AS_OF)

ORG = conform(
    pl.DataFrame(
        {"unit_id": ["C", "G1", "G2"], "parent_id": [None, "C", "C"], "name": ["Stad", "Grupp 1", "Grupp 2"],
         "level": ["stad", "grupp", "grupp"]}
    ),
    ORG_UNITS,
)


def staff(with_forms: bool = True) -> pl.DataFrame:
    rows = [
        ("A", "G1", "2020-01-01", None, "tillsvidare"),
        ("B", "G1", "2024-01-01", "2026-03-31", "tillsvidare"),
        ("C", "G1", "2025-06-30", "2025-12-31", "visstid"),
        ("C", "G2", "2026-01-01", None, "visstid"),
        ("D", "G2", "2026-02-01", None, "konsult"),
        ("E", "G2", "2023-01-01", "2025-06-29", "tillsvidare"),
        ("F", "G2", "2022-01-01", "2026-06-30", "tillsvidare"),
    ]
    frame = pl.DataFrame(
        [
            {"caseworker_id": c, "name": f"Handläggare {c}", "unit_id": u, "start_date": d(s), "end_date": d(e),
             "employment": f if with_forms else None}
            for c, u, s, e, f in rows
        ],
        infer_schema_length=None,
    )
    return conform(frame, CASEWORKERS)


POSTS = conform(
    pl.DataFrame(
        {"unit_id": ["G1", "G2", "G2"], "start_date": [d("2025-01-01"), d("2024-01-01"), d("2026-04-01")],
         "end_date": [None, d("2026-03-31"), None], "posts": [3, 3, 4]}
    ),
    STAFFING,
)

PLACEMENT = {"intervention": "familjehem", "legal_basis": "SoL"}
EVENTS = pl.concat([
    events(("e1", "K1", "anmalan", "2026-05-01"), unit="G1", caseworker="A"),
    events(("e2", "K2", "anmalan", "2026-01-10"), unit="G1", caseworker="B"),
    events(("e3", "K3", "anmalan", "2026-06-10"), unit="G2", caseworker=None),
    events(("e4", "K4", "insats_start", "2026-02-15", dict(PLACEMENT)), unit="G2", caseworker="D"),
    events(("e5", "K5", "insats_start", "2025-03-01", {**PLACEMENT, "intervention": "hvb"}), unit="G2", caseworker="E"),
])


def compute(caseworkers=None, staffing=POSTS, **kw) -> pl.DataFrame:
    obligations = evaluate(EVENTS, AS_OF).obligations
    cw = staff() if caseworkers is None else caseworkers
    return kpis.compute(EVENTS, obligations, ORG, cw, *PERIOD, AS_OF, staffing=staffing, **kw)


@pytest.fixture(scope="module")
def figures() -> pl.DataFrame:
    return compute()


def fig(frame, node, kpi, node_type="unit") -> tuple:
    row = frame.filter(
        (pl.col("node_type") == node_type) & (pl.col("node_id") == node) & (pl.col("kpi") == kpi)
        & pl.col("category").is_null()
    )
    assert row.height == 1, (node, kpi, row)
    return tuple(row.select("numerator", "denominator", "value").row(0))


@pytest.mark.parametrize(
    ("node", "kpi", "expected"),
    [
        # turnover: of the cohort a year before, who is no longer in the group
        ("G1", "personalomsattning", (2, 3, 2 / 3)),  # B left, C moved to G2; A stayed
        ("G2", "personalomsattning", (0, 1, 0.0)),  # F works until as_of itself; E left before the cohort day
        ("C", "personalomsattning", (2, 4, 0.5)),
        ("G1", "handlaggare_i_tjanst", (1, None, 1.0)),
        ("G2", "handlaggare_i_tjanst", (3, None, 3.0)),  # C, D, F
        ("G2", "konsulter", (1, None, 1.0)),
        ("C", "konsulter", (1, None, 1.0)),
        ("G2", "tjanster", (4, None, 4.0)),  # the 2026-04-01 row
        ("C", "tjanster", (7, None, 7.0)),
        ("G1", "vakanta_tjanster", (2, None, 2.0)),  # 3 posts, A
        ("G2", "vakanta_tjanster", (2, None, 2.0)),  # 4 posts, C and F (D is a consultant)
        ("C", "vakanta_tjanster", (4, None, 4.0)),
        ("G1", "arenden_per_arbetande_handlaggare", (2, 1, 2.0)),
        ("G2", "arenden_per_arbetande_handlaggare", (3, 3, 1.0)),
        ("C", "arenden_per_arbetande_handlaggare", (5, 4, 1.25)),
        ("G1", "arenden_per_tjanst", (2, 3, 2 / 3)),
        ("G2", "arenden_per_tjanst", (3, 4, 0.75)),
        ("C", "arenden_per_tjanst", (5, 7, 5 / 7)),
        ("G1", "oppna_arenden_utan_handlaggare", (1, None, 1.0)),  # K2: B has left
        ("G2", "oppna_arenden_utan_handlaggare", (2, None, 2.0)),  # K3 never had one, K5: E left
        ("C", "oppna_arenden_utan_handlaggare", (3, None, 3.0)),
        ("G2", "placerade_barn_utan_handlaggare", (1, None, 1.0)),  # K5, not K4 (D works)
        ("G1", "dagar_utan_handlaggare_median", (1, None, 90.0)),
        ("G2", "dagar_utan_handlaggare_median", (2, None, 192.5)),  # 20 and 365
        ("C", "dagar_utan_handlaggare_median", (3, None, 90.0)),
    ],
)
def test_staffing_figures_match_the_hand_computed_values(figures, node, kpi, expected):
    num, den, value = fig(figures, node, kpi)
    assert (num, den) == expected[:2]
    assert value == pytest.approx(expected[2])


def test_caseworkers_have_no_turnover_of_their_own_but_keep_their_caseload(figures):
    assert fig(figures, "B", "personalomsattning", "caseworker")[2] is None
    assert fig(figures, "D", "konsulter", "caseworker")[2] is None
    assert fig(figures, "A", "arenden_per_arbetande_handlaggare", "caseworker") == (1, 1, 1.0)


def test_without_staffing_table_or_employment_forms_the_figures_have_no_value():
    frame = compute(caseworkers=staff(with_forms=False), staffing=None)
    for kpi in ("tjanster", "vakanta_tjanster", "arenden_per_tjanst", "konsulter"):
        assert fig(frame, "C", kpi)[2] is None, kpi
    # turnover and caseload per working caseworker need only caseworkers.csv
    assert fig(frame, "C", "personalomsattning") == (2, 4, 0.5)
    assert fig(frame, "C", "arenden_per_arbetande_handlaggare") == (5, 4, 1.25)


def test_the_items_are_the_leavers_the_vacant_posts_and_the_cases_without_a_caseworker():
    obligations = evaluate(EVENTS, AS_OF).obligations

    def items(kpi, **kw):
        return kpis.items(EVENTS, obligations, ORG, staff(), kpi, *PERIOD, AS_OF, staffing=POSTS, **kw)

    left = items("personalomsattning")
    assert sorted(zip(left["caseworker_id"], left["unit_id"], left["date"], strict=True)) == [
        ("B", "G1", d("2026-03-31")), ("C", "G1", d("2025-12-31")),
    ]
    assert items("personalomsattning", part="denominator").height == 4
    vacant = items("vakanta_tjanster", unit_id="G2")  # one row for the unit, weighing its vacant posts
    assert vacant.select("unit_id", "what", "weight").rows() == [("G2", "vakant_tjanst", 2)]
    without = items("dagar_utan_handlaggare_median")
    assert dict(zip(without["case_id"], without["days"], strict=True)) == {"K2": 90, "K3": 20, "K5": 365}


def test_breakdowns_of_the_cases_without_a_caseworker_add_up():
    frame = compute(breakdown="unaccompanied", kpi_ids=["oppna_arenden_utan_handlaggare"])
    rows = frame.filter((pl.col("node_id") == "C") & (pl.col("node_type") == "unit"))
    assert dict(zip(rows["category"], rows["numerator"], strict=True)) == {"ja": 0, "nej": 3}


def test_a_caseworker_not_yet_employed_leaves_the_case_without_one_since_its_first_event():
    later = pl.concat([staff(), conform(pl.DataFrame(
        {"caseworker_id": ["G"], "name": ["Handläggare G"], "unit_id": ["G1"], "start_date": [d("2026-09-01")]}
    ), CASEWORKERS)])
    ev = pl.concat([EVENTS, events(("e6", "K6", "anmalan", "2026-06-20"), unit="G1", caseworker="G")])
    obligations = evaluate(ev, AS_OF).obligations
    rows = kpis.items(ev, obligations, ORG, later, "dagar_utan_handlaggare_median", *PERIOD, AS_OF, staffing=POSTS)
    assert dict(zip(rows["case_id"], rows["days"], strict=True)) == {"K2": 90, "K3": 20, "K5": 365, "K6": 10}


def test_a_hostile_number_of_posts_is_one_row_not_millions():
    """Review finding 9: staffing.csv may give 10,000 posts a row; rows per post would fill the memory."""
    many = pl.concat([POSTS.with_columns(posts=pl.lit(10_000, POSTS["posts"].dtype))] * 50)
    found = kpis.items(EVENTS, evaluate(EVENTS, AS_OF).obligations, ORG, staff(), "tjanster", *PERIOD, AS_OF,
                       staffing=many)
    assert sorted(found.select("unit_id", "weight").rows()) == [("G1", 500_000), ("G2", 500_000)]
