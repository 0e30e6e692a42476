"""Events + as_of → obligations: what the law and the local guidelines demand of each case.

Why it exists: this is the heart of Egenkontroll. Every rule of the catalogue (rules.yaml)
turns its triggering events into obligations with a due date, finds what satisfied them, and
says on `as_of` whether each was fulfilled on time, late, is pending, overdue or void, exactly
as shared/spec/rules.md says. It runs over whole tables (polars joins, numpy date arithmetic
in calendar.py); the only Python loops are over rules and over the few extension rounds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from egenkontroll.core import calendar
from egenkontroll.core.linking import Links, link, report_kind
from egenkontroll.core.rules import Catalogue, Rule, Step, load_catalogue
from egenkontroll.core.schema import OBLIGATIONS, PLACEMENT_FOLLOWUPS, REJECTS, conform

# The event columns `evaluate` reads. A caller that wants only the obligations may drop the
# others first: at national scale the unread columns held 0.3 GB through the whole evaluation.
EVALUATED_COLUMNS = (
    "row", "event_id", "case_id", "person_key", "event_type", "date", "unit_id", "caseworker_id",
    "ref", "outcome", "intervention", "legal_basis", "until", "kind",
)


@dataclass(frozen=True)
class Evaluation:
    obligations: pl.DataFrame  # schema.OBLIGATIONS
    rejects: pl.DataFrame  # schema.REJECTS: rows that could not be linked
    links: Links
    as_of: dt.date


def shift(days: pl.Series | np.ndarray, step: Step, roll: bool) -> np.ndarray:
    """Apply one due-date step to a whole column of dates."""
    d = calendar.as_days(days)
    if step.unit == "days":
        out = calendar.add_days(d, step.n)
    elif step.unit == "months":
        out = calendar.add_months(d, step.n)
    elif step.unit == "years":
        out = calendar.add_years(d, step.n)
    else:
        out = calendar.add_working_days(d, step.n)
    return calendar.next_working_day(out) if roll else out


def _valid(rule: Rule, date_col: str = "trigger_date") -> pl.Expr:
    cond = pl.lit(True)
    if rule.valid_from:
        cond = cond & (pl.col(date_col) >= rule.valid_from)
    if rule.valid_to:
        cond = cond & (pl.col(date_col) <= rule.valid_to)
    return cond


def _trigger_filter(rule: Rule) -> pl.Expr:
    cond = pl.col("event_type") == rule.trigger_event
    if rule.interventions:
        cond = cond & pl.col("intervention").is_in(rule.interventions)
    if rule.legal_bases:
        cond = cond & pl.col("legal_basis").is_in(rule.legal_bases)
    if rule.kinds:
        cond = cond & report_kind().is_in(rule.kinds)
    return cond


def _rows(events: pl.DataFrame, cond: pl.Expr, *columns: str | pl.Expr) -> pl.DataFrame:
    """The events where `cond` holds, only these columns: an eager filter copies every column
    of every match (18 columns, each rule, 7M national events) before the select drops them."""
    return events.lazy().filter(cond).select(columns).collect()


def _with_due(frame: pl.DataFrame, rule: Rule, step: Step) -> pl.DataFrame:
    due = shift(frame["trigger_date"], step, rule.roll)
    return frame.with_columns(pl.Series("due_date", due).cast(pl.Date))


def _triggers(links: Links, rule: Rule) -> pl.DataFrame:
    """The triggering events of a non-investigation rule: case_id, trigger_event_id, trigger_date, placement_key."""
    t = _rows(
        links.events,
        _trigger_filter(rule),
        "case_id",
        pl.col("event_id").alias("trigger_event_id"),
        pl.col("date").alias("trigger_date"),
        "placement_key",
    )
    if rule.unless_investigating:
        t = t.join(_investigating(links, t), on="trigger_event_id", how="anti")
    if rule.open_placement:
        t = _in_open_placements(links, t, rule.open_placement)
    return t


def _investigating(links: Links, triggers: pl.DataFrame) -> pl.DataFrame:
    """The triggers dated while an investigation of the same case is open: opened before the
    trigger's date and not concluded before it (an anmälan added to an ongoing investigation)."""
    inv = links.investigations.select("case_id", "opened", "concluded")
    return (
        triggers.select("case_id", "trigger_event_id", "trigger_date")
        .join(inv, on="case_id")
        .filter(
            (pl.col("opened") < pl.col("trigger_date"))
            & (pl.col("concluded").is_null() | (pl.col("concluded") >= pl.col("trigger_date")))
        )
        .select("trigger_event_id")
        .unique()
    )


def _in_open_placements(links: Links, triggers: pl.DataFrame, interventions: tuple[str, ...]) -> pl.DataFrame:
    """One row per trigger and placement of the case (of these kinds) open on the trigger's date,
    the placement taking the trigger's `placement_key`; triggers with none open are dropped."""
    open_ = links.placements.filter(pl.col("intervention").is_in(interventions)).select(
        "case_id", pl.col("placement_key").alias("_key"), "start", "end"
    )
    return (
        triggers.join(open_, on="case_id")
        .filter(
            (pl.col("start") <= pl.col("trigger_date"))
            & (pl.col("end").is_null() | (pl.col("end") >= pl.col("trigger_date")))
        )
        .select("case_id", "trigger_event_id", "trigger_date", pl.col("_key").alias("placement_key"))
    )


def _first_of_type(links: Links, event_type: str) -> pl.DataFrame:
    """Per insats, the first event of a type that belongs to it."""
    return (
        _rows(links.events, pl.col("event_type") == event_type, "placement_key", "event_id", "date")
        .sort("date", "event_id")
        .group_by("placement_key", maintain_order=True)
        .first()
        .select("placement_key", pl.col("event_id").alias("fulfilled_event_id"), pl.col("date").alias("fulfilled_date"))
    )


def _by_decision(links: Links, rule: Rule) -> pl.DataFrame:
    t = _triggers(links, rule).filter(_valid(rule))
    t = t.join(
        links.answers(rule.trigger_event, rule.satisfied_event).rename(
            {"report_id": "trigger_event_id", "decision_id": "fulfilled_event_id", "decision_date": "fulfilled_date"}
        ),
        on="trigger_event_id",
        how="left",
    )
    return _with_due(t, rule, rule.first)


def _by_case(links: Links, rule: Rule) -> pl.DataFrame:
    """The first event of the satisfying type in the case on or after the trigger date."""
    t = _triggers(links, rule).filter(_valid(rule)).sort("trigger_date")
    hits = (
        _rows(links.events, pl.col("event_type") == rule.satisfied_event,
              "case_id", pl.col("event_id").alias("fulfilled_event_id"), pl.col("date").alias("fulfilled_date"))
        .sort("fulfilled_date", "fulfilled_event_id")
        .unique(["case_id", "fulfilled_date"], keep="first", maintain_order=True)
    )
    t = t.join_asof(
        hits, left_on="trigger_date", right_on="fulfilled_date", by="case_id", strategy="forward", check_sortedness=False
    )
    return _with_due(t, rule, rule.first)


def _by_placement(links: Links, rule: Rule) -> pl.DataFrame:
    t = _triggers(links, rule).filter(_valid(rule))
    t = t.join(_first_of_type(links, rule.satisfied_event), on="placement_key", how="left")
    return _with_due(t, rule, rule.first)


def _apply_extensions(inv: pl.DataFrame, extensions: pl.DataFrame) -> pl.DataFrame:
    """Extensions in date order: each decided on/after opening, on/before the due date then in
    force and not after the conclusion moves the due date to its `until` (taken as written)."""
    ext = extensions.with_columns(pl.int_range(pl.len()).over("inv_id").alias("n"))
    inv = inv.with_columns(pl.lit(False).alias("extended"))
    rounds = int(ext["n"].max() + 1) if ext.height else 0
    for n in range(rounds):
        step = ext.filter(pl.col("n") == n).select("inv_id", "ext_date", "until")
        inv = inv.join(step, left_on="trigger_event_id", right_on="inv_id", how="left")
        applies = (
            pl.col("ext_date").is_not_null()
            & (pl.col("ext_date") >= pl.col("trigger_date"))
            & (pl.col("ext_date") <= pl.col("due_date"))
            & (pl.col("fulfilled_date").is_null() | (pl.col("ext_date") <= pl.col("fulfilled_date")))
            & pl.col("until").is_not_null()
        )
        inv = inv.with_columns(
            pl.when(applies).then(pl.col("until")).otherwise(pl.col("due_date")).alias("due_date"),
            (pl.col("extended") | applies).alias("extended"),
        ).drop("ext_date", "until")
    return inv


def _by_investigation(links: Links, rule: Rule) -> pl.DataFrame:
    t = links.investigations.select(
        "case_id",
        pl.col("inv_id").alias("trigger_event_id"),
        pl.col("opened").alias("trigger_date"),
        pl.lit(None, pl.Utf8).alias("placement_key"),
        pl.col("concluded_id").alias("fulfilled_event_id"),
        pl.col("concluded").alias("fulfilled_date"),
    ).filter(_valid(rule))
    t = _with_due(t, rule, rule.first)
    return _apply_extensions(t, links.extensions) if rule.extensions else t


def _by_chain(links: Links, rules: list[Rule]) -> pl.DataFrame:
    """One obligation per link: the start, then each satisfying event, each owing the next.

    A start is an insats_start (one per placement) or a decision on the placement such as an
    umgängesbegränsning (possibly several per placement over time): each satisfying event of the
    placement belongs to the latest start on or before its date.
    `rules` are the rows of one rule id (validity windows); each link's own date picks its row,
    the start uses the row's `first` step and later links its `then` step.
    """
    head = rules[0]
    starts = pl.concat([_triggers(links, r).filter(_valid(r)) for r in rules]).unique("trigger_event_id")
    starts = starts.filter(pl.col("placement_key").is_not_null())
    anchors = starts.select(
        "placement_key", pl.col("trigger_date").alias("date"), pl.col("trigger_event_id").alias("chain_id")
    ).sort("date", "chain_id")
    chain_events = (
        _rows(links.events, (pl.col("event_type") == head.satisfied_event) & pl.col("placement_key").is_not_null(),
              "case_id", "placement_key", "event_id", "date")
        .sort("date", "event_id")
        .join_asof(anchors, on="date", by="placement_key", strategy="backward", check_sortedness=False)
        .filter(pl.col("chain_id").is_not_null())
    )
    nodes = pl.concat(
        [
            starts.select("case_id", "placement_key", pl.col("trigger_event_id").alias("event_id"),
                          pl.col("trigger_date").alias("date"), pl.lit(0, pl.Int8).alias("is_link"),
                          pl.col("trigger_event_id").alias("chain_id")),
            chain_events.select("case_id", "placement_key", "event_id", "date", pl.lit(1, pl.Int8).alias("is_link"),
                                "chain_id"),
        ]
    ).sort("chain_id", "is_link", "date", "event_id")
    t = nodes.with_columns(
        pl.col("event_id").shift(-1).over("chain_id").alias("fulfilled_event_id"),
        pl.col("date").shift(-1).over("chain_id").alias("fulfilled_date"),
    ).rename({"event_id": "trigger_event_id", "date": "trigger_date"})
    due = np.full(t.height, np.datetime64("NaT"), dtype="datetime64[D]")
    first = (t["is_link"] == 0).to_numpy()
    dates = t["trigger_date"]
    for r in rules:
        in_row = t.select(_valid(r)).to_series().to_numpy()
        for mask, step in ((in_row & first, r.first), (in_row & ~first, r.then)):
            if mask.any():
                due[mask] = shift(dates.filter(pl.Series(mask)), step, r.roll)
    return t.with_columns(pl.Series("due_date", due).cast(pl.Date)).filter(pl.col("due_date").is_not_null())


def _voided(links: Links, part: pl.DataFrame, void_on: str) -> pl.DataFrame:
    """Adds `voided`: the first `void_on` event of the obligation's placement on or after its
    trigger (an umgängesbegränsning lifted ends the duty to consider it again)."""
    ends = (
        _rows(links.events, (pl.col("event_type") == void_on) & pl.col("placement_key").is_not_null(),
              "placement_key", pl.col("date").alias("voided"))
        .sort("voided")
    )
    return part.sort("trigger_date").join_asof(
        ends, left_on="trigger_date", right_on="voided", by="placement_key", strategy="forward",
        check_sortedness=False,
    )


FAMILIES = {"decision": _by_decision, "case": _by_case, "placement": _by_placement, "investigation": _by_investigation}


def _ends(links: Links, obligations: pl.DataFrame) -> pl.DataFrame:
    """The day each obligation stopped being owed: the placement ended or the case closed after its trigger.

    Each end is found from its own key columns and added beside the frame in its order: sorting
    and joining the whole frame copied every column twice (+0.8 GB for a moment over 4.5M
    national obligations, near the peak of `egenkontroll obligations`; issue 19).
    """
    closures = (
        links.events.select("case_id", "event_type", pl.col("date").alias("closed"))
        .filter(pl.col("event_type") == "arende_avslutat")
        .drop("event_type")
        .unique()
        .sort("closed")
    )
    by_date = obligations.select("case_id", "trigger_date").with_row_index("_row").sort("trigger_date")
    closed = by_date.join_asof(
        closures, left_on="trigger_date", right_on="closed", by="case_id", strategy="forward", check_sortedness=False
    ).select("_row", "closed").sort("_row")["closed"]
    end = obligations.select("placement_key").join(
        links.placements.select("placement_key", "end"), on="placement_key", how="left", maintain_order="left"
    )["end"]
    return obligations.with_columns(pl.min_horizontal(closed, end, "voided").alias("ended"))


def _responsible(links: Links, case_ids: pl.Series) -> pl.DataFrame:
    """Per case, the unit and main caseworker responsible on as_of (latest event naming them).

    Only for `case_ids`: the cases with an obligation still open or void, usually a minority.
    """
    ordered = (
        links.events.select("case_id", "date", "event_id", "unit_id", "caseworker_id",
                            (pl.col("event_type") == "handlaggare").alias("_h"))
        .join(pl.DataFrame({"case_id": case_ids.unique()}), on="case_id", how="semi")
        .sort("case_id", "date", "_h", "event_id")
    )
    unit = ordered.group_by("case_id", maintain_order=True).agg(pl.col("unit_id").last().alias("resp_unit"))
    cw = (
        ordered.filter(pl.col("caseworker_id").is_not_null())
        .group_by("case_id", maintain_order=True)
        .agg(pl.col("caseworker_id").last().alias("resp_caseworker"))
    )
    return unit.join(cw, on="case_id", how="left")


_STATUS_CODES = ("fulfilled_on_time", "fulfilled_late", "void", "overdue", "pending")
_CODE = {status: code for code, status in enumerate(_STATUS_CODES)}


def _status(frame: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Each obligation's status on as_of, and the days late of one fulfilled late or overdue.

    The choice is made on small integer codes and the text written once: a chain of text
    branches made five text columns of the frame's length (0.6 GB for a moment at national scale).
    """
    done = pl.col("fulfilled_date").is_not_null()
    code = (
        pl.when(done & (pl.col("fulfilled_date") <= pl.col("due_date"))).then(_CODE["fulfilled_on_time"])
        .when(done).then(_CODE["fulfilled_late"])
        .when(pl.col("ended").is_not_null() & (pl.col("ended") < pl.col("due_date"))).then(_CODE["void"])
        .when(pl.col("due_date") < as_of).then(_CODE["overdue"])
        .otherwise(_CODE["pending"])
        .cast(pl.UInt8)
    )
    days_late = (
        pl.when(pl.col("_status") == _CODE["fulfilled_late"]).then(pl.col("fulfilled_date") - pl.col("due_date"))
        .when(pl.col("_status") == _CODE["overdue"]).then(pl.lit(as_of) - pl.col("due_date"))
        .otherwise(None)
        .dt.total_days()
    )
    status = pl.col("_status").replace_strict(dict(enumerate(_STATUS_CODES)), return_dtype=pl.Utf8)
    return (
        frame.with_columns(code.alias("_status"))
        .with_columns(status.alias("status"), days_late.alias("days_late"))
        .drop("_status")
    )


def _attribute(frame: pl.DataFrame, links: Links) -> pl.DataFrame:
    """Fulfilled: the unit and caseworker on the fulfilling event. Otherwise: responsible on as_of."""
    needed = links.events.select("event_id", "unit_id", "caseworker_id", "person_key")
    # A join builds its hash table on the right-hand side. When few obligations are asked for
    # (one rule, as a key figure does), hashing every event costs more than all the rest, so
    # the event table is first cut to the events named here; with every rule it is not worth it.
    if 2 * frame.height < needed.height:
        named = pl.concat([frame.select(pl.col(c).alias("event_id")) for c in ("trigger_event_id", "fulfilled_event_id")])
        needed = needed.join(named, on="event_id", how="semi")
    needed = _hashed(needed)
    open_cases = frame.filter(pl.col("fulfilled_date").is_null())["case_id"]
    # Each lookup finds only its columns and they are added beside the frame: a join of the
    # whole frame copies every column, three times over 4.5M national obligations.
    found = pl.concat(
        [
            _by_event(frame["fulfilled_event_id"], needed, {"unit_id": "f_unit", "caseworker_id": "f_cw"}),
            frame.select("case_id").join(_responsible(links, open_cases), on="case_id", how="left", maintain_order="left")
            .drop("case_id"),
            _by_event(frame["trigger_event_id"], needed, {"person_key": "person_key"}),
        ],
        how="horizontal",
    )
    done = pl.col("fulfilled_date").is_not_null()
    return pl.concat([frame, found], how="horizontal").with_columns(
        pl.when(done).then(pl.col("f_unit")).otherwise(pl.col("resp_unit")).alias("unit_id"),
        pl.when(done).then(pl.col("f_cw")).otherwise(pl.col("resp_caseworker")).alias("caseworker_id"),
    ).drop("f_unit", "f_cw", "resp_unit", "resp_caseworker")


def _hashed(events: pl.DataFrame) -> pl.DataFrame:
    """`events` with `_hash`, a 64-bit hash of each event_id, where no two ids share one.

    Why: a join on 7M event ids as text held a hash table of 0.8–1 GB beside the obligations for
    a moment, twice: the peak of a national evaluation (issue 19). On the hash it holds 8 bytes a
    row. Where two ids do share a hash (never seen, but possible), they are returned without it
    and `_by_event` joins the text.
    """
    hashes = events["event_id"].hash()
    return events.with_columns(hashes.alias("_hash")) if hashes.n_unique() == hashes.len() else events


def _by_event(ids: pl.Series, events: pl.DataFrame, columns: dict[str, str]) -> pl.DataFrame:
    """For each of `ids` (in order, nulls kept), `columns` of the event with that id, renamed; null if none.

    event_id is unique in every accepted table (the reader and the database refuse duplicates).
    On the hash, each match is also compared as text, so an id that is not among the events but
    shares a hash with one finds nothing, exactly as the join on the text would.
    """
    wanted = [pl.col(c).alias(name) for c, name in columns.items()]
    if "_hash" not in events.columns:
        table = events.select("event_id", *columns)
        return ids.alias("event_id").to_frame().join(table, on="event_id", how="left", maintain_order="left").select(wanted)
    asked = pl.DataFrame({"_hash": ids.hash(), "_asked": ids})
    found = asked.join(events.select("_hash", "event_id", *columns), on="_hash", how="left", maintain_order="left")
    same = pl.col("event_id") == pl.col("_asked")
    return found.select(pl.when(same).then(c).alias(c.meta.output_name()) for c in wanted)


def cut(events: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """The events on or before as_of, in one chunk: every later step scans them several times,
    and on a many-chunk table (a Parquet or CSV read) each scan costs about half as much again.

    A follow-up whose `ref` names an insats that starts after as_of (a vårdplan made before the
    placement, SoL 11 kap. 3 §) waits for it: on as_of it is neither linked nor rejected, since
    the row is right and only its insats lies ahead.

    `evaluate` cuts what it is given, and cutting a cut table changes nothing.
    """
    keep = _kept(events, as_of)
    events = events if keep is None else events.filter(keep)
    return events.rechunk() if events.n_chunks() > 1 else events


def cut_columns(columns: list[pl.Series], as_of: dt.date) -> pl.DataFrame:
    """`cut` of a table given as its columns, each let go as soon as it is cut (the list is emptied).

    For a caller that holds a whole country's events and wants only the obligations (the
    `obligations` command): a cut table is as large as the whole, and both were held at once
    (+2.4 GB at national scale with an as_of before the last event; issue 19).
    """
    keep = _kept(pl.DataFrame(columns), as_of)
    out = []
    while columns:
        column = columns.pop(0)
        out.append(column.rechunk() if keep is None else column.filter(keep).rechunk())
        del column
    return pl.DataFrame(out)


def _kept(events: pl.DataFrame, as_of: dt.date) -> pl.Series | None:
    """Which rows `cut` keeps, or None for all."""
    latest = events["date"].max()
    if latest is None or latest <= as_of:
        return None
    keep = events["date"] <= as_of
    later = events.filter((pl.col("date") > as_of) & (pl.col("event_type") == "insats_start"))
    if later.height:
        ahead = later.select("case_id", pl.coalesce("ref", "event_id").alias("ref"))
        waiting = (
            events.filter(keep & pl.col("ref").is_not_null() & pl.col("event_type").is_in(PLACEMENT_FOLLOWUPS))
            .join(ahead, on=["case_id", "ref"], how="semi")["event_id"]
        )
        if waiting.len():
            keep = keep & ~events["event_id"].is_in(waiting.implode())
    return keep


def evaluate(
    events: pl.DataFrame,
    as_of: dt.date | None = None,
    rules: Catalogue | list[str] | None = None,
) -> Evaluation:
    """Every obligation of every case on `as_of` (default today); events after as_of are ignored.

    `rules` is a catalogue, a list of rule ids from the default catalogue, or None for all
    enabled rules.
    """
    as_of = as_of or dt.date.today()
    catalogue = rules if isinstance(rules, Catalogue) else load_catalogue().select(rules)
    links = link(cut(events, as_of))
    parts = []
    by_id: dict[str, list[Rule]] = {}
    for rule in catalogue.rules:
        by_id.setdefault(rule.id, []).append(rule)
    for rule_id, rows in by_id.items():
        if rows[0].is_chain:
            part = _by_chain(links, rows)
        else:
            part = pl.concat([FAMILIES[r.link](links, r) for r in rows], how="diagonal_relaxed")
        if "extended" not in part.columns:
            part = part.with_columns(pl.lit(False).alias("extended"))
        if rows[0].void_on:
            part = _voided(links, part.with_columns(pl.col("placement_key").cast(pl.Utf8)), rows[0].void_on)
        else:
            part = part.with_columns(pl.lit(None, pl.Date).alias("voided"))
        parts.append(
            part.select(
                "case_id", "trigger_event_id", "trigger_date", "due_date", "fulfilled_date", "fulfilled_event_id",
                "extended", pl.col("placement_key").cast(pl.Utf8), "voided", pl.lit(rule_id).alias("rule"),
                pl.lit(catalogue.ids().index(rule_id), pl.Int32).alias("_order"),
            )
        )
    if not parts:
        return Evaluation(pl.DataFrame(schema=OBLIGATIONS), links.rejects, links, as_of)
    frame = pl.concat(parts, how="vertical_relaxed")
    del parts
    # Only the columns still needed go on: every join and sort below copies each column it
    # carries (at national scale 4.5M obligations; the wide frame peaked above 6 GB).
    frame = _status(_ends(links, frame), as_of).select(
        [c for c in OBLIGATIONS if c not in ("unit_id", "caseworker_id", "person_key")] + ["_order"]
    )
    frame = _attribute(frame, links).select(*OBLIGATIONS, "_order").sort(
        "case_id", "_order", "trigger_date", "trigger_event_id"
    )
    return Evaluation(conform(frame, OBLIGATIONS), conform(links.rejects, REJECTS), links, as_of)


def carry_forward(
    previous: pl.DataFrame,
    previous_as_of: dt.date,
    events: pl.DataFrame,
    changed_cases: pl.Series | list[str],
    as_of: dt.date,
    rules: Catalogue | list[str] | None = None,
) -> Evaluation:
    """`evaluate(events, as_of)`, taking over an earlier evaluation's obligations where they cannot differ.

    Why: a nightly import changes about 0.1 % of the cases, yet a full evaluation reads every
    case (seconds at city scale, minutes at national; issue 19). Every rule reads the events of
    one case only (rules.md), so a case whose events are the same as when `previous` was
    evaluated on `previous_as_of`, and all dated on or before it, has the same obligations on a
    later as_of but for the clock: a pending one whose due date has passed is now overdue, and
    an overdue one is later by more days. Evaluated again, with the rules: the cases in
    `changed_cases` (events added, changed or removed since; the import lists them) and every
    case with an event after previous_as_of (not seen then). The result is identical, row for
    row, to a full evaluation (tests/core/test_carry_forward.py); an as_of before
    previous_as_of, or one where more than half the cases are to be evaluated again (the first
    months of a trend), is evaluated in full. `previous` must come from the same rules.
    """
    if as_of < previous_as_of:
        return evaluate(events, as_of, rules)
    later = events.filter(pl.col("date") > previous_as_of)["case_id"]
    stale = pl.concat([pl.Series("case_id", changed_cases, dtype=pl.Utf8), later.cast(pl.Utf8)]).unique()
    cases = events["case_id"].unique()
    if 2 * stale.len() > cases.len():
        # most cases to evaluate again: one evaluation of all costs less, in time and in memory
        return evaluate(events, as_of, rules)
    catalogue = rules if isinstance(rules, Catalogue) else load_catalogue().select(rules)
    # an insats starting after as_of stays: evaluate() needs it to hold back its follow-ups
    again = events.filter(
        pl.col("case_id").is_in(stale.implode()) & ((pl.col("date") <= as_of) | (pl.col("event_type") == "insats_start"))
    )
    fresh = evaluate(again, as_of, catalogue).obligations if again.height else pl.DataFrame(schema=OBLIGATIONS)
    kept = conform(previous, OBLIGATIONS).filter(
        ~pl.col("case_id").is_in(stale.implode()) & pl.col("case_id").is_in(cases.implode())
    )
    overdue = (pl.col("status") == "pending") & (pl.col("due_date") < as_of)
    kept = kept.with_columns(status=pl.when(overdue).then(pl.lit("overdue")).otherwise(pl.col("status"))).with_columns(
        days_late=pl.when(pl.col("status") == "overdue")
        .then((pl.lit(as_of) - pl.col("due_date")).dt.total_days())
        .otherwise(pl.col("days_late"))
    )
    # Both parts are in the engine's order (case first) and hold other cases: a stable sort by
    # case alone puts them in exactly the order one evaluation gives.
    frame = pl.concat([kept, fresh], how="vertical_relaxed").sort("case_id", maintain_order=True)
    return with_links(frame, events, as_of)


def with_links(obligations: pl.DataFrame, events: pl.DataFrame, as_of: dt.date) -> Evaluation:
    """The evaluation on as_of of obligations made earlier (kept on disk, carried forward), with
    the links and rejects of `events` made again: linking costs a twentieth of an evaluation."""
    links = link(cut(events, as_of))
    return Evaluation(conform(obligations, OBLIGATIONS), conform(links.rejects, REJECTS), links, as_of)
