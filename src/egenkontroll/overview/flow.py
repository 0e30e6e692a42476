"""The case flow: what became of the reports of a period, and the backlog week by week.

Why it exists: seed 003 asks that "ärendeflöden visualiseras" — today's case system cannot
show how many reports led to an investigation, how many investigations to an intervention,
and whether the queue of undecided reports and open investigations grows. Both come from the
linked events and evaluated obligations of `core` (never re-linked here):

- the cohort: every `anmalan` received in the period, followed through its förhandsbedömning
  (`Links.decisions`), the investigation that decision opened (the case's first investigation
  opened on or after the decision), that investigation's conclusion, and for `insats` the
  first insats started in the case within 90 days of the conclusion. An ansökan (kind
  `ansokan`) has no förhandsbedömning: it goes straight to the case's first investigation
  opened on or after it (issue 11);
- the backlog: `forhandsbedomning_14d` (report → decision) and `utredning_4m` (opened →
  concluded) obligations, open at the end of each week, with inflow and throughput per week;
  an obligation staff marked registreringsfel or ej tillämplig (core/marks.py) is left out.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from egenkontroll.core.linking import report_kind
from egenkontroll.pages.periods import Period
from egenkontroll.pages.snapshot import Snapshot

INSATS_WITHIN = dt.timedelta(days=90)
DECISIONS = ("inleda", "ansokan", "ej_inleda", "tillfors_utredning", "ej_beslutad")
INVESTIGATIONS = ("pagar", "insats", "ingen_insats", "saknas")
NODE_LABELS = {
    "anmalningar": "Anmälningar",
    "inleda": "Inleda utredning",
    "ansokan": "Ansökan (utredning utan förhandsbedömning)",
    "ej_inleda": "Inte inleda utredning",
    "tillfors_utredning": "Tillförs pågående utredning",
    "ej_beslutad": "Ännu inte beslutad",
    "pagar": "Utredning pågår",
    "insats": "Avslutad med insats",
    "ingen_insats": "Avslutad utan insats",
    "saknas": "Utredning ej registrerad",
    "ej_registrerad": "Insats ej registrerad",
}
BACKLOG_RULES = {"forhandsbedomning_14d": "fb", "utredning_4m": "utr"}


def cohort(snap: Snapshot, period: Period) -> pl.DataFrame:
    """One row per report received in the period (the whole tree): unit and each stage reached."""
    return snap.frame("flow-cohort", (period.start, period.end, period.as_of), lambda: _cohort(snap, period))


def _cohort(snap: Snapshot, period: Period) -> pl.DataFrame:
    links = snap.evaluation(period.as_of).links
    events = links.events.filter(pl.col("date") <= period.as_of)
    reports = events.filter(
        (pl.col("event_type") == "anmalan") & pl.col("date").is_between(period.start, period.end)
    ).select(
        pl.col("event_id").alias("report_id"), "case_id", "unit_id", "date",
        (report_kind() == "ansokan").alias("_ansokan"),
    )
    outcomes = events.filter(pl.col("event_type").is_in(["forhandsbedomning", "utredning_avslutad"])).select(
        pl.col("event_id").alias("_id"), "outcome"
    )
    decided = (
        reports.join(links.decisions, on="report_id", how="left")
        .join(outcomes.rename({"_id": "decision_id", "outcome": "decision"}), on="decision_id", how="left")
        .with_columns(
            decision=pl.when(pl.col("_ansokan")).then(pl.lit("ansokan"))
            .when(pl.col("decision_id").is_null())
            .then(pl.lit("ej_beslutad"))
            .otherwise(pl.col("decision").fill_null("ej_beslutad")),
            decision_date=pl.when(pl.col("_ansokan")).then(pl.col("date")).otherwise(pl.col("decision_date")),
        )
    )
    investigations = (
        links.investigations.filter(pl.col("opened") <= period.as_of)
        .select("case_id", "opened", "concluded_id", "concluded")
        .sort("opened")
    )
    opened = (
        decided.filter(pl.col("decision").is_in(["inleda", "ansokan"]))
        .sort("decision_date")
        .join_asof(investigations, left_on="decision_date", right_on="opened", by="case_id", strategy="forward", check_sortedness=False)
        .join(outcomes.rename({"_id": "concluded_id", "outcome": "conclusion"}), on="concluded_id", how="left")
        .with_columns(
            investigation=pl.when(pl.col("opened").is_null()).then(pl.lit("saknas"))
            .when(pl.col("concluded_id").is_null()).then(pl.lit("pagar"))
            .otherwise(pl.col("conclusion").fill_null("ingen_insats"))
        )
    )
    starts = links.placements.filter(pl.col("start") <= period.as_of).select("case_id", "start", "intervention").sort("start")
    insatser = (
        opened.filter(pl.col("investigation") == "insats")
        .sort("concluded")
        .join_asof(
            starts, left_on="concluded", right_on="start", by="case_id", strategy="forward",
            tolerance=INSATS_WITHIN, check_sortedness=False,
        )
        .select("report_id", pl.col("intervention").fill_null("ej_registrerad"))
    )
    return (
        decided.select("report_id", "unit_id", "decision")
        .join(opened.select("report_id", "investigation"), on="report_id", how="left")
        .join(insatser, on="report_id", how="left")
    )


def sankey_links(frame: pl.DataFrame) -> list[tuple[str, str, int]]:
    """(from, to, count) for the reports in `frame`, stage by stage, largest first within a stage."""
    out = [("anmalningar", d, n) for d, n in _counts(frame, "decision", DECISIONS)]
    for source in ("inleda", "ansokan"):
        opened_by = frame.filter(pl.col("decision") == source)
        out += [(source, i, n) for i, n in _counts(opened_by, "investigation", INVESTIGATIONS)]
    opened = frame.filter(pl.col("decision").is_in(["inleda", "ansokan"]))
    insats = opened.filter(pl.col("investigation") == "insats")
    kinds = insats.group_by("intervention").len().sort("len", "intervention", descending=[True, False])
    out += [("insats", kind, n) for kind, n in kinds.iter_rows()]
    return out


def _counts(frame: pl.DataFrame, column: str, order: tuple[str, ...]) -> list[tuple[str, int]]:
    counts = dict(frame.group_by(column).len().iter_rows())
    return [(key, int(counts[key])) for key in order if counts.get(key)]


# ---------------------------------------------------------------- backlog


def backlog_items(snap: Snapshot, as_of: dt.date) -> pl.DataFrame:
    """The report → decision and opened → concluded obligations known on as_of, neither void nor
    marked by staff (core/marks.py: a report marked ej tillämplig or registreringsfel is not in
    the queue, in any week — as the key figures leave it out of pending and overdue)."""
    marks = snap.marks_version()  # the key: a kept frame costs no evaluation (issue 19)

    def make():
        obligations, _ = snap.marked_obligations(as_of, marks)
        kept = pl.col("rule").is_in(list(BACKLOG_RULES)) & ~pl.col("status").is_in(["void", "marked"])
        return obligations.filter(kept).select(
            "unit_id", pl.col("rule").replace_strict(BACKLOG_RULES).alias("kind"), "trigger_date", "fulfilled_date"
        )

    return snap.frame("flow-backlog", (as_of, marks), make)


def weeks(period: Period) -> list[tuple[dt.date, dt.date]]:
    """(monday, last day) of each week meeting the period; the last day is Sunday or as_of."""
    first = period.start - dt.timedelta(days=period.start.weekday())
    last_day = min(period.end, period.as_of)
    out = []
    monday = first
    while monday <= last_day:
        out.append((monday, min(monday + dt.timedelta(days=6), last_day)))
        monday += dt.timedelta(days=7)
    return out


def weekly(items: pl.DataFrame, period: Period) -> pl.DataFrame:
    """Per week and kind (fb, utr): open at the week's end, started and finished in the week."""
    spans = weeks(period)
    if not spans:
        return pl.DataFrame(schema={"week_start": pl.Date, "week_end": pl.Date})
    starts = np.array([s for s, _ in spans], dtype="datetime64[D]")
    ends = np.array([e for _, e in spans], dtype="datetime64[D]")
    columns = {"week_start": [s for s, _ in spans], "week_end": [e for _, e in spans]}
    for kind in BACKLOG_RULES.values():
        rows = items.filter(pl.col("kind") == kind)
        trig = np.sort(rows["trigger_date"].to_numpy().astype("datetime64[D]"))
        done = rows.filter(pl.col("fulfilled_date").is_not_null())
        fulfilled = np.sort(
            np.maximum(done["fulfilled_date"].to_numpy(), done["trigger_date"].to_numpy()).astype("datetime64[D]")
        )
        upto = np.searchsorted(trig, ends, side="right")
        closed = np.searchsorted(fulfilled, ends, side="right")
        columns[f"{kind}_open"] = (upto - closed).tolist()
        columns[f"{kind}_in"] = (upto - np.searchsorted(trig, starts, side="left")).tolist()
        columns[f"{kind}_out"] = (closed - np.searchsorted(fulfilled, starts, side="left")).tolist()
    return pl.DataFrame(columns)
