"""Which event belongs to which: reports and their decisions, investigations, placements.

Why it exists: a rule speaks of "its förhandsbedömning", "the investigation" or "the
placement", but an export only says so through `ref` where the case system kept it. The
interchange spec says how to link the rest (first in, first out; the only open placement).
All of it is done here, once, over whole tables, so the obligations engine only joins.

Order of input rows never matters: ties on the same day are broken by event_id.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import polars as pl

from egenkontroll.core.schema import DEFAULT_REPORT_KIND, PLACEMENT_FOLLOWUPS, PLACEMENTS, REJECTS

MAX_ROUNDS = 25


class Links:
    """The linked view of a set of events (all dated on or before as_of).

    Placements are linked at once (they decide which rows are accepted at all); decisions and
    investigations only when a rule or a figure asks for them, since each costs a full pass.
    """

    def __init__(self, events: pl.DataFrame, placements: pl.DataFrame, rejects: pl.DataFrame):
        self.events = events  # accepted events, with `placement_key` resolved for insatser and follow-ups
        self.placements = placements  # placement_key, case_id, start_id, start, intervention, legal_basis, end
        self.rejects = rejects  # rows that could not be linked (schema.REJECTS)

    @cached_property
    def decisions(self) -> pl.DataFrame:
        """report_id → decision_id, decision_date (the first decision of each anmälan)."""
        return link_decisions(self.events)

    def answers(self, open_type: str, answer_type: str) -> pl.DataFrame:
        """report_id → decision_id, decision_date for any pair linked like an anmälan and its
        förhandsbedömning (ref first, else first in, first out); computed once per pair."""
        if (open_type, answer_type) == ("anmalan", "forhandsbedomning"):
            return self.decisions
        cache = self.__dict__.setdefault("_answers", {})
        if (open_type, answer_type) not in cache:
            cache[(open_type, answer_type)] = link_answers(
                _of_type(self.events, pl.col("event_type") == open_type),
                _of_type(self.events, pl.col("event_type") == answer_type),
            )
        return cache[(open_type, answer_type)]

    @cached_property
    def _investigations(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        return link_investigations(self.events)

    @property
    def investigations(self) -> pl.DataFrame:
        """inv_id, case_id, opened, concluded_id, concluded."""
        return self._investigations[0]

    @property
    def extensions(self) -> pl.DataFrame:
        """inv_id, ext_id, ext_date, until: each extension matched to its investigation."""
        return self._investigations[1]


def fifo_match(opens: pl.DataFrame, closes: pl.DataFrame) -> pl.DataFrame:
    """Match closings to openings first in, first out, per case.

    `opens` and `closes` have columns case_id, id, date. A closing takes the earliest opening
    still unmatched and dated on or before it; a closing with nothing open matches nothing.
    Most cases have at most one of each, matched by a plain join; the rest go through the
    reflected running sum (queue length S_t - min(0, min S_u); openings leave the queue in
    order, so the k-th matched closing takes the k-th opening).
    Returns open_id, close_id, close_date.
    """
    counts = pl.concat([opens.select("case_id", pl.lit(1).alias("o")), closes.select("case_id", pl.lit(0).alias("o"))])
    crowded = (
        counts.group_by("case_id")
        .agg((pl.col("o").sum() > 1) | ((1 - pl.col("o")).sum() > 1))
        .filter(pl.col("o"))
        .select("case_id")
    )
    simple = (
        opens.join(crowded, on="case_id", how="anti")
        .join(closes.select("case_id", pl.col("id").alias("close_id"), pl.col("date").alias("close_date")), on="case_id")
        .filter(pl.col("close_date") >= pl.col("date"))
        .select(pl.col("id").alias("open_id"), "close_id", "close_date")
    )
    queued = _fifo_queue(
        opens.join(crowded, on="case_id", how="semi"), closes.join(crowded, on="case_id", how="semi")
    )
    return pl.concat([simple, queued])


def _fifo_queue(opens: pl.DataFrame, closes: pl.DataFrame) -> pl.DataFrame:
    """The general case of fifo_match: cases with several openings or closings."""
    items = pl.concat(
        [
            opens.select("case_id", "id", "date", pl.lit(1, pl.Int32).alias("delta")),
            closes.select("case_id", "id", "date", pl.lit(-1, pl.Int32).alias("delta")),
        ]
    ).sort("case_id", "date", pl.col("delta").neg(), "id")
    running = pl.col("delta").cum_sum().over("case_id")
    items = items.with_columns(running.alias("s")).with_columns(
        (pl.col("s") - pl.min_horizontal(pl.lit(0), pl.col("s").cum_min().over("case_id"))).alias("queue")
    )
    items = items.with_columns(pl.col("queue").shift(1, fill_value=0).over("case_id").alias("before"))
    opens_k = items.filter(pl.col("delta") == 1).with_columns(
        pl.int_range(1, pl.len() + 1).over("case_id").alias("k")
    )
    matched = items.filter((pl.col("delta") == -1) & (pl.col("before") > 0)).with_columns(
        pl.int_range(1, pl.len() + 1).over("case_id").alias("k")
    )
    return matched.join(opens_k.select("case_id", "k", pl.col("id").alias("open_id")), on=["case_id", "k"]).select(
        "open_id", pl.col("id").alias("close_id"), pl.col("date").alias("close_date")
    )


def _reject(df: pl.DataFrame, reason: str) -> pl.DataFrame:
    return df.select(
        pl.lit("events.csv").alias("file"),
        pl.col("row").cast(pl.Int64),
        pl.col("event_id"),
        pl.lit("ref").alias("column"),
        pl.col("ref").fill_null("").alias("value"),
        pl.lit(reason).alias("reason"),
    ).cast(REJECTS)


def report_kind() -> pl.Expr:
    """The kind of an anmalan row; empty (a v1 file, a frame built without the column) is anmalan."""
    return pl.col("kind").fill_null(DEFAULT_REPORT_KIND)


def link_decisions(events: pl.DataFrame) -> pl.DataFrame:
    """Each anmälan's deciding förhandsbedömning (kind anmalan only: an ansökan or other
    information owes none, so it must not take the förhandsbedömning of a later anmälan)."""
    reports = _of_type(events, (pl.col("event_type") == "anmalan") & (report_kind() == "anmalan"))
    return link_answers(reports, _of_type(events, pl.col("event_type") == "forhandsbedomning"))


def _of_type(events: pl.DataFrame, cond: pl.Expr) -> pl.DataFrame:
    """The rows link_answers needs, only its columns (an eager filter copies every column)."""
    return events.lazy().filter(cond).select("case_id", "event_id", "date", "ref").collect()


def link_answers(opens: pl.DataFrame, answers: pl.DataFrame) -> pl.DataFrame:
    """Each opening event's answer: the answer whose `ref` names it first, then FIFO among the rest.

    `opens` and `answers` are event rows (case_id, event_id, date; answers also ref) — an
    anmälan and its förhandsbedömning, an LVU 6 § decision and its underställning.
    Returns report_id (the opening), decision_id, decision_date (the answer).
    """
    reports = opens.select("case_id", "event_id", "date")
    decisions = answers.select("case_id", "event_id", "date", "ref")
    by_ref = decisions.filter(pl.col("ref").is_not_null()).join(
        reports.select("case_id", pl.col("event_id").alias("ref")), on=["case_id", "ref"], how="semi"
    )
    explicit = by_ref.select(
        pl.col("ref").alias("report_id"), pl.col("event_id").alias("decision_id"), pl.col("date").alias("decision_date")
    )
    free_reports = reports.join(explicit.select(pl.col("report_id").alias("event_id")), on="event_id", how="anti")
    free_decisions = decisions.filter(pl.col("ref").is_null())
    fifo = fifo_match(
        free_reports.rename({"event_id": "id"}), free_decisions.select("case_id", pl.col("event_id").alias("id"), "date")
    ).select(pl.col("open_id").alias("report_id"), pl.col("close_id").alias("decision_id"), pl.col("close_date").alias("decision_date"))
    # Several answers naming one opening: the first one answers it.
    return (
        pl.concat([explicit, fifo])
        .sort("report_id", "decision_date", "decision_id")
        .unique("report_id", keep="first", maintain_order=True)
    )


def link_investigations(events: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Investigations (opened, concluded) and the extensions that belong to each."""
    kinds = ["utredning_inledd", "forhandsbedomning", "utredning_avslutad", "utredning_forlangd"]
    narrow = events.select("case_id", "event_id", "event_type", "date", "outcome", "until").filter(
        pl.col("event_type").is_in(kinds)
    )
    explicit = narrow.filter(pl.col("event_type") == "utredning_inledd")
    implicit = narrow.filter(
        (pl.col("event_type") == "forhandsbedomning") & (pl.col("outcome") == "inleda")
    ).join(explicit.select("case_id"), on="case_id", how="anti")
    opens = pl.concat([explicit, implicit]).select("case_id", pl.col("event_id").alias("id"), "date")
    closes = narrow.filter(pl.col("event_type") == "utredning_avslutad").select(
        "case_id", pl.col("event_id").alias("id"), "date"
    )
    matched = fifo_match(opens, closes)
    investigations = (
        opens.rename({"id": "inv_id", "date": "opened"})
        .join(matched.rename({"open_id": "inv_id", "close_id": "concluded_id", "close_date": "concluded"}), on="inv_id", how="left")
    )
    ext = narrow.filter(pl.col("event_type") == "utredning_forlangd").select(
        "case_id", pl.col("event_id").alias("ext_id"), pl.col("date").alias("ext_date"), "until"
    )
    # An extension belongs to the earliest investigation of the case open on its date.
    candidates = ext.join(investigations, on="case_id").filter(
        (pl.col("opened") <= pl.col("ext_date"))
        & (pl.col("concluded").is_null() | (pl.col("concluded") >= pl.col("ext_date")))
    )
    extensions = (
        candidates.sort("ext_id", "opened", "inv_id")
        .unique("ext_id", keep="first", maintain_order=True)
        .select("inv_id", "ext_id", "ext_date", "until")
        .sort("inv_id", "ext_date", "ext_id")
    )
    return investigations, extensions


def link_placements(events: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Resolve every insats follow-up to its insats; returns (events, placements, rejects).

    With `ref` the link is explicit. Without it the follow-up belongs to the case's only
    placement open on its date; none or several open → rejected as ambiguous. Ends resolved
    this way change which placements are open, so the resolution is repeated to a fixpoint.
    Only the few columns linking needs are carried, with each row's position: the accepted
    table keeps every row where it was and gains `placement_key` by position, since copying or
    joining the whole table costs more than all the linking.
    """
    narrow = (
        events.select("row", "case_id", "event_id", "event_type", "date", "ref", "intervention", "legal_basis")
        .with_row_index("_at")
        .filter(pl.col("event_type").is_in(["insats_start", *PLACEMENT_FOLLOWUPS]))
    )
    starts = narrow.filter(pl.col("event_type") == "insats_start").with_columns(
        pl.coalesce("ref", "event_id").alias("placement_key")
    )
    followups = narrow.filter(pl.col("event_type") != "insats_start")
    keyed = followups.filter(pl.col("ref").is_not_null())
    known = keyed.join(starts.select("case_id", pl.col("placement_key").alias("ref")), on=["case_id", "ref"], how="semi")
    unknown_ref = keyed.join(known.select("event_id"), on="event_id", how="anti")
    known = known.with_columns(pl.col("ref").alias("placement_key"))
    free = followups.filter(pl.col("ref").is_null())
    base = starts.filter(pl.col("intervention").is_in(PLACEMENTS)).select(
        "case_id", "placement_key", pl.col("date").alias("start")
    )
    ends_known = known.filter(pl.col("event_type") == "insats_slut").select("placement_key", "date")
    resolved = free.clear().with_columns(pl.lit(None, pl.Utf8).alias("placement_key"))
    for _ in range(MAX_ROUNDS):
        ends = (
            pl.concat([ends_known, resolved.filter(pl.col("event_type") == "insats_slut").select("placement_key", "date")])
            .group_by("placement_key")
            .agg(pl.col("date").min().alias("end"))
        )
        open_on = (
            free.select("event_id", "case_id", "date")
            .join(base.join(ends, on="placement_key", how="left"), on="case_id")
            .filter((pl.col("start") <= pl.col("date")) & (pl.col("end").is_null() | (pl.col("end") >= pl.col("date"))))
            .group_by("event_id")
            .agg(pl.len().alias("n_open"), pl.col("placement_key").first())
        )
        unique_open = open_on.filter(pl.col("n_open") == 1).select("event_id", "placement_key")
        new = free.join(unique_open, on="event_id")
        stable = new.height == resolved.height and new.sort("event_id").equals(resolved.sort("event_id"))
        resolved = new
        if stable:
            break
    ambiguous = free.join(resolved.select("event_id"), on="event_id", how="anti")
    rejects = pl.concat(
        [
            _reject(unknown_ref, "ref pekar inte på någon insats i ärendet"),
            _reject(ambiguous, "ingen ref och inte exakt en pågående placering i ärendet den dagen (tvetydig)"),
        ]
    )
    linked_followups = pl.concat([known, resolved.select(known.columns)])
    placements = starts.select(
        "case_id", "placement_key", pl.col("event_id").alias("start_id"), pl.col("date").alias("start"),
        "intervention", "legal_basis",
    ).join(
        linked_followups.filter(pl.col("event_type") == "insats_slut")
        .group_by("placement_key")
        .agg(pl.col("date").min().alias("end")),
        on="placement_key",
        how="left",
    )
    keyed_rows = pl.concat([starts.select("_at", "placement_key"), linked_followups.select("_at", "placement_key")])
    placement_key = pl.repeat(None, events.height, dtype=pl.Utf8, eager=True).alias("placement_key")
    accepted = events.with_columns(placement_key.scatter(keyed_rows["_at"], keyed_rows["placement_key"]))
    rejected_rows = pl.concat([unknown_ref["_at"], ambiguous["_at"]])
    if rejected_rows.len():
        keep = np.ones(events.height, dtype=bool)
        keep[rejected_rows.to_numpy()] = False
        accepted = accepted.filter(pl.Series(keep))
    return accepted, placements, rejects


def link(events: pl.DataFrame) -> Links:
    """Link a whole event table (already cut at as_of)."""
    accepted, placements, rejects = link_placements(events)
    return Links(accepted, placements, rejects)
