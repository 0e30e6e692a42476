"""One period's item sources shared by every figure, breakdown and Underlag give what each alone gives.

Why: the pages hand one `kpis.Sources` to every `compute` and `items` of a period (issue 19); a
selection reused across figures must never carry one figure's filtering into another's count.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from egenkontroll.core import kpis
from egenkontroll.core.interchange import read_dataset
from egenkontroll.core.kpi_catalogue import BREAKDOWNS, load_catalogue
from egenkontroll.core.obligations import evaluate
from egenkontroll.core.synth.generate import generate

KEY = b"shared-sources-test-key-0123456789ab"
AS_OF = dt.date(2025, 11, 30)
PERIOD = (dt.date(2024, 12, 1), AS_OF)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict:
    """A generated district with posts and population, read as the importer reads it."""
    out: Path = tmp_path_factory.mktemp("shared") / "small"
    generate("small", 5, out, start=dt.date(2023, 1, 1))
    dataset = read_dataset(out, key=KEY)
    evaluation = evaluate(dataset.events, AS_OF)
    return {
        "events": dataset.events, "obligations": evaluation.obligations, "org_units": dataset.org_units,
        "caseworkers": dataset.caseworkers, "links": evaluation.links, "staffing": dataset.staffing,
        "population": dataset.population,
    }


def _positional(d: dict) -> tuple:
    return d["events"], d["obligations"], d["org_units"], d["caseworkers"]


def _options(d: dict) -> dict:
    return {"links": d["links"], "staffing": d["staffing"], "population": d["population"]}


def test_every_breakdown_and_every_items_list_from_one_sources_equal_their_own(data):
    shared = kpis.sources(*_positional(data), *PERIOD, AS_OF, **_options(data))
    for breakdown in [None, *BREAKDOWNS]:
        alone = kpis.compute(*_positional(data), *PERIOD, AS_OF, breakdown=breakdown, **_options(data))
        reused = kpis.compute(*_positional(data), *PERIOD, AS_OF, breakdown=breakdown, sources=shared)
        assert not alone.is_empty()
        assert reused.equals(alone), breakdown
    listed = 0
    for kpi in load_catalogue().values():
        for part, sel in (("numerator", kpi.numerator), ("denominator", kpi.denominator)):
            if sel is None or sel.source == "population":
                continue
            alone = kpis.items(*_positional(data), kpi.id, *PERIOD, AS_OF, part=part, **_options(data))
            reused = kpis.items(*_positional(data), kpi.id, *PERIOD, AS_OF, part=part, sources=shared)
            assert reused.equals(alone), (kpi.id, part)
            listed += alone.height
    assert listed > 1000  # the district has items to compare, not empty lists


def test_sources_of_another_period_are_refused(data):
    shared = kpis.sources(*_positional(data), *PERIOD, AS_OF, **_options(data))
    with pytest.raises(ValueError, match="annan period"):
        kpis.compute(*_positional(data), PERIOD[0], AS_OF - dt.timedelta(days=1), sources=shared)
    with pytest.raises(ValueError, match="annan period"):
        kpis.items(*_positional(data), "anmalningar", *PERIOD, AS_OF - dt.timedelta(days=1), sources=shared)


def test_a_selection_is_made_once_however_many_figures_count_it(data):
    shared = kpis.sources(*_positional(data), *PERIOD, AS_OF, **_options(data))
    kpis.compute(*_positional(data), *PERIOD, AS_OF, sources=shared)
    selections = {s for k in load_catalogue().values() for s in (k.numerator, k.denominator) if s is not None}
    assert set(shared._chosen) <= selections
    before = {sel: id(frame) for sel, frame in shared._chosen.items()}
    kpis.compute(*_positional(data), *PERIOD, AS_OF, breakdown="gender", sources=shared)
    assert all(id(shared._chosen[sel]) == ident for sel, ident in before.items())
    assert isinstance(shared.chosen(next(iter(before))), pl.DataFrame)


def test_cases_responsible_is_the_latest_naming_event_of_the_whole_event_table(data):
    """`Sources.cases` sorts only the columns it reads (issue 19's scaling curve: sorting all the
    events' columns grew faster than the events); who is responsible must not change with that."""
    src = kpis.Sources(*_positional(data)[:2], data["caseworkers"], *PERIOD, AS_OF, data["links"])
    events = src.events  # every column, as before the narrowing
    expected = (
        events.with_columns(_h=pl.col("event_type") == "handlaggare")
        .sort("case_id", "date", "_h", "event_id")
        .group_by("case_id", maintain_order=True)
        .agg(pl.col(c).drop_nulls().last() for c in ("unit_id", "caseworker_id", "person_key"))
    )
    got = src.cases.select("case_id", "unit_id", "caseworker_id", "person_key").sort("case_id")
    assert got.height == expected.height > 100
    assert got.equals(expected.sort("case_id"))


def test_a_figure_redefined_under_the_same_id_is_counted_anew(data):
    """The counted items are kept per definition, not per id (review of issue 19's second round)."""
    import dataclasses

    catalogue = load_catalogue()
    shared = kpis.sources(*_positional(data), *PERIOD, AS_OF, **_options(data))
    kpis.compute(*_positional(data), *PERIOD, AS_OF, kpi_ids=["anmalningar"], catalogue=catalogue, sources=shared)
    other = next(k for k in catalogue.values() if k.numerator.source == "obligations")
    changed = {**catalogue, "anmalningar": dataclasses.replace(catalogue["anmalningar"], numerator=other.numerator)}
    alone = kpis.compute(*_positional(data), *PERIOD, AS_OF, kpi_ids=["anmalningar"], catalogue=changed, **_options(data))
    reused = kpis.compute(*_positional(data), *PERIOD, AS_OF, kpi_ids=["anmalningar"], catalogue=changed, sources=shared)
    assert reused.equals(alone)


def test_periods_ending_on_one_day_share_it_and_count_as_if_alone(data):
    """The periods a page offers all end on as_of; one `kpis.Day` serves them all (issue 19: the
    events sorted and grouped once, not once per period), with the figures each gives alone."""
    day = kpis.Day(data["events"], data["caseworkers"], AS_OF, links=data["links"])
    periods = [PERIOD, (dt.date(2025, 11, 1), AS_OF), (dt.date(2025, 9, 1), AS_OF), (dt.date(2025, 1, 1), AS_OF)]
    made = []
    for start, end in periods:
        shared = kpis.sources(*_positional(data), start, end, AS_OF, **_options(data), day=day)
        for breakdown in (None, "gender", "age_band"):
            alone = kpis.compute(*_positional(data), start, end, AS_OF, breakdown=breakdown, **_options(data))
            assert kpis.compute(*_positional(data), start, end, AS_OF, breakdown=breakdown, sources=shared).equals(
                alone
            ), (start, breakdown)
        made.append((id(shared.cases), id(shared.persons), id(shared.events)))
    assert len(set(made)) == 1
    with pytest.raises(ValueError, match="annat as_of"):
        kpis.sources(*_positional(data), *PERIOD, AS_OF - dt.timedelta(days=1), **_options(data), day=day)
