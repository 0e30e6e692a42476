"""Key figures (nyckeltal): the catalogue of core/kpi_catalogue.py, computed for every node of the org tree.

Why it exists: the seeds ask for figures that "aggregeras från handläggare till en hel grupp
eller enhet", which managers today count by hand. Each figure is defined once, as data, and this
module is the one place that turns events and obligations into numbers, so the web pages, the
committee report, exports and `egenkontroll kpi` can never disagree.

How (shared/spec/kpis.md is the contract):
1. Every figure's numerator and denominator are *selections* of items (events, obligations,
   open cases, placed children; caseworkers and posts since issue 16). Each item belongs to one
   unit and caseworker: obligations come already attributed (fulfilled → the fulfilling event's;
   open → responsible on `as_of`), events to their own, cases and placements to who is
   responsible on `as_of`, caseworkers and posts to their unit.
2. Items are counted per unit and rolled up the flattened org tree with one group_by per depth,
   so a node's numerator is exactly the sum over its subtree. Medians cannot be summed: they are
   taken per subtree from the item rows joined to all their ancestors.
3. The same items grouped by caseworker give the caseworker rows.
Everything is vectorised over whole tables; nothing loops over cases or events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cached_property

import polars as pl

from egenkontroll.core import calendar, costs, orgtree
from egenkontroll.core.kpi_catalogue import (
    AGE_BANDS,
    BREAKDOWNS,
    DIVIDED_KINDS,
    EVENT_BREAKDOWNS,
    UNKNOWN_AGE,
    Kpi,
    Selection,
    load_catalogue,
)
from egenkontroll.core.linking import Links, link, report_kind
from egenkontroll.core.schema import (
    CASEWORKERS,
    EVENTS,
    GENDERS,
    OBLIGATIONS,
    ORG_UNITS,
    PLACEMENTS,
    POPULATION,
    STAFFING,
    conform,
    empty,
)
from egenkontroll.core.schema import SOURCES as REPORT_SOURCES

# Turnover compares the staff of as_of with those of this many months before (source staff).
TURNOVER_MONTHS = 12

# A key figure attributed to a unit missing from org_units lands here, under the root, so
# that nothing is silently dropped and the root still equals the sum of its children.
UNKNOWN_UNIT = "_okand_enhet"
UNKNOWN_UNIT_NAME = "Okänd enhet"
CASEWORKER_LEVEL = "handlaggare"

# Decisions in the sense of the open-case rule: a case whose latest one of these is a
# förhandsbedömning "ej_inleda" (and nothing is still open) counts as closed.
DECISIONS = (
    "forhandsbedomning", "utredning_inledd", "utredning_forlangd", "utredning_avslutad", "insats_start",
    "insats_slut",
)


# ---------------------------------------------------------------- the item tables


class Day:
    """What the figures of every period ending on one as_of share: the events known then, linked,
    and each case's and each person's state on that day.

    Why apart from `Sources`: a page's periods (the default, the last month, quarter and year to
    date) all end on the same day, and the warm-up after an import computes each of them; every
    `Sources` made with the same `Day` sorts and groups the events once, not once per period.
    """

    def __init__(self, events, caseworkers, as_of, links=None):
        self.as_of = as_of
        self._events, self._caseworkers, self._links = events, caseworkers, links

    @cached_property
    def links(self) -> Links:
        """Reports, investigations and insatser linked exactly as the obligations engine does."""
        if self._links is not None:
            return self._links
        return link(conform(self._events, EVENTS).filter(pl.col("date") <= self.as_of).rechunk())

    @cached_property
    def events(self) -> pl.DataFrame:
        """The linked events known on as_of (later ones are ignored, as in rules.md)."""
        events = conform(self.links.events, EVENTS)
        latest = events["date"].max()
        # the engine's links are cut at as_of already: no filtered copy of every event then
        return events if latest is None or latest <= self.as_of else events.filter(pl.col("date") <= self.as_of)

    @cached_property
    def persons(self) -> pl.DataFrame:
        """Per person: gender, birth date and whether any event marks the child unaccompanied."""
        return (
            self.events.filter(pl.col("person_key").is_not_null())
            .sort("date", "event_id")
            .group_by("person_key")
            .agg(
                pl.col("gender").drop_nulls().last(),
                pl.col("birth_date").drop_nulls().last(),
                pl.col("unaccompanied").fill_null(False).any(),
            )
        )

    @cached_property
    def cases(self) -> pl.DataFrame:
        """Per case on as_of: who is responsible, whether it is open, whether a child is placed.

        Responsible = the latest event naming a unit / caseworker (a `handlaggare` event last
        on its day), the same order the obligations engine attributes open obligations by.
        """
        et = pl.col("event_type")
        # Only the columns read below are sorted: a sort gathers every column it carries, and the
        # events' other eleven (text mostly) made this the one step of the key figures that grew
        # faster than the events (issue 19's scaling curve, national → twice national).
        ordered = (
            self.events.select("case_id", "date", "event_id", "event_type", "outcome", "unit_id", "caseworker_id",
                               "person_key")
            .with_columns(_h=et == "handlaggare")
            .sort("case_id", "date", "_h", "event_id")
        )
        ej_inleda = (et == "forhandsbedomning") & (pl.col("outcome") == "ej_inleda").fill_null(False)
        state = ordered.group_by("case_id", maintain_order=True).agg(
            pl.col("unit_id").drop_nulls().last(),
            pl.col("caseworker_id").drop_nulls().last(),
            pl.col("person_key").drop_nulls().last(),
            (et == "arende_avslutat").any().alias("closed"),
            ej_inleda.filter(et.is_in(DECISIONS)).last().alias("last_decision_ej_inleda"),
        )
        investigating = (
            self.links.investigations.filter(pl.col("concluded").is_null())
            .select("case_id", pl.lit(True).alias("investigating"))
            .unique("case_id")
        )
        placement = pl.col("intervention").is_in(PLACEMENTS)
        insatser = (
            self.links.placements.filter(pl.col("end").is_null())
            .group_by("case_id")
            .agg(
                pl.lit(True).alias("insats_open"),
                placement.any().alias("placement_open"),
                pl.col("start").filter(placement).max().alias("last_placement_start"),
            )
        )
        state = state.join(investigating, on="case_id", how="left").join(insatser, on="case_id", how="left")
        nothing_open = ~pl.col("investigating").fill_null(False) & ~pl.col("insats_open").fill_null(False)
        dismissed = pl.col("last_decision_ej_inleda").fill_null(False) & nothing_open
        # Latest placement first, so a child placed in two cases counts with the newest one.
        return (
            state.with_columns(open=~pl.col("closed") & ~dismissed)
            .with_columns(placed=pl.col("open") & pl.col("placement_open").fill_null(False))
            .select("case_id", "unit_id", "caseworker_id", "person_key", "open", "placed", "last_placement_start")
            .sort(["last_placement_start", "case_id"], descending=[True, False], nulls_last=True)
        )

    @cached_property
    def closings(self) -> pl.DataFrame:
        """A child's case or investigation closed without insats (the återaktualisering figures),
        in order of date: the events every period's closures are chosen from."""
        et = pl.col("event_type")
        closing = (et == "arende_avslutat") | ((et == "utredning_avslutad") & (pl.col("outcome") == "ingen_insats"))
        return self.events.filter(closing.fill_null(False) & pl.col("person_key").is_not_null()).sort("date", "event_id")

    @cached_property
    def reports(self) -> pl.DataFrame:
        """person_key, report_date of every anmälan: what a closed child may come back with."""
        return self.events.filter(pl.col("event_type") == "anmalan").select(
            "person_key", pl.col("date").alias("report_date")
        )

    @cached_property
    def caseworker_home(self) -> pl.DataFrame:
        """caseworker_id → the unit they belong to on as_of (else their latest row in caseworkers)."""
        cw = conform(self._caseworkers, CASEWORKERS)
        active = (pl.col("start_date").is_null() | (pl.col("start_date") <= self.as_of)) & (
            pl.col("end_date").is_null() | (pl.col("end_date") >= self.as_of)
        )
        return (
            cw.filter(pl.col("caseworker_id").is_not_null())
            .with_columns(_active=active)
            .sort(["_active", "start_date"], descending=True, nulls_last=True)
            .unique("caseworker_id", keep="first", maintain_order=True)
            .select("caseworker_id", pl.col("unit_id").alias("home_unit_id"), "name")
        )


class Sources:
    """The item sources of one period and as_of, each built once and only when a figure needs it.

    Why public: the figures of one period are asked for again and again (a breakdown, an Underlag,
    the next figure's items), and each selection is the same every time. `sources()` makes one,
    and `compute` and `items` given it reuse what it has already selected (issue 19: the
    pages' data after an import and a period nobody asked for before cost a third as much).
    """

    def __init__(
        self, events, obligations, caseworkers, period_from, period_to, as_of, links,
        staffing=None, prices=None, population=None, flat=None, day=None,
    ):
        if day is not None and day.as_of != as_of:
            raise ValueError("dagen gäller ett annat as_of än perioden")
        self.period = (period_from, period_to)
        self.as_of = as_of
        self.day = day if day is not None else Day(events, caseworkers, as_of, links)
        self._obligations, self._caseworkers = obligations, caseworkers
        self._staffing = staffing
        self._prices = prices
        self._population = population
        self._flat = flat  # the flattened org tree (orgtree.flatten): which areas lie inside which
        self._chosen: dict[Selection, pl.DataFrame] = {}  # each selection once (see `Sources`)
        self._counted: dict[tuple[Kpi, str], pl.DataFrame] = {}  # by the definition, not only its id

    links = property(lambda self: self.day.links)
    events = property(lambda self: self.day.events)
    persons = property(lambda self: self.day.persons)
    cases = property(lambda self: self.day.cases)
    caseworker_home = property(lambda self: self.day.caseworker_home)

    @cached_property
    def obligations(self) -> pl.DataFrame:
        return conform(self._obligations, OBLIGATIONS)

    def chosen(self, sel: Selection) -> pl.DataFrame:
        """Every item of one selection, attributed, in the engine's order: ITEM_COLUMNS, ref_date, distinct_key.

        The one place a selection of kpis.yaml is applied: `compute` counts these rows and
        `items` lists them. Made once per selection (many figures share one).
        """
        found = self._chosen.get(sel)
        if found is None:
            found = self._chosen[sel] = self._choose(sel)
        return found

    def counted(self, kpi: Kpi, part: str) -> pl.DataFrame:
        """One figure's numerator (`num`) or denominator (`den`) items as `compute` counts them (_COUNTED)."""
        key = (kpi, part)
        found = self._counted.get(key)
        if found is None:
            sel = kpi.numerator if part == "num" else kpi.denominator
            amount = pl.col({"dygn": "days", "kronor": "kronor"}[sel.sum]) if sel.sum else pl.lit(None)
            found = self._counted[key] = self.rate_items(kpi, part, self.select(sel)).with_columns(
                kpi=pl.lit(kpi.id), part=pl.lit(part), amount=amount.cast(pl.Int64)
            )
        return found

    def _choose(self, sel: Selection) -> pl.DataFrame:
        frame = {
            "events": self._from_events,
            "obligations": self._from_obligations,
            "open_cases": self._from_cases,
            "placements": self._from_cases,
            "staff": self._from_staff,
            "posts": self._from_posts,
            "placement_days": self._from_placement_days,
            "population": self._from_population,
            "closures": self._from_closures,
            "placed_year": self._from_placed_year,
        }[sel.source](sel)
        if "every_category" not in frame.columns:
            frame = frame.with_columns(weight=pl.col("weight").fill_null(1), every_category=pl.lit(False))
        if sel.unassigned:
            frame = self._only_unassigned(frame)
        if sel.has_caseworker:
            frame = frame.filter(pl.col("caseworker_id").is_not_null())
        if sel.attribute_to == "caseworker_unit":
            frame = self._to_caseworker_unit(frame)
        key = {"person": "person_key", "caseworker": "caseworker_id", None: None}[sel.distinct]
        return frame.with_columns((pl.col(key) if key else pl.lit(None)).cast(pl.Utf8).alias("distinct_key"))

    def select(self, sel: Selection) -> pl.DataFrame:
        """Items of one selection as counted: unit_id, caseworker_id, person_key, ref_date, days, distinct_key."""
        return self.chosen(sel).select(
            "unit_id", "caseworker_id", "person_key", "ref_date", "days", "kronor", "distinct_key",
            *_EVENT_CATEGORY_COLUMNS, "weight", "every_category",
        )

    def _in_period(self, column: str) -> pl.Expr:
        return pl.col(column).is_between(*self.period, closed="both")

    def _from_events(self, sel: Selection) -> pl.DataFrame:
        cond = pl.col("event_type").is_in(sel.event_type) & self._in_period("date")
        if sel.outcome:
            cond &= pl.col("outcome").is_in(sel.outcome)
        if sel.kind:
            cond &= report_kind().is_in(sel.kind)
        if sel.ages:
            cond &= _age(pl.col("birth_date"), pl.col("date")).is_between(*sel.ages)
        return _as_items(
            self.events.filter(cond), pl.col("date"),
            event_id=pl.col("event_id"), date=pl.col("date"), what=pl.col("event_type"), detail=pl.col("outcome"),
            report_kind=pl.when(pl.col("event_type") == "anmalan").then(report_kind()),
            report_source=pl.col("source"),
        )

    @cached_property
    def _rows_by_rule(self) -> dict[str, pl.Series]:
        """Where each rule's obligations lie in the table: row numbers, found in one pass.

        Why: about ten selections read obligations, each of one or a few rules; comparing every
        row's rule for each of them was the largest share of a period's figures (issue 19).
        Row numbers, not split copies: at national scale a copy of the table is 600 MB more."""
        found = self.obligations.select("rule").with_row_index("_at").group_by("rule").agg(pl.col("_at").sort())
        return dict(zip(found["rule"], found["_at"], strict=True))

    def _of_rules(self, rules: tuple[str, ...]) -> pl.DataFrame:
        """The obligations of `rules`, in the order of the whole table."""
        at = [self._rows_by_rule[r] for r in dict.fromkeys(rules) if r in self._rows_by_rule]
        if not at:
            return self.obligations.clear()
        rows = at[0] if len(at) == 1 else pl.concat(at).sort()
        return self.obligations[rows]

    def _from_obligations(self, sel: Selection) -> pl.DataFrame:
        cond = pl.lit(True)
        if sel.status:
            cond &= pl.col("status").is_in(sel.status)
        if sel.period_field != "as_of":
            cond &= self._in_period(sel.period_field)
        if sel.extended is not None:
            cond &= pl.col("extended").fill_null(False) == sel.extended
        ob = self._of_rules(tuple(sel.rule)).filter(cond)
        if sel.limit_months is not None:
            limit = calendar.next_working_day(calendar.add_months(ob["trigger_date"], sel.limit_months))
            within = pl.col("fulfilled_date") <= pl.Series(limit, dtype=pl.Date)
            ob = ob.filter(within if sel.limit_compare == "within" else ~within)
        days = (pl.col(sel.days[1]) - pl.col(sel.days[0])).dt.total_days() if sel.days else pl.lit(None)
        ref_date = pl.lit(self.as_of) if sel.period_field == "as_of" else pl.col(sel.period_field)
        return _as_items(
            ob, ref_date,
            event_id=pl.col("trigger_event_id"), date=pl.col("trigger_date"), what=pl.col("rule"),
            due_date=pl.col("due_date"), fulfilled_date=pl.col("fulfilled_date"), status=pl.col("status"), days=days,
        )

    def _from_cases(self, sel: Selection) -> pl.DataFrame:
        """Open cases or placed children on as_of, latest placement first (see `cases`)."""
        flag = "open" if sel.source == "open_cases" else "placed"
        return _as_items(
            self.cases.filter(pl.col(flag)), pl.lit(self.as_of),
            date=pl.lit(self.as_of), what=pl.lit("oppet_arende" if flag == "open" else "placerad"),
        )

    def _from_placement_days(self, sel: Selection) -> pl.DataFrame:
        """Each placement with a dygn in the period (up to as_of): its dygn there and their cost.

        A placement from day S to its insats_slut on day E is in care the dygn S … E − 1 (the day
        it starts counts, the day it ends does not); one still open on as_of through the period's
        last day (as_of, if earlier). Cost = dygn × the price of its type and regi
        (core.costs), rounded to whole kronor. Attributed like placerade_barn: to who is
        responsible for the case on as_of.
        """
        first, last = self.period[0], min(self.period[1], self.as_of)
        start = pl.max_horizontal(pl.col("start"), pl.lit(first))
        stop = pl.min_horizontal(pl.col("end").dt.offset_by("-1d").fill_null(pl.lit(last)), pl.lit(last))
        prices = (self._prices or costs.load_prices()).table()
        placed = (
            self.links.placements.filter(pl.col("intervention").is_in(PLACEMENTS))
            .with_columns(dygn=(stop - start).dt.total_days() + 1)
            .filter(pl.col("dygn") > 0)
            .join(self.events.select(pl.col("event_id").alias("start_id"), "regi"), on="start_id", how="left")
            .join(prices, on=["intervention", "regi"], how="left", nulls_equal=True)
            .join(self.cases.select("case_id", "unit_id", "caseworker_id", "person_key"), on="case_id", how="left")
        )
        return _as_items(
            placed, pl.col("start"),
            event_id=pl.col("start_id"), date=pl.col("start"), what=pl.col("intervention"), detail=pl.col("regi"),
            days=pl.col("dygn"), kronor=(pl.col("dygn") * pl.col("price")).round(0),
            placement_type=pl.col("intervention"), placement_regi=pl.col("regi"),
        )

    @cached_property
    def population_areas(self) -> pl.DataFrame:
        """unit_id, year: the areas whose population the per-1,000 figures divide by, and its year.

        The year is that of the period's last day; an area without figures for that year
        counts with its latest earlier year (population is published months after the year).
        Where an area and one inside it both have figures (loaded in different years: the
        import refuses both in one year), the newer year is used and the other area left out,
        so that no child is counted twice up the tree; on the same year the outer area wins.
        """
        pop = conform(self._population if self._population is not None else empty(POPULATION), POPULATION)
        areas = pop.filter(pl.col("year") <= self.period[1].year).group_by("unit_id").agg(pl.col("year").max())
        if areas.height < 2 or self._flat is None:
            return areas
        nested = (
            orgtree.closure(self._flat)
            .filter(pl.col("ancestor_id") != pl.col("unit_id"))
            .join(areas, on="unit_id", how="inner")
            .join(areas.rename({"unit_id": "ancestor_id", "year": "outer_year"}), on="ancestor_id", how="inner")
        )
        left_out = pl.concat([
            nested.filter(pl.col("outer_year") >= pl.col("year")).select("unit_id"),
            nested.filter(pl.col("outer_year") < pl.col("year")).select(pl.col("ancestor_id").alias("unit_id")),
        ])
        return areas.join(left_out, on="unit_id", how="anti")

    @cached_property
    def population_covered(self) -> pl.Series:
        """Units inside an area with population (the area's own unit and all below it).

        A per-1,000 figure counts only the items of these units: a district without
        population rows must not add its reports to its parent's rate over the others' children.
        """
        areas = self.population_areas["unit_id"]
        if self._flat is None:
            return areas
        closure = orgtree.closure(self._flat)
        return closure.filter(pl.col("ancestor_id").is_in(areas.implode()))["unit_id"].unique()

    def _from_population(self, sel: Selection) -> pl.DataFrame:
        """The children of `sel.ages` living in each area: one row per population row, `weight` = how many."""
        pop = conform(self._population if self._population is not None else empty(POPULATION), POPULATION)
        rows = pop.join(self.population_areas, on=["unit_id", "year"], how="inner").filter(
            (pl.col("age_from") >= sel.ages[0]) & (pl.col("age_to") <= sel.ages[1])
        )
        return _as_items(
            rows.with_columns(caseworker_id=pl.lit(None, pl.Utf8), person_key=pl.lit(None, pl.Utf8), case_id=pl.lit(None)),
            pl.date(pl.col("year"), 12, 31),
            date=pl.date(pl.col("year"), 12, 31), what=pl.lit("befolkning"),
            detail=pl.format("{}–{} år", "age_from", "age_to"),
        ).with_columns(weight=rows["count"].cast(pl.Int64), every_category=pl.lit(True))

    def rate_items(self, kpi: Kpi, part: str, frame: pl.DataFrame) -> pl.DataFrame:
        """A per-1,000 figure's numerator keeps only the items inside an area with population.

        Without any population there is no rate, and the numerator stays the plain count.
        """
        if part != "num" or kpi.denominator is None or kpi.denominator.source != "population":
            return frame
        if self.population_areas.is_empty():
            return frame
        return frame.filter(pl.col("unit_id").is_in(self.population_covered.implode()))

    def _from_closures(self, sel: Selection) -> pl.DataFrame:
        """Children whose case or investigation closed, followed `sel.months` months: the
        follow-up ends in the period. One item per child (the first such closure), counted where
        it was closed; with `reentered`, only children with (or without) a new aktualisering
        after the closure and on or before the end of the follow-up."""
        et = pl.col("event_type")
        end = pl.col("date").dt.offset_by(f"{sel.months}mo")
        closures = (
            self.day.closings.with_columns(follow_up_end=end)
            .filter(self._in_period("follow_up_end"))
            .unique("person_key", keep="first", maintain_order=True)
        )
        reports = self.day.reports
        first_report = (
            closures.select("event_id", "person_key", "date", "follow_up_end")
            .join(reports, on="person_key", how="inner")
            .filter((pl.col("report_date") > pl.col("date")) & (pl.col("report_date") <= pl.col("follow_up_end")))
            .group_by("event_id")
            .agg(pl.col("report_date").min())
        )
        closures = closures.join(first_report, on="event_id", how="left")
        if sel.reentered is not None:
            closures = closures.filter(pl.col("report_date").is_not_null() == sel.reentered)
        return _as_items(
            closures, pl.col("date"),
            event_id=pl.col("event_id"), date=pl.col("date"), what=et, detail=pl.col("outcome"),
            due_date=pl.col("follow_up_end"), fulfilled_date=pl.col("report_date"),
        )

    def _from_placed_year(self, sel: Selection) -> pl.DataFrame:
        """Children placed on every day of the `sel.months` months up to the period's last day
        (one placement or several after each other), with their visits (`besok`) in that year;
        with `visits_at_least`, only those visited at least that often. Counted with who is
        responsible for the child's latest placed case on as_of (a child placed in two cases once)."""
        year_end = self.period[1]
        year_start = (pl.lit(year_end).dt.offset_by(f"-{sel.months}mo") + pl.duration(days=1))
        first = year_start.alias("first")
        cases = self.cases.select("case_id", "person_key")
        placed = (
            self.links.placements.filter(pl.col("intervention").is_in(PLACEMENTS))
            .join(cases, on="case_id", how="inner")
            .filter(pl.col("person_key").is_not_null())
            .with_columns(first, last=pl.lit(year_end))
            .with_columns(
                overlap=(
                    pl.min_horizontal(pl.col("end").fill_null(pl.col("last")), pl.col("last"))
                    - pl.max_horizontal("start", "first")
                ).dt.total_days() + 1
            )
            .filter(pl.col("overlap") > 0)
            .group_by("person_key", maintain_order=True)  # one order every time: the Underlag's rows
            .agg(pl.col("overlap").sum(), pl.col("first").first(), pl.col("last").first())
            .filter(pl.col("overlap") >= (pl.col("last") - pl.col("first")).dt.total_days() + 1)
        )
        visits = (
            self.events.filter((pl.col("event_type") == "besok") & pl.col("date").is_between(year_start, year_end))
            .group_by("person_key")
            .agg(pl.len().alias("visits"))
        )
        children = placed.join(visits, on="person_key", how="left").with_columns(pl.col("visits").fill_null(0))
        if sel.visits_at_least is not None:
            children = children.filter(pl.col("visits") >= sel.visits_at_least)
        # the child's latest placed case (self.cases: latest placement first), else any case of theirs
        owner = self.cases.unique("person_key", keep="first", maintain_order=True)
        rows = children.join(owner, on="person_key", how="left")
        return _as_items(
            rows, pl.lit(self.as_of),
            date=pl.col("first"), what=pl.lit("placerad_hela_aret"), detail=pl.format("{} besök", "visits"),
            due_date=pl.col("last"),
        )

    def _to_caseworker_unit(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Attribute to the caseworker's own unit; one not in caseworkers.csv to one of their cases' units."""
        home = self.caseworker_home.select("caseworker_id", "home_unit_id")
        return (
            frame.join(home, on="caseworker_id", how="left")
            .with_columns(
                unit_id=pl.coalesce("home_unit_id", pl.col("unit_id").min().over("caseworker_id"))
            )
            .drop("home_unit_id")
        )

    # -------------------------------------------------------- staffing (issue 16)

    @cached_property
    def staff_rows(self) -> pl.DataFrame:
        """caseworkers.csv rows with a caseworker and a unit (one per caseworker, unit and period)."""
        return conform(self._caseworkers, CASEWORKERS).filter(
            pl.col("caseworker_id").is_not_null() & pl.col("unit_id").is_not_null()
        )

    def _employed_on(self, day: dt.date) -> pl.DataFrame:
        """(caseworker_id, unit_id) pairs employed in the unit on `day`, each once, with that row's dates."""
        on = (pl.col("start_date").is_null() | (pl.col("start_date") <= day)) & (
            pl.col("end_date").is_null() | (pl.col("end_date") >= day)
        )
        return (
            self.staff_rows.filter(on)
            .sort(["caseworker_id", "unit_id", "start_date"], nulls_last=True)
            .unique(["caseworker_id", "unit_id"], keep="last", maintain_order=True)
        )

    @property
    def year_before(self) -> dt.date:
        """as_of TURNOVER_MONTHS months earlier (29 February → 28 February): the turnover cohort's day."""
        return calendar.add_months([self.as_of], -TURNOVER_MONTHS)[0].astype(dt.date)

    def _from_staff(self, sel: Selection) -> pl.DataFrame:
        """Caseworkers in a unit: employed on as_of, the cohort of a year before, or its leavers.

        A leaver is a cohort member no longer employed in *that unit* on as_of: one who moved to
        another group has left the group (and counts in every sum above it, as SCB counts a
        change of post within the municipality). Their date is the end of their cohort row.
        """
        if sel.staff == "employed":
            rows, when = self._employed_on(self.as_of), pl.col("start_date")
        else:
            rows, when = self._employed_on(self.year_before), pl.col("end_date")
            if sel.staff == "left":
                still = self._employed_on(self.as_of).select("caseworker_id", "unit_id")
                rows = rows.join(still, on=["caseworker_id", "unit_id"], how="anti", maintain_order="left")
            else:
                when = pl.col("start_date")
        if sel.employment:
            rows = rows.filter(pl.col("employment").is_in(sel.employment))
        return _as_items(
            rows.with_columns(case_id=pl.lit(None, pl.Utf8), person_key=pl.lit(None, pl.Utf8)), pl.lit(self.as_of),
            date=when, what=pl.lit(f"personal_{sel.staff}"), detail=pl.col("employment"),
        )

    @cached_property
    def posts(self) -> pl.DataFrame:
        """Per unit: posts on as_of (staffing.csv) and the employees (not consultants) who fill them."""
        staffing = conform(self._staffing if self._staffing is not None else pl.DataFrame(), STAFFING)
        on = (pl.col("start_date").is_null() | (pl.col("start_date") <= self.as_of)) & (
            pl.col("end_date").is_null() | (pl.col("end_date") >= self.as_of)
        )
        posts = staffing.filter(on & pl.col("unit_id").is_not_null()).group_by("unit_id").agg(pl.col("posts").sum())
        filled = (
            self._employed_on(self.as_of)
            .filter(pl.col("employment").fill_null("") != "konsult")
            .group_by("unit_id")
            .agg(pl.len().cast(pl.Int64).alias("filled"))
        )
        return posts.join(filled, on="unit_id", how="left").with_columns(pl.col("filled").fill_null(0)).sort("unit_id")

    def _from_posts(self, sel: Selection) -> pl.DataFrame:
        """A unit's posts on as_of, or its vacant posts (beyond its employees): one row, `weight` = how many.

        One row per unit, not per post: staffing.csv may give up to MAX_POSTS posts on a row,
        and a row per post would let a hostile file fill the memory (review finding 9).
        """
        count = (pl.col("posts") - pl.col("filled")).clip(lower_bound=0) if sel.vacant else pl.col("posts")
        rows = self.posts.with_columns(_n=count.clip(lower_bound=0).cast(pl.Int64)).filter(pl.col("_n") > 0)
        return _as_items(
            rows.with_columns(
                case_id=pl.lit(None, pl.Utf8), caseworker_id=pl.lit(None, pl.Utf8), person_key=pl.lit(None, pl.Utf8)
            ),
            pl.lit(self.as_of),
            date=pl.lit(self.as_of), what=pl.lit("vakant_tjanst" if sel.vacant else "tjanst"), weight=pl.col("_n"),
        )

    @cached_property
    def unassigned(self) -> pl.DataFrame:
        """Cases without a working caseworker on as_of, and since when (case_id, unassigned_since).

        Without = no event on or before as_of names a caseworker (since the case's first event),
        or the one last named is employed nowhere on as_of by caseworkers.csv (since the day
        after their employment ended). A caseworker missing from caseworkers.csv counts as working.
        """
        first = self.events.group_by("case_id").agg(pl.col("date").min().alias("first_date"))
        cw = self.staff_rows
        working = self._employed_on(self.as_of).select("caseworker_id").unique()
        # Not working on as_of: since the day after their last employment ended before it (none
        # ended yet, as for one hired later: since the case's first event).
        gone = (
            cw.filter(~pl.col("caseworker_id").is_in(working["caseworker_id"].implode()))
            .group_by("caseworker_id")
            .agg(
                pl.lit(True).alias("gone"),
                (pl.col("end_date").filter(pl.col("end_date") < self.as_of).max() + pl.duration(days=1)).alias("ended"),
            )
        )
        return (
            self.cases.select("case_id", "caseworker_id")
            .join(first, on="case_id", how="left")
            .join(gone, on="caseworker_id", how="left")
            .filter(pl.col("caseworker_id").is_null() | pl.col("gone").fill_null(False))
            .select("case_id", unassigned_since=pl.max_horizontal("ended", "first_date"))
        )

    def _only_unassigned(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Case items without a working caseworker on as_of, `days` = calendar days since they have been."""
        return frame.join(self.unassigned, on="case_id", how="inner", maintain_order="left").with_columns(
            days=(pl.lit(self.as_of) - pl.col("unassigned_since")).dt.total_days()
        ).drop("unassigned_since")


# The columns of `items`: one counted item each. `event_id` is the counted event, or the event
# that triggered the obligation; `date` the event's date, the obligation's trigger date or as_of.
ITEM_COLUMNS = {
    "case_id": pl.Utf8,
    "event_id": pl.Utf8,
    "date": pl.Date,
    "what": pl.Utf8,
    "detail": pl.Utf8,
    "due_date": pl.Date,
    "fulfilled_date": pl.Date,
    "status": pl.Utf8,
    "days": pl.Int64,
    "unit_id": pl.Utf8,
    "caseworker_id": pl.Utf8,
    "person_key": pl.Utf8,
    "kronor": pl.Int64,  # placement_days: what the item's dygn cost (issue 16)
    "weight": pl.Int64,  # how many the row stands for: 1, or a unit's posts (the figure sums this)
}
_OWNER_COLUMNS = ("case_id", "unit_id", "caseworker_id", "person_key")


def _as_items(frame: pl.DataFrame, ref_date: pl.Expr, **given: pl.Expr) -> pl.DataFrame:
    """`frame` as item rows (ITEM_COLUMNS and ref_date): the given columns, its owners, nulls for the rest."""
    def column(name: str) -> pl.Expr:
        if name in given:
            return given[name]
        return pl.col(name) if name in _OWNER_COLUMNS else pl.lit(None)

    return frame.select(
        *(column(c).cast(t).alias(c) for c, t in ITEM_COLUMNS.items()), ref_date.cast(pl.Date).alias("ref_date"),
        *(given.get(c, pl.lit(None)).cast(pl.Utf8).alias(c) for c in _EVENT_CATEGORY_COLUMNS),
    )


# The counted event's kind and source (events only), and the counted placement's type and regi
# (placement_days), for the breakdowns in EVENT_BREAKDOWNS.
_EVENT_CATEGORY_COLUMNS = ("report_kind", "report_source", "placement_type", "placement_regi")


_COUNTED = {
    "unit_id": pl.Utf8,
    "caseworker_id": pl.Utf8,
    "person_key": pl.Utf8,
    "ref_date": pl.Date,
    "days": pl.Int64,
    "kronor": pl.Int64,
    "distinct_key": pl.Utf8,
    "report_kind": pl.Utf8,
    "report_source": pl.Utf8,
    "placement_type": pl.Utf8,
    "placement_regi": pl.Utf8,
    "weight": pl.Int64,  # how many the row stands for: 1, or the children of a population row
    "every_category": pl.Boolean,  # a population row: the denominator of every kind/source category
    "kpi": pl.Utf8,
    "part": pl.Utf8,
    "amount": pl.Int64,
}


def _items(kpis: list[Kpi], src: Sources) -> pl.DataFrame:
    """One row per counted item: which figure, numerator or denominator, and whose it is."""
    parts = [pl.DataFrame(schema=_COUNTED)]
    for kpi in kpis:
        parts += [src.counted(kpi, part) for part, sel in (("num", kpi.numerator), ("den", kpi.denominator)) if sel]
    return pl.concat(parts, how="vertical")


def _category(breakdown: str | None, src: Sources, items: pl.DataFrame) -> pl.DataFrame:
    """Adds `category`: the item's breakdown value (null when no breakdown is asked for)."""
    if breakdown in EVENT_BREAKDOWNS:
        # a population row is the denominator of each category (aktualiseringar of that kind per 1,000)
        every = items.filter(pl.col("every_category"))
        if not every.is_empty():
            spread = every.join(pl.DataFrame({"_cat": list(BREAKDOWNS[breakdown])}), how="cross")
            spread = spread.with_columns(
                report_kind=pl.col("_cat"), report_source=pl.col("_cat")
            ).drop("_cat")
            items = pl.concat([items.filter(~pl.col("every_category")), spread])
    if breakdown is None:
        return items.with_columns(category=pl.lit(None, dtype=pl.Utf8)).drop(*_EVENT_CATEGORY_COLUMNS)
    if breakdown == "kind":
        return items.with_columns(category=pl.col("report_kind")).drop(*_EVENT_CATEGORY_COLUMNS)
    if breakdown == "source":
        known = pl.col("report_source").is_in(REPORT_SOURCES)
        category = pl.when(known).then(pl.col("report_source")).otherwise(pl.lit("okand"))
        return items.with_columns(category=category).drop(*_EVENT_CATEGORY_COLUMNS)
    if breakdown == "placement_type":
        return items.with_columns(category=pl.col("placement_type")).drop(*_EVENT_CATEGORY_COLUMNS)
    if breakdown == "regi":
        category = pl.col("placement_regi").fill_null(pl.lit("okand"))
        return items.with_columns(category=category).drop(*_EVENT_CATEGORY_COLUMNS)
    items = items.join(src.persons, on="person_key", how="left", maintain_order="left")
    if breakdown == "gender":
        category = pl.when(pl.col("gender").is_in(GENDERS)).then("gender").otherwise(pl.lit("U"))
    elif breakdown == "unaccompanied":
        category = pl.when(pl.col("unaccompanied").fill_null(False)).then(pl.lit("ja")).otherwise(pl.lit("nej"))
    else:
        category = _age_band(pl.col("birth_date"), pl.col("ref_date"))
    return items.with_columns(category=category.cast(pl.Utf8)).drop(
        "gender", "birth_date", "unaccompanied", *_EVENT_CATEGORY_COLUMNS
    )


def _age(birth: pl.Expr, day: pl.Expr) -> pl.Expr:
    """Age in whole years on `day` (null where the birth date is unknown)."""
    # month() and day() are Int8: widen before × 100, or March (300) wraps round
    before_birthday = (day.dt.month().cast(pl.Int32) * 100 + day.dt.day()) < (
        birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day()
    )
    return day.dt.year().cast(pl.Int32) - birth.dt.year().cast(pl.Int32) - before_birthday.cast(pl.Int32)


def _age_band(birth: pl.Expr, day: pl.Expr) -> pl.Expr:
    """Age in whole years on `day`, banded; unknown birth date or an age outside 0–20 → okand."""
    age = _age(birth, day)
    expr = pl.when(age.is_between(*AGE_BANDS[0][1:])).then(pl.lit(AGE_BANDS[0][0]))
    for band, low, high in AGE_BANDS[1:]:
        expr = expr.when(age.is_between(low, high)).then(pl.lit(band))
    return expr.otherwise(pl.lit(UNKNOWN_AGE))


def _distinct(items: pl.DataFrame) -> pl.DataFrame:
    """Keeps the first item of each distinct person / caseworker (per figure, part and category)."""
    keyed = pl.col("distinct_key").is_not_null()
    once = items.filter(keyed).unique(["kpi", "part", "distinct_key", "category"], keep="first", maintain_order=True)
    return pl.concat([items.filter(~keyed), once])


# ---------------------------------------------------------------- roll-up


def _unit_figures(items: pl.DataFrame, flat: pl.DataFrame, median_ids: list[str], sum_ids: list[str]) -> pl.DataFrame:
    """Subtree numerators and denominators for every unit, one group_by per depth of the tree.

    Medians and the children behind a sum (`persons`) do not add up the tree: they are taken over
    each unit's whole subtree (the closure).
    """
    keys = ["kpi", "category"]
    per_unit = items.group_by(["unit_id", *keys]).agg(
        pl.col("weight").filter(pl.col("part") == "num").sum().alias("numerator"),
        pl.col("weight").filter(pl.col("part") == "den").sum().alias("denominator"),
        _numerator_total(),
    )
    anc = orgtree.depth_columns(flat)
    joined = per_unit.join(flat.select("unit_id", *anc), on="unit_id", how="inner")
    sums = pl.concat(
        [
            joined.filter(pl.col(col).is_not_null())
            .group_by([col, *keys])
            .agg(pl.col("numerator").sum(), pl.col("denominator").sum(), pl.col("total").sum())
            .rename({col: "node_id"})
            for col in anc
        ]
    )
    closure = orgtree.closure(flat)
    medians = (
        items.filter(pl.col("kpi").is_in(median_ids) & (pl.col("part") == "num"))
        .join(closure, on="unit_id", how="inner")
        .group_by(["ancestor_id", *keys])
        .agg(pl.col("days").median().alias("median"))
        .rename({"ancestor_id": "node_id"})
    )
    persons = (
        items.filter(pl.col("kpi").is_in(sum_ids) & (pl.col("part") == "num"))
        .join(closure, on="unit_id", how="inner")
        .group_by(["ancestor_id", *keys])
        .agg(_persons())
        .rename({"ancestor_id": "node_id"})
    )
    return sums.join(medians, on=["node_id", *keys], how="left", nulls_equal=True).join(
        persons, on=["node_id", *keys], how="left", nulls_equal=True
    )


def _persons() -> pl.Expr:
    """How many children a sum's numerator rests on (placements of the same child counted once)."""
    return pl.col("person_key").drop_nulls().n_unique().alias("persons")


def _caseworker_figures(items: pl.DataFrame, median_ids: list[str], sum_ids: list[str]) -> pl.DataFrame:
    keys = ["kpi", "category"]
    own = items.filter(pl.col("caseworker_id").is_not_null()).rename({"caseworker_id": "node_id"})
    counted = own.group_by(["node_id", *keys]).agg(
        pl.col("weight").filter(pl.col("part") == "num").sum().alias("numerator"),
        pl.col("weight").filter(pl.col("part") == "den").sum().alias("denominator"),
        pl.col("days").filter(pl.col("kpi").is_in(median_ids) & (pl.col("part") == "num")).median().alias("median"),
        _numerator_total(),
    )
    persons = own.filter(pl.col("kpi").is_in(sum_ids) & (pl.col("part") == "num")).group_by(["node_id", *keys]).agg(
        _persons()
    )
    return counted.join(persons, on=["node_id", *keys], how="left", nulls_equal=True)


def _numerator_total() -> pl.Expr:
    """What a sum figure adds up over its numerator items (dygn or kronor); 0 for the others."""
    return pl.col("amount").filter(pl.col("part") == "num").sum().alias("total")


def _place_unknown_units(items: pl.DataFrame, flat: pl.DataFrame, org_units: pl.DataFrame):
    """Items of units missing from the tree go to one 'Okänd enhet' under the root."""
    known = pl.col("unit_id").is_in(flat["unit_id"].implode())
    if items.filter(~known | pl.col("unit_id").is_null()).is_empty():
        return items, flat
    tops = orgtree.roots(flat)
    extra = pl.DataFrame(
        {
            "unit_id": [UNKNOWN_UNIT],
            "parent_id": [tops[0] if len(tops) == 1 else None],
            "name": [UNKNOWN_UNIT_NAME],
            "level": [None],
        }
    )
    units = pl.concat([conform(org_units, ORG_UNITS), conform(extra, ORG_UNITS)])
    items = items.with_columns(unit_id=pl.when(known).then("unit_id").otherwise(pl.lit(UNKNOWN_UNIT)))
    return items, orgtree.flatten(units)


# ---------------------------------------------------------------- public API

FIGURE_COLUMNS = {
    "node_type": pl.Utf8,
    "node_id": pl.Utf8,
    "name": pl.Utf8,
    "level": pl.Utf8,
    "parent_id": pl.Utf8,
    "kpi": pl.Utf8,
    "breakdown": pl.Utf8,
    "category": pl.Utf8,
    "numerator": pl.Int64,
    "denominator": pl.Int64,
    "value": pl.Float64,
    # a sum's children (placements of one child counted once): what the nämnd's small-number rule
    # counts for it (pages.figures.masked_values); null for every other figure
    "persons": pl.Int64,
}


def compute(
    events: pl.DataFrame,
    obligations: pl.DataFrame,
    org_units: pl.DataFrame,
    caseworkers: pl.DataFrame,
    period_from: dt.date,
    period_to: dt.date,
    as_of: dt.date | None = None,
    kpi_ids: list[str] | None = None,
    breakdown: str | None = None,
    catalogue: Mapping[str, Kpi] | None = None,
    links: Links | None = None,
    staffing: pl.DataFrame | None = None,
    prices: costs.PriceList | None = None,
    population: pl.DataFrame | None = None,
    sources: Sources | None = None,
) -> pl.DataFrame:
    """Every figure for every unit (its whole subtree) and every caseworker, in long format.

    One row per node × figure (× breakdown category), columns FIGURE_COLUMNS. `node_type` is
    `unit` or `caseworker`; a caseworker's `parent_id` is their own unit. For a count the value
    is the numerator; for a median the numerator is how many items the median is taken over.
    With `breakdown` (gender | age_band | unaccompanied) the rows are per category instead of
    totals, and figures without that breakdown are left out. `links` may be passed from the
    obligations `Evaluation` of the same `as_of` to avoid linking the events twice. `staffing`
    is the optional posts table (schema.STAFFING); figures that need data a dataset does not
    have (posts, employment forms) get no value (see `_without_data`). `prices` prices
    placeringskostnad (default: core.costs.load_prices(), EGK_PLACEMENT_PRICES_FILE).
    `population` (schema.POPULATION) is the denominator of the per-1,000 figures; without it
    their value is empty. `sources` (from `sources()` for the same period and as_of) reuses its
    selections; its own events, obligations, links, posts, population and prices are counted, not
    those passed beside it.
    """
    if period_from > period_to:
        raise ValueError(f"perioden börjar ({period_from}) efter att den slutar ({period_to})")
    if breakdown is not None and breakdown not in BREAKDOWNS:
        raise ValueError(f"okänd nedbrytning {breakdown!r} (tillåtna: {', '.join(BREAKDOWNS)})")
    catalogue = catalogue if catalogue is not None else load_catalogue()
    kpis = _chosen(catalogue, kpi_ids, breakdown)
    flat = orgtree.flatten(org_units)
    src = _given(sources, period_from, period_to, as_of) or Sources(
        events, obligations, caseworkers, period_from, period_to, as_of or period_to, links,
        staffing=staffing, prices=prices, population=population, flat=flat,
    )
    items, flat = _place_unknown_units(_items(kpis, src), flat, org_units)
    items = _distinct(_category(breakdown, src, items))
    median_ids = [k.id for k in kpis if k.kind == "median_days"]
    sum_ids = [k.id for k in kpis if k.kind == "sum"]
    units = _unit_figures(items, flat, median_ids, sum_ids)
    caseworkers_ = _caseworker_figures(items, median_ids, sum_ids)
    return _without_data(_finish(kpis, breakdown, flat, src, items, units, caseworkers_), kpis, src)


PARTS = {"numerator": "num", "denominator": "den"}
_DISPLAY_ORDER = {
    "events": ["date", "event_id"], "obligations": ["due_date", "case_id"], "placement_days": ["date", "case_id"],
}


def items(
    events: pl.DataFrame,
    obligations: pl.DataFrame,
    org_units: pl.DataFrame,
    caseworkers: pl.DataFrame,
    kpi_id: str,
    period_from: dt.date,
    period_to: dt.date,
    as_of: dt.date | None = None,
    *,
    part: str = "numerator",
    unit_id: str | None = None,
    caseworker_id: str | None = None,
    catalogue: Mapping[str, Kpi] | None = None,
    links: Links | None = None,
    staffing: pl.DataFrame | None = None,
    prices: costs.PriceList | None = None,
    population: pl.DataFrame | None = None,
    sources: Sources | None = None,
) -> pl.DataFrame:
    """The items one figure's numerator or denominator counted: the rows behind a number.

    One row per counted item (ITEM_COLUMNS), selected by the same code as `compute` from the
    same arguments, so for a unit (its whole subtree, `unit_id`), a caseworker
    (`caseworker_id`) or the whole tree (neither) the rows' `weight` adds up to exactly the
    numerator or denominator `compute` reports (every row weighs 1 but a unit's posts, one row
    with their number); where a figure counts distinct persons or caseworkers, the
    row kept is the one `compute` counted. `unit_id` in the rows is the unit the item is
    attributed to; one missing from org_units is counted under UNKNOWN_UNIT. Rows come in
    display order: events by date, obligations by due date, cases with the latest placement first.
    """
    if part not in PARTS:
        raise ValueError(f"okänd del {part!r} (tillåtna: {', '.join(PARTS)})")
    if period_from > period_to:
        raise ValueError(f"perioden börjar ({period_from}) efter att den slutar ({period_to})")
    catalogue = catalogue if catalogue is not None else load_catalogue()
    kpi = _chosen(catalogue, [kpi_id], None)[0]
    sel = kpi.numerator if part == "numerator" else kpi.denominator
    if sel is None:
        raise ValueError(f"nyckeltalet {kpi_id} har ingen nämnare")
    if sel.source == "population":
        raise ValueError(f"nämnaren för {kpi_id} är befolkningen, inte ärenden: den har inga underlag att lista")
    src = _given(sources, period_from, period_to, as_of) or Sources(
        events, obligations, caseworkers, period_from, period_to, as_of or period_to, links,
        staffing=staffing, prices=prices, population=population, flat=orgtree.flatten(org_units),
    )
    rows = src.rate_items(kpi, PARTS[part], src.chosen(sel)).with_columns(
        _own_unit=pl.col("unit_id"), kpi=pl.lit(kpi.id), part=pl.lit(PARTS[part]), category=pl.lit(None, pl.Utf8)
    )
    rows, flat = _place_unknown_units(rows, orgtree.flatten(org_units), org_units)
    rows = _distinct(rows)
    if unit_id is not None:
        inside = [UNKNOWN_UNIT] if unit_id == UNKNOWN_UNIT else orgtree.subtree(flat, unit_id)["unit_id"].to_list()
        rows = rows.filter(pl.col("unit_id").is_in(inside))
    if caseworker_id is not None:
        rows = rows.filter(pl.col("caseworker_id") == caseworker_id)
    order = _DISPLAY_ORDER.get(sel.source)
    if order:
        rows = rows.sort(order, nulls_last=True, maintain_order=True)
    return rows.with_columns(unit_id=pl.col("_own_unit")).select(list(ITEM_COLUMNS))


def sources(
    events: pl.DataFrame,
    obligations: pl.DataFrame,
    org_units: pl.DataFrame,
    caseworkers: pl.DataFrame,
    period_from: dt.date,
    period_to: dt.date,
    as_of: dt.date | None = None,
    *,
    links: Links | None = None,
    staffing: pl.DataFrame | None = None,
    prices: costs.PriceList | None = None,
    population: pl.DataFrame | None = None,
    day: Day | None = None,
) -> Sources:
    """The item sources of one period, to hand to every `compute` and `items` of that period.

    `day` (a `Day` of the same events and as_of) is shared with the other periods ending then."""
    return Sources(
        events, obligations, caseworkers, period_from, period_to, as_of or period_to, links,
        staffing=staffing, prices=prices, population=population, flat=orgtree.flatten(org_units), day=day,
    )


def _given(sources: Sources | None, period_from: dt.date, period_to: dt.date, as_of: dt.date | None) -> Sources | None:
    """`sources` when it was made for this period and as_of (refused otherwise: it would count another period)."""
    if sources is None:
        return None
    if sources.period != (period_from, period_to) or sources.as_of != (as_of or period_to):
        raise ValueError("sources gäller en annan period än den som efterfrågas")
    return sources


def _chosen(catalogue: Mapping[str, Kpi], kpi_ids, breakdown) -> list[Kpi]:
    ids = list(kpi_ids) if kpi_ids is not None else list(catalogue)
    unknown = [i for i in ids if i not in catalogue]
    if unknown:
        raise ValueError(f"okänt nyckeltal: {', '.join(unknown)} (kända: {', '.join(catalogue)})")
    return [catalogue[i] for i in ids if breakdown is None or breakdown in catalogue[i].breakdowns]


def _finish(kpis, breakdown, flat, src, items, units, caseworkers_) -> pl.DataFrame:
    """All nodes × figures × categories (zeros where nothing was counted), with values and labels."""
    unit_nodes = flat.select(
        pl.lit("unit").alias("node_type"), pl.col("unit_id").alias("node_id"), "name", "level", "parent_id"
    )
    home = src.caseworker_home
    cw_ids = pl.concat(
        [home.select("caseworker_id"), items.select("caseworker_id").drop_nulls()]
    ).unique()
    cw_nodes = cw_ids.join(home, on="caseworker_id", how="left").select(
        pl.lit("caseworker").alias("node_type"),
        pl.col("caseworker_id").alias("node_id"),
        "name",
        pl.lit(CASEWORKER_LEVEL).alias("level"),
        pl.col("home_unit_id").alias("parent_id"),
    )
    kpi_frame = pl.DataFrame(
        {
            "kpi": [k.id for k in kpis],
            "_order": list(range(len(kpis))),
            "_kind": [k.kind for k in kpis],
        }
    )
    categories = list(BREAKDOWNS[breakdown]) if breakdown else [None]
    cat_frame = pl.DataFrame(
        {"category": categories, "_cat_order": list(range(len(categories)))}, schema_overrides={"category": pl.Utf8}
    )
    counts = pl.concat(
        [
            units.with_columns(node_type=pl.lit("unit")),
            caseworkers_.with_columns(node_type=pl.lit("caseworker")).select(units.columns + ["node_type"]),
        ]
    )
    nodes = pl.concat([unit_nodes, cw_nodes.sort("node_id")]).with_row_index("_node_order")
    grid = nodes.join(kpi_frame, how="cross").join(cat_frame, how="cross")
    out = grid.join(counts, on=["node_type", "node_id", "kpi", "category"], how="left", nulls_equal=True)
    num = pl.col("numerator").fill_null(0)
    den = pl.col("denominator").fill_null(0)
    kind = pl.col("_kind")
    value = (
        pl.when(kind == "count").then(num.cast(pl.Float64))
        .when(kind == "median_days").then(pl.col("median"))
        .when(kind == "sum").then(pl.col("total").fill_null(0).cast(pl.Float64))
        .when((kind == "rate") & (den > 0)).then(1000 * num / den)
        .when(den > 0).then(num / den)
        .otherwise(None)
    )
    return (
        out.with_columns(
            numerator=num,
            denominator=pl.when(kind.is_in(list(DIVIDED_KINDS))).then(den).otherwise(None),
            value=value,
            persons=pl.when(kind == "sum").then(pl.col("persons").fill_null(0)).otherwise(None),
            breakdown=pl.lit(breakdown, dtype=pl.Utf8),
        )
        .sort(["_node_order", "_order", "_cat_order"])
        .select([pl.col(c).cast(t) for c, t in FIGURE_COLUMNS.items()])
    )


def _without_data(figures: pl.DataFrame, kpis: list[Kpi], src: Sources) -> pl.DataFrame:
    """No value where a figure cannot be known, rather than a misleading 0 (issue 16).

    - Figures on posts when the dataset has no staffing table, and on employment forms when no
      caseworker row gives one: the optional data is missing, not zero.
    - Staffing figures counted per unit (turnover, posts, consultants) on caseworker rows: a
      caseworker has no turnover of their own.
    """
    has_posts = src._staffing is not None and not src._staffing.is_empty()
    has_forms = src.staff_rows["employment"].is_not_null().any()
    unknown, unit_only = [], []
    for kpi in kpis:
        sels = [s for s in (kpi.numerator, kpi.denominator) if s is not None]
        if any(s.source == "posts" for s in sels) and not has_posts or any(s.employment for s in sels) and not has_forms:
            unknown.append(kpi.id)
        if kpi.numerator.source in ("staff", "posts"):
            unit_only.append(kpi.id)
    if not unknown and not unit_only:
        return figures
    hide = pl.col("kpi").is_in(unknown) | (pl.col("kpi").is_in(unit_only) & (pl.col("node_type") == "caseworker"))
    return figures.with_columns(value=pl.when(hide).then(None).otherwise(pl.col("value")))


def build_tree(
    figures: pl.DataFrame,
    root: str | None = None,
    catalogue: Mapping[str, Kpi] | None = None,
) -> dict:
    """The nested JSON structure of `compute`'s totals, rooted at `root` (default: the tree's root).

    `{"unit_id", "name", "level", "kpis": {id: {"numerator", "denominator", "value"}}, "children": [...]}`
    """
    catalogue = catalogue if catalogue is not None else load_catalogue()
    rows = figures.filter((pl.col("node_type") == "unit") & pl.col("category").is_null())
    nodes: dict[str, dict] = {}
    children: dict[str | None, list[str]] = {}
    for r in rows.iter_rows(named=True):
        node = nodes.get(r["node_id"])
        if node is None:
            node = nodes[r["node_id"]] = {
                "unit_id": r["node_id"], "name": r["name"], "level": r["level"], "kpis": {}, "children": [],
            }
            children.setdefault(r["parent_id"], []).append(r["node_id"])
        value = r["value"]
        if value is not None and catalogue[r["kpi"]].kind in ("count", "sum"):
            value = int(value)
        node["kpis"][r["kpi"]] = {"numerator": r["numerator"], "denominator": r["denominator"], "value": value}
    if root is None:
        tops = children.get(None, [])
        if len(tops) != 1:
            raise orgtree.OrgTreeError(f"trädet har {len(tops)} rotenheter ({', '.join(tops)}); välj en enhet")
        root = tops[0]
    if root not in nodes:
        raise orgtree.OrgTreeError(f"okänd enhet: {root}")

    def attach(unit_id: str) -> dict:
        node = nodes[unit_id]
        kids = sorted(children.get(unit_id, []), key=lambda k: (nodes[k]["name"] or "", k))
        node["children"] = [attach(k) for k in kids]
        return node

    return attach(root)


def tree(
    events: pl.DataFrame,
    obligations: pl.DataFrame,
    org_units: pl.DataFrame,
    caseworkers: pl.DataFrame,
    period_from: dt.date,
    period_to: dt.date,
    as_of: dt.date | None = None,
    root: str | None = None,
    kpi_ids: list[str] | None = None,
    catalogue: Mapping[str, Kpi] | None = None,
    links: Links | None = None,
    staffing: pl.DataFrame | None = None,
) -> dict:
    """`compute` followed by `build_tree`: the JSON of `egenkontroll kpi`."""
    figures = compute(
        events, obligations, org_units, caseworkers, period_from, period_to, as_of,
        kpi_ids=kpi_ids, catalogue=catalogue, links=links, staffing=staffing,
    )
    return build_tree(figures, root=root, catalogue=catalogue)
