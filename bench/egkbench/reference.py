"""One key figure computed four ways, so Egenkontroll's time has something honest to be held against.

The figure is `utr_inom_4m_andel` for every unit of the org tree (subtree sums): of the
investigations concluded in the period, how many were concluded by their limit. An
investigation is opened by `utredning_inledd` (or, in a case without any, by a
`forhandsbedomning` with outcome `inleda`) and concluded by `utredning_avslutad`, matched first
in, first out per case (ties on a day: openings first, then by event_id). The limit is the
opening + 4 months (clamped to the month's end) moved to the next working day per Lag
(1930:173); extensions do not count here. Each conclusion counts at the unit on its event.
Events after `as_of` are ignored.

- `floor`: Python's csv module just iterating the rows of events.csv (nothing is computed).
- `duckdb_*`: hand-written SQL; the holiday table comes from egenkontroll.core.calendar.
- `naive`: pandas to read, then a Python loop per case, what an Excel-minded script does.
- `egenkontroll_*`: the product's own path (obligations for `utredning_4m`, then `kpis.tree`).
Every implementation returns the same frame (unit_id, numerator, denominator) so `compare`
can prove they agree before any ratio is reported.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import deque
from pathlib import Path

import polars as pl

KPI = "utr_inom_4m_andel"
RULE = "utredning_4m"
RESULT = {"unit_id": pl.Utf8, "numerator": pl.Int64, "denominator": pl.Int64}
OPEN, CLOSE = "utredning_inledd", "utredning_avslutad"
HOLIDAY_YEARS = range(1990, 2101)  # the same span egenkontroll.core.calendar covers


def holidays() -> list[dt.date]:
    """Swedish non-working holidays 1990–2100 (weekends are not listed; both sides add them)."""
    from egenkontroll.core import calendar

    return sorted({day for year in HOLIDAY_YEARS for day in calendar.holiday_names(year)})


# ---------------------------------------------------------------- the floor


def floor(events_csv: Path) -> int:
    """Parse events.csv with the csv module and touch every row; returns the data row count."""
    with open(events_csv, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        next(rows)
        return sum(1 for _ in rows)


# ---------------------------------------------------------------- DuckDB

# `ev_source` is a relation with (at least) event_id, case_id, event_type, outcome, date, unit_id;
# `org_units` and `holidays(day)` are tables. $as_of, $pf, $pt are parameters.
QUERY = """
WITH RECURSIVE ev AS (
    SELECT event_id, case_id, event_type, outcome, CAST(date AS DATE) AS date, unit_id
    FROM ev_source
    WHERE event_type IN ('utredning_inledd', 'forhandsbedomning', 'utredning_avslutad')
      AND CAST(date AS DATE) <= $as_of
),
cases_with_inledd AS (SELECT DISTINCT case_id FROM ev WHERE event_type = 'utredning_inledd'),
opens AS (
    SELECT case_id, event_id, date FROM ev WHERE event_type = 'utredning_inledd'
    UNION ALL
    SELECT case_id, event_id, date FROM ev
    WHERE event_type = 'forhandsbedomning' AND outcome = 'inleda'
      AND case_id NOT IN (SELECT case_id FROM cases_with_inledd)
),
items AS (
    SELECT case_id, event_id, date, 1 AS delta, NULL::VARCHAR AS unit_id FROM opens
    UNION ALL
    SELECT case_id, event_id, date, -1 AS delta, unit_id FROM ev WHERE event_type = 'utredning_avslutad'
),
running AS (   -- s = openings minus closings so far, in FIFO order within the case
    SELECT *, SUM(delta) OVER w AS s FROM items
    WINDOW w AS (PARTITION BY case_id ORDER BY date, delta DESC, event_id ROWS UNBOUNDED PRECEDING)
),
queued AS (    -- the queue of open investigations after each row (a closing on an empty queue is lost)
    SELECT *, s - LEAST(0, MIN(s) OVER w) AS queue FROM running
    WINDOW w AS (PARTITION BY case_id ORDER BY date, delta DESC, event_id ROWS UNBOUNDED PRECEDING)
),
stepped AS (
    SELECT *, COALESCE(LAG(queue) OVER (PARTITION BY case_id ORDER BY date, delta DESC, event_id), 0) AS queue_before
    FROM queued
),
numbered_opens AS (
    SELECT case_id, date AS opened,
           ROW_NUMBER() OVER (PARTITION BY case_id ORDER BY date, event_id) AS k
    FROM stepped WHERE delta = 1
),
numbered_closes AS (  -- the k-th matched closing concludes the k-th opening
    SELECT case_id, date AS concluded, unit_id,
           ROW_NUMBER() OVER (PARTITION BY case_id ORDER BY date, event_id) AS k
    FROM stepped WHERE delta = -1 AND queue_before > 0
),
days AS (     -- every day the limits can fall on (+4 months, then a few days' roll), working or not
    SELECT CAST(t.d AS DATE) AS day, ISODOW(t.d) <= 5 AND h.day IS NULL AS working
    FROM generate_series(
        CAST((SELECT MIN(date) FROM opens) AS TIMESTAMP),
        CAST((SELECT MAX(date) FROM opens) AS TIMESTAMP) + INTERVAL 5 MONTH,
        INTERVAL 1 DAY
    ) AS t(d)
    LEFT JOIN holidays h ON h.day = CAST(t.d AS DATE)
),
next_working AS (
    SELECT day, MIN(CASE WHEN working THEN day END)
                    OVER (ORDER BY day ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS next_day
    FROM days
),
concluded AS (
    SELECT c.unit_id, c.concluded, nw.next_day AS limit_day
    FROM numbered_closes c
    JOIN numbered_opens o USING (case_id, k)
    JOIN next_working nw ON nw.day = CAST(o.opened + INTERVAL 4 MONTH AS DATE)
    WHERE c.concluded BETWEEN $pf AND $pt
),
per_unit AS (
    SELECT unit_id, COUNT(*) FILTER (WHERE concluded <= limit_day) AS numerator, COUNT(*) AS denominator
    FROM concluded GROUP BY unit_id
),
ancestry AS (   -- every (unit, ancestor-or-self) pair of the org tree
    SELECT unit_id, unit_id AS ancestor_id FROM org_units
    UNION ALL
    SELECT a.unit_id, o.parent_id FROM ancestry a JOIN org_units o ON o.unit_id = a.ancestor_id
    WHERE o.parent_id IS NOT NULL
)
SELECT a.ancestor_id AS unit_id,
       CAST(COALESCE(SUM(p.numerator), 0) AS BIGINT) AS numerator,
       CAST(COALESCE(SUM(p.denominator), 0) AS BIGINT) AS denominator
FROM ancestry a LEFT JOIN per_unit p ON p.unit_id = a.unit_id
GROUP BY a.ancestor_id
ORDER BY unit_id
"""

def duckdb_connection(dataset: Path, holiday_days: list[dt.date]):
    """A DuckDB connection with org_units and holidays loaded (setup, not timed)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"CREATE TABLE org_units AS SELECT * FROM read_csv('{dataset / 'org_units.csv'}', header=true, all_varchar=true)")
    con.register("holiday_frame", pl.DataFrame({"day": holiday_days}, schema={"day": pl.Date}).to_arrow())
    con.execute("CREATE TABLE holidays AS SELECT day FROM holiday_frame")
    con.unregister("holiday_frame")
    return con


def load_events_table(con, dataset: Path) -> None:
    """Materialise events.csv as a typed DuckDB table, for the 'already parsed' comparison."""
    con.execute(
        "CREATE OR REPLACE TABLE events AS SELECT event_id, case_id, event_type, outcome, CAST(date AS DATE) AS date, "
        f"unit_id FROM read_csv('{dataset / 'events.csv'}', header=true, all_varchar=true)"
    )


def duckdb_figure(con, source: str, as_of: dt.date, pf: dt.date, pt: dt.date) -> pl.DataFrame:
    """Run the SQL over `source` ('events' table, or a read_csv(...) expression)."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW ev_source AS SELECT * FROM {source}")
    rows = con.execute(QUERY, {"as_of": as_of, "pf": pf, "pt": pt}).fetchall()
    return pl.DataFrame(rows, schema=RESULT, orient="row")


def duckdb_csv_source(dataset: Path) -> str:
    return f"read_csv('{dataset / 'events.csv'}', header=true, all_varchar=true)"


# ---------------------------------------------------------------- the naive way


def _plus_months(day: dt.date, months: int) -> dt.date:
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    month = month0 + 1
    next_first = dt.date(year + (month == 12), month % 12 + 1, 1)
    return dt.date(year, month, min(day.day, (next_first - dt.timedelta(days=1)).day))


def _next_working(day: dt.date, holiday_set: set[dt.date]) -> dt.date:
    while day.weekday() >= 5 or day in holiday_set:
        day += dt.timedelta(days=1)
    return day


def naive(dataset: Path, as_of: dt.date, pf: dt.date, pt: dt.date, holiday_days: list[dt.date]) -> pl.DataFrame:
    """pandas read_csv, then one Python loop per case with a FIFO queue, then walk up the tree."""
    import pandas as pd

    holiday_set = set(holiday_days)
    df = pd.read_csv(dataset / "events.csv", dtype=str, keep_default_na=False)
    df = df[(df["date"] <= as_of.isoformat()) & df["event_type"].isin([OPEN, CLOSE, "forhandsbedomning"])]
    per_unit: dict[str, list[int]] = {}
    for _, case in df.groupby("case_id", sort=False):
        types = case["event_type"].tolist()
        has_inledd = OPEN in types
        rows = []
        for event_type, outcome, day, event_id, unit_id in zip(
            types, case["outcome"].tolist(), case["date"].tolist(), case["event_id"].tolist(), case["unit_id"].tolist(),
            strict=True,
        ):
            opens = event_type == OPEN if has_inledd else (event_type == "forhandsbedomning" and outcome == "inleda")
            if opens or event_type == CLOSE:
                rows.append((dt.date.fromisoformat(day), 0 if opens else 1, event_id, unit_id))
        queue: deque[dt.date] = deque()
        for day, is_close, _event_id, unit_id in sorted(rows):
            if not is_close:
                queue.append(day)
            elif queue:
                opened = queue.popleft()
                if pf <= day <= pt:
                    counts = per_unit.setdefault(unit_id, [0, 0])
                    counts[0] += day <= _next_working(_plus_months(opened, 4), holiday_set)
                    counts[1] += 1
    return _roll_up(per_unit, dataset / "org_units.csv")


def _roll_up(per_unit: dict[str, list[int]], org_units_csv: Path) -> pl.DataFrame:
    with open(org_units_csv, newline="", encoding="utf-8") as f:
        parent = {r["unit_id"]: r["parent_id"] or None for r in csv.DictReader(f)}
    totals = {unit: [0, 0] for unit in parent}
    for unit, (num, den) in per_unit.items():
        node = unit
        while node is not None:
            totals[node][0] += num
            totals[node][1] += den
            node = parent[node]
    rows = [(u, n, d) for u, (n, d) in sorted(totals.items())]
    return pl.DataFrame(rows, schema=RESULT, orient="row")


# ---------------------------------------------------------------- Egenkontroll


def egenkontroll_figure(dataset, as_of: dt.date, pf: dt.date, pt: dt.date) -> pl.DataFrame:
    """The product's path from parsed events: obligations of the one rule, then `kpis.tree` of the one figure.

    `dataset` is an `interchange.Dataset` (or anything with events, org_units and caseworkers).
    """
    from egenkontroll.core import kpis
    from egenkontroll.core.obligations import evaluate

    ev = evaluate(dataset.events, as_of, rules=[RULE])
    root = kpis.tree(
        dataset.events, ev.obligations, dataset.org_units, dataset.caseworkers, pf, pt, as_of,
        kpi_ids=[KPI], links=ev.links,
    )
    return tree_to_frame(root)


def tree_to_frame(root: dict) -> pl.DataFrame:
    """The nested `kpis.tree` result flattened to unit_id, numerator, denominator of KPI."""
    rows, stack = [], [root]
    while stack:
        node = stack.pop()
        figure = node["kpis"][KPI]
        rows.append((node["unit_id"], figure["numerator"], figure["denominator"] or 0))
        stack.extend(node["children"])
    return pl.DataFrame(rows, schema=RESULT, orient="row").sort("unit_id")


# ---------------------------------------------------------------- agreement


def compare(results: dict[str, pl.DataFrame]) -> list[str]:
    """Differences between implementations (empty when they all agree on every unit)."""
    names = list(results)
    base_name, base = names[0], results[names[0]].sort("unit_id")
    problems = []
    for name in names[1:]:
        other = results[name].sort("unit_id")
        joined = base.join(other, on="unit_id", how="full", suffix="_other", coalesce=True)
        bad = joined.filter(
            (pl.col("numerator") != pl.col("numerator_other")).fill_null(True)
            | (pl.col("denominator") != pl.col("denominator_other")).fill_null(True)
        )
        if bad.height:
            sample = ", ".join(
                f"{r['unit_id']}: {r['numerator']}/{r['denominator']} vs {r['numerator_other']}/{r['denominator_other']}"
                for r in bad.head(5).iter_rows(named=True)
            )
            problems.append(f"{base_name} and {name} differ in {bad.height} units ({sample})")
    return problems
