"""The figures a nämnd compares (issue 16), against values worked out by hand.

Aktualiseringar per 1,000 children 0–17 (population.csv as denominator), children re-reported
within 12 months of a closure, and placed children visited at least four times in the year.
The small tree of kpicity.py is reused: S ⊃ D1 ⊃ E1 ⊃ {G1, G2}, S ⊃ D2 ⊃ G3.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from egenkontroll.core import kpi_catalogue, kpis
from egenkontroll.core.schema import OBLIGATIONS, POPULATION, conform, empty
from tests.core import kpicity as city
from tests.core.eventtable import events

NO_OBLIGATIONS = empty(OBLIGATIONS)


def population(*rows: tuple) -> pl.DataFrame:
    """Rows are (unit_id, year, age_from, age_to, count)."""
    return conform(
        pl.DataFrame(rows, schema=["unit_id", "year", "age_from", "age_to", "count"], orient="row"), POPULATION
    )


def compute(ev, period, as_of=None, breakdown=None, pop=None, ids=None):
    return kpis.compute(
        ev, NO_OBLIGATIONS, city.ORG_UNITS, city.CASEWORKERS, *period, as_of,
        kpi_ids=ids, breakdown=breakdown, population=pop,
    )


def fig(frame, node, kpi, category=None, node_type="unit"):
    row = frame.filter(
        (pl.col("node_type") == node_type) & (pl.col("node_id") == node) & (pl.col("kpi") == kpi)
        & (pl.col("category").is_null() if category is None else pl.col("category") == category)
    )
    assert row.height == 1, (node, kpi, category)
    return tuple(row.select("numerator", "denominator", "value").row(0))


# ------------------------------------------------------------------ per 1,000 children

Q1 = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))


def reports():
    """Five aktualiseringar in Q1 2026: three at G1 (D1), two at G3 (D2); one about an 18-year-old."""
    return events(
        ("a1", "c1", "anmalan", "2026-01-10", {"unit_id": "G1", "source": "polis", "kind": "anmalan"}),
        ("a2", "c2", "anmalan", "2026-02-10", {"unit_id": "G1", "source": "skola", "kind": "ansokan"}),
        ("a3", "c3", "anmalan", "2026-03-10", {"unit_id": "G1", "source": "polis", "kind": "anmalan",
                                               "birth_date": "2008-01-01"}),  # 18 years old: not a child
        ("a4", "c4", "anmalan", "2026-01-20", {"unit_id": "G3", "source": "polis", "kind": "anmalan"}),
        ("a5", "c5", "anmalan", "2026-03-31", {"unit_id": "G3", "source": "skola", "kind": "information"}),
        ("a6", "c6", "anmalan", "2026-04-01", {"unit_id": "G3", "kind": "anmalan"}),  # after the period
    )


def district_population():
    """D1: 1,500 children 0–17 in 2025 (one-year classes summed by band here), D2: 500; 18-year-olds apart.

    2024 figures for D1 are older and not used; the 2026 figures are not published yet.
    """
    return population(
        ("D1", 2024, 0, 17, 9999),
        ("D1", 2025, 0, 5, 600), ("D1", 2025, 6, 17, 900), ("D1", 2025, 18, 18, 80),
        ("D2", 2025, 0, 17, 500),
        ("D2", 2025, 15, 19, 77),  # a band across 17/18: not all children, not counted
    )


def test_aktualiseringar_per_1000_children_per_district_and_city():
    f = compute(reports(), Q1, pop=district_population(), ids=["aktualiseringar_per_1000"])
    # D1: a1, a2 (a3 is 18) over 1,500 children; D2: a4, a5 over 500; S: 4 over 2,000.
    assert fig(f, "D1", "aktualiseringar_per_1000") == (2, 1500, pytest.approx(1000 * 2 / 1500))
    assert fig(f, "D2", "aktualiseringar_per_1000") == (2, 500, 4.0)
    assert fig(f, "S", "aktualiseringar_per_1000") == (4, 2000, 2.0)
    # a group has reports but no population of its own: no rate
    assert fig(f, "G1", "aktualiseringar_per_1000") == (2, 0, None)
    assert fig(f, "alice", "aktualiseringar_per_1000", node_type="caseworker")[2] is None


def test_a_district_without_population_adds_nothing_to_its_parents_rate():
    """Review finding 7: D2 has reports but no population; S's rate is D1's reports over D1's children."""
    pop = population(("D1", 2025, 0, 17, 1500))
    f = compute(reports(), Q1, pop=pop, ids=["aktualiseringar_per_1000"])
    assert fig(f, "S", "aktualiseringar_per_1000") == (2, 1500, pytest.approx(1000 * 2 / 1500))
    assert fig(f, "D2", "aktualiseringar_per_1000")[2] is None
    listed = kpis.items(reports(), NO_OBLIGATIONS, city.ORG_UNITS, city.CASEWORKERS, "aktualiseringar_per_1000",
                        *Q1, unit_id="S", population=pop)
    assert sorted(listed["event_id"]) == ["a1", "a2"]  # the Underlag lists what the number counts


@pytest.mark.parametrize(
    ("rows", "expected_s", "expected_d1"),
    [
        # the city's figures of 2025 and D1's of 2024 (loaded in different runs): the newer, S's, alone
        ((("S", 2025, 0, 17, 3000), ("D1", 2024, 0, 17, 1500)), (4, 3000), (2, 0)),
        # D1's of 2025 are newer than the city's of 2024: D1 alone (D2's reports have no population)
        ((("S", 2024, 0, 17, 3000), ("D1", 2025, 0, 17, 1500)), (2, 1500), (2, 1500)),
        # the same year for an area and one inside it (only from separate imports): the outer wins
        ((("S", 2025, 0, 17, 3000), ("D1", 2025, 0, 17, 1500)), (4, 3000), (2, 0)),
    ],
)
def test_nested_areas_never_count_a_child_twice(rows, expected_s, expected_d1):
    """Review finding 5: a parent's and its district's population from different imports."""
    f = compute(reports(), Q1, pop=population(*rows), ids=["aktualiseringar_per_1000"])
    assert fig(f, "S", "aktualiseringar_per_1000")[:2] == expected_s
    assert fig(f, "D1", "aktualiseringar_per_1000")[:2] == expected_d1


def test_per_1000_by_kind_and_source_share_the_population():
    pop = district_population()
    by_kind = compute(reports(), Q1, breakdown="kind", pop=pop, ids=["aktualiseringar_per_1000"])
    assert fig(by_kind, "S", "aktualiseringar_per_1000", "anmalan") == (2, 2000, 1.0)  # a1, a4
    assert fig(by_kind, "S", "aktualiseringar_per_1000", "ansokan") == (1, 2000, 0.5)
    assert fig(by_kind, "D2", "aktualiseringar_per_1000", "information") == (1, 500, 2.0)
    by_source = compute(reports(), Q1, breakdown="source", pop=pop, ids=["aktualiseringar_per_1000"])
    assert fig(by_source, "S", "aktualiseringar_per_1000", "polis") == (2, 2000, 1.0)
    assert fig(by_source, "S", "aktualiseringar_per_1000", "okand") == (0, 2000, 0.0)


def test_without_population_the_rate_is_empty_and_the_items_refuse_the_denominator():
    f = compute(reports(), Q1, ids=["aktualiseringar_per_1000"])
    assert fig(f, "S", "aktualiseringar_per_1000") == (4, 0, None)
    with pytest.raises(ValueError, match="befolkningen"):
        kpis.items(reports(), NO_OBLIGATIONS, city.ORG_UNITS, city.CASEWORKERS, "aktualiseringar_per_1000",
                   *Q1, part="denominator")
    listed = kpis.items(reports(), NO_OBLIGATIONS, city.ORG_UNITS, city.CASEWORKERS, "aktualiseringar_per_1000", *Q1)
    assert sorted(listed["event_id"]) == ["a1", "a2", "a4", "a5"]


# ------------------------------------------------------------------ återaktualisering

Y2026 = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def closures():
    """Closures in 2025 are followed up in 2026.

    p1 case closed 2025-03-01 at G1, reported again 2025-11-15              → re-entered
    p2 investigation concluded ingen_insats 2025-05-10 at G2, reported 2026-05-10 (the last day) → re-entered
    p3 case closed 2025-06-01 at G3, reported 2026-06-02 (a day too late)   → not re-entered
    p4 investigation concluded with insats 2025-02-01: not a closure; case closed 2025-09-30 at G3,
       no new report                                                        → not re-entered
    p5 closed 2024-12-20 (followed up in 2025, outside) and 2025-01-20 at G1 (first in the cohort),
       reported 2025-01-25                                                  → re-entered, once
    p6 closed 2026-02-01: follow-up ends 2027, outside
    """
    return events(
        ("p1a", "k1", "arende_avslutat", "2025-03-01", {"person_key": "p1", "unit_id": "G1", "caseworker_id": "alice"}),
        ("p1b", "k1b", "anmalan", "2025-11-15", {"person_key": "p1", "unit_id": "G1"}),
        ("p2a", "k2", "utredning_avslutad", "2025-05-10",
         {"person_key": "p2", "unit_id": "G2", "outcome": "ingen_insats", "caseworker_id": "bertil"}),
        ("p2b", "k2b", "anmalan", "2026-05-10", {"person_key": "p2", "unit_id": "G2"}),
        ("p3a", "k3", "arende_avslutat", "2025-06-01", {"person_key": "p3", "unit_id": "G3", "caseworker_id": "david"}),
        ("p3b", "k3b", "anmalan", "2026-06-02", {"person_key": "p3", "unit_id": "G3"}),
        ("p4a", "k4", "utredning_avslutad", "2025-02-01", {"person_key": "p4", "unit_id": "G3", "outcome": "insats"}),
        ("p4b", "k4", "arende_avslutat", "2025-09-30", {"person_key": "p4", "unit_id": "G3", "caseworker_id": "david"}),
        ("p5a", "k5", "arende_avslutat", "2024-12-20", {"person_key": "p5", "unit_id": "G1"}),
        ("p5b", "k5b", "arende_avslutat", "2025-01-20", {"person_key": "p5", "unit_id": "G1", "caseworker_id": "alice"}),
        ("p5c", "k5c", "anmalan", "2025-01-25", {"person_key": "p5", "unit_id": "G1"}),
        ("p5d", "k5c", "arende_avslutat", "2025-04-01", {"person_key": "p5", "unit_id": "G1"}),
        ("p6a", "k6", "arende_avslutat", "2026-02-01", {"person_key": "p6", "unit_id": "G1"}),
    )


def test_children_re_reported_within_twelve_months_of_a_closure():
    f = compute(closures(), Y2026, ids=["ateraktualiserade_andel"])
    # cohort: p1, p2 (G2), p3, p4 (G3), p5 (G1, its first 2025 closure) — re-entered p1, p2, p5
    assert fig(f, "S", "ateraktualiserade_andel") == (3, 5, 0.6)
    assert fig(f, "G1", "ateraktualiserade_andel") == (2, 2, 1.0)
    assert fig(f, "D1", "ateraktualiserade_andel") == (3, 3, 1.0)
    assert fig(f, "D2", "ateraktualiserade_andel") == (0, 2, 0.0)
    assert fig(f, "alice", "ateraktualiserade_andel", node_type="caseworker") == (2, 2, 1.0)
    listed = kpis.items(closures(), NO_OBLIGATIONS, city.ORG_UNITS, city.CASEWORKERS, "ateraktualiserade_andel",
                        *Y2026, part="denominator")
    assert sorted(listed["event_id"]) == ["p1a", "p2a", "p3a", "p4b", "p5b"]
    re_entered = kpis.items(closures(), NO_OBLIGATIONS, city.ORG_UNITS, city.CASEWORKERS, "ateraktualiserade_andel",
                            *Y2026)
    assert dict(zip(re_entered["event_id"], re_entered["fulfilled_date"], strict=True)) == {
        "p1a": dt.date(2025, 11, 15), "p5b": dt.date(2025, 1, 25), "p2a": dt.date(2026, 5, 10),
    }


def test_a_report_known_only_after_as_of_does_not_count():
    f = compute(closures(), Y2026, as_of=dt.date(2026, 5, 9), ids=["ateraktualiserade_andel"])
    assert fig(f, "G2", "ateraktualiserade_andel") == (0, 1, 0.0)


# ------------------------------------------------------------------ at least four visits a year


def placed_children():
    """The year 2025-04-01 – 2026-03-31 (period Q1 2026).

    v1 HVB since 2024, visits 2025-05, 08, 11, 2026-02       → placed all year, 4 visits
    v2 familjehem since 2024-06, three visits                  → placed all year, 3 visits
    v3 jourhem 2025-01-01 – 2025-06-30, then familjehem from 2025-07-01 (same case), 5 visits → all year
    v4 placed from 2025-04-02: one day short                   → not in the figure
    v5 kontaktfamilj (not a placement) all year                → not in the figure
    v6 placement ended 2026-03-30                              → not in the figure
    """
    def who(p, unit="G3", cw="david"):
        return {"person_key": p, "unit_id": unit, "caseworker_id": cw}

    rows = [
        ("v1s", "m1", "insats_start", "2024-02-01", {**who("v1"), "intervention": "hvb", "legal_basis": "SoL"}),
        *[(f"v1b{i}", "m1", "besok", day, who("v1")) for i, day in
          enumerate(["2025-05-02", "2025-08-02", "2025-11-02", "2026-02-02"])],
        ("v1x", "m1", "besok", "2025-03-31", who("v1")),  # before the year
        ("v2s", "m2", "insats_start", "2024-06-01",
         {**who("v2", "G1", "alice"), "intervention": "familjehem", "legal_basis": "SoL"}),
        *[(f"v2b{i}", "m2", "besok", day, who("v2", "G1", "alice")) for i, day in
          enumerate(["2025-05-02", "2025-09-02", "2026-01-02"])],
        ("v3s", "m3", "insats_start", "2025-01-01",
         {**who("v3"), "intervention": "jourhem", "legal_basis": "SoL", "ref": "j3"}),
        ("v3e", "m3", "insats_slut", "2025-06-30", {**who("v3"), "ref": "j3"}),
        ("v3t", "m3", "insats_start", "2025-07-01",
         {**who("v3"), "intervention": "familjehem", "legal_basis": "SoL", "ref": "f3"}),
        *[(f"v3b{i}", "m3", "besok", day, {**who("v3"), "ref": ref}) for i, (day, ref) in
          enumerate([("2025-04-10", "j3"), ("2025-06-10", "j3"), ("2025-08-10", "f3"), ("2025-10-10", "f3"),
                     ("2026-01-10", "f3")])],
        ("v4s", "m4", "insats_start", "2025-04-02", {**who("v4"), "intervention": "hvb", "legal_basis": "SoL"}),
        ("v5s", "m5", "insats_start", "2024-01-01",
         {**who("v5"), "intervention": "kontaktfamilj", "legal_basis": "SoL"}),
        ("v6s", "m6", "insats_start", "2024-01-01",
         {**who("v6"), "intervention": "hvb", "legal_basis": "SoL", "ref": "h6"}),
        ("v6e", "m6", "insats_slut", "2026-03-30", {**who("v6"), "ref": "h6"}),
    ]
    return events(*rows)


def test_placed_children_with_at_least_four_visits_in_the_year():
    f = compute(placed_children(), Q1, ids=["besok_4_per_ar_andel"])
    # placed all year: v1 (4 visits), v2 (3), v3 (5) → v1 and v3 were visited at least four times
    assert fig(f, "S", "besok_4_per_ar_andel") == (2, 3, pytest.approx(2 / 3))
    assert fig(f, "G3", "besok_4_per_ar_andel") == (2, 2, 1.0)
    assert fig(f, "G1", "besok_4_per_ar_andel") == (0, 1, 0.0)
    assert fig(f, "alice", "besok_4_per_ar_andel", node_type="caseworker") == (0, 1, 0.0)
    listed = kpis.items(placed_children(), NO_OBLIGATIONS, city.ORG_UNITS, city.CASEWORKERS, "besok_4_per_ar_andel",
                        *Q1, part="denominator")
    assert sorted(zip(listed["person_key"], listed["detail"], strict=True)) == [
        ("v1", "4 besök"), ("v2", "3 besök"), ("v3", "5 besök"),
    ]


# ------------------------------------------------------------------ the catalogue


def test_national_definitions_are_recorded_and_unverified_ids_say_so():
    catalogue = kpi_catalogue.load_catalogue()
    national = catalogue["ateraktualiserade_andel"].national
    assert national.source.startswith("Kolada") and national.complement and not national.verified
    assert "13–20 år" in national.differs
    assert catalogue["aktualiseringar_per_1000"].unit == "per_1000"
    assert catalogue["utr_dagar_median"].target == 90.0  # not the legal maximum (see key-figures.md)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"numerator": {"source": "population", "ages": [0, 17], "period_field": "year"}}, "bara vara nämnare"),
        ({"breakdowns": ["gender"]}, "tillåter bara nedbrytningarna kind, source"),
        ({"denominator": {"source": "population", "period_field": "year"}}, "ages krävs"),
        ({"national": {"id": "U1"}}, "'source' \\(text\\) och 'verified'"),
        ({"national": {"source": "Kolada", "verified": False, "url": "x"}}, "okänt fält url"),
    ],
)
def test_a_broken_rate_entry_is_refused(tmp_path, entry, message):
    import yaml

    data = yaml.safe_load(kpi_catalogue.CATALOGUE_PATH.read_text(encoding="utf-8"))
    target = next(k for k in data["kpis"] if k["id"] == "aktualiseringar_per_1000")
    target.update(entry)
    path = tmp_path / "kpis.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(kpi_catalogue.KpiCatalogueError, match=message):
        kpi_catalogue.load_catalogue(path)


def test_age_counts_whole_years_in_every_month():
    """Found with issue 16: month × 100 overflowed Int8 from March on, so an 18-year-old was 17."""
    frame = pl.DataFrame({
        "birth": [dt.date(2008, 1, 1), dt.date(2008, 12, 31), dt.date(2012, 2, 29), dt.date(2012, 2, 29)],
        "day": [dt.date(2026, 3, 10), dt.date(2026, 12, 30), dt.date(2025, 2, 28), dt.date(2025, 3, 1)],
    })
    out = frame.select(kpis._age(pl.col("birth"), pl.col("day")), kpis._age_band(pl.col("birth"), pl.col("day")))
    assert out.rows() == [(18, "18-20"), (17, "13-17"), (12, "6-12"), (13, "13-17")]


def test_kolada_values_are_per_cent_complemented_or_as_is():
    from dataclasses import replace

    from egenkontroll.core import kolada

    catalogue = kpi_catalogue.load_catalogue()
    reentry = catalogue["ateraktualiserade_andel"]
    assert kolada.value(reentry, 0.25) == 75.0  # KKiK: not re-entered
    assert kolada.value(replace(reentry, national=replace(reentry.national, complement=False)), 0.25) == 25.0
    rate = catalogue["aktualiseringar_per_1000"]
    assert kolada.value(rate, 101.3754) == 101.4 and kolada.value(rate, None) is None
    # only figures with an id are written; the rate has a national source but no id
    written = [k.id for k in kolada.national_figures(catalogue)]
    assert "ateraktualiserade_andel" in written and "aktualiseringar_per_1000" not in written
    assert any("U33400: id:t är inte verifierat" in line for line in kolada.warnings(catalogue))
