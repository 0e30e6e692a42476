#!/usr/bin/env python3
"""Backtest of Planering: calibrate on the data up to a day, project 26 weeks, compare with what followed.

    PYTHONPATH=$PWD/src .venv/bin/python bench/backtest_planning.py --data /tmp/pl-city \
        --as-of 2023-08-31 --as-of 2024-08-31 [--write bench/RESULTS.md]

The data: `egenkontroll generate --scale city --seed 1 --start 2023-01-01 --surge --out DIR`
(the 2015-like surge of unaccompanied children runs September–December 2023). For each as_of and
each scenario — `bas` (the planner knew nothing of the surge) and, when a surge starts after as_of,
`känd topp` (the planner entered the unaccompanied inflow ×6 over the surge's weeks, as the 2015
example, placed at once) and `känd topp, fördröjning ur data` (the same, placed with the reference
window's lag from report to placement, `--unaccompanied-lag data`) — it reports per placement type the share of the 26 weeks in which the observed number
of children placed (open placements at the end of the week) lay inside the simulated 95 % band,
and the first week the 14-day limit broke in the model and in the data (the mean time from report
to decision of the reports that came in that week > 14 days), with the error in weeks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import polars as pl

from egenkontroll.core import costs, interchange, orgtree, planning, surge_plan
from egenkontroll.core import placements as PL
from egenkontroll.core.linking import report_kind

WEEKS = 26
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from egkbench import sections  # noqa: E402

SECTION = "backtest_planning"  # its part of RESULTS.md (egkbench/sections.py)
MARK_BEGIN, MARK_END = sections.markers(SECTION)


def observed_stock(placements: pl.DataFrame, days: list[dt.date]) -> dict[str, np.ndarray]:
    """Children placed at the end of each day, per placement type and all together."""
    out = {}
    for kind in [*PL.PLACEMENTS, "alla"]:
        rows = placements if kind == "alla" else placements.filter(pl.col("intervention") == kind)
        out[kind] = np.array([
            rows.filter((pl.col("start") <= d) & (pl.col("end").is_null() | (pl.col("end") > d))).height for d in days
        ])
    return out


def observed_break(links, reports: pl.DataFrame, as_of: dt.date) -> int | None:
    """First week after as_of whose reports waited > 14 days on average for their decision."""
    waits = reports.join(links.decisions, left_on="event_id", right_on="report_id", how="left")
    for week in range(1, WEEKS + 1):
        start = planning.week_start(as_of, week)
        rows = waits.filter(pl.col("date").is_between(start, start + dt.timedelta(days=6)))
        if rows.is_empty():
            continue
        days = (pl.col("decision_date").fill_null(dt.date.max) - pl.col("date")).dt.total_days()
        # undecided ever: counted as waiting until the end of the data
        mean = rows.select(pl.when(pl.col("decision_date").is_null()).then(
            (pl.lit(reports["date"].max()) - pl.col("date")).dt.total_days()).otherwise(days).mean()).item()
        if mean > planning.FB_LIMIT_DAYS:
            return week
    return None


def backtest(data: Path, as_of: dt.date, surge: tuple[dt.date, dt.date] | None, runs: int, unit: str | None):
    ds = interchange.read_dataset(data)
    events, org, staff = ds.events, ds.org_units, ds.caseworkers
    unit = unit or orgtree.roots(orgtree.flatten(org))[0]
    cut = events.filter(pl.col("date") <= as_of)
    evaluation = planning.evaluate(cut, as_of, list(planning.BACKLOG_RULES))
    baseline = planning.calibrate(cut, staff, org, unit, as_of, 26, evaluation=evaluation)
    calibration = surge_plan.calibrate_placements(
        evaluation.links, org, unit, as_of - dt.timedelta(days=7 * 52 - 1), as_of
    )
    full = planning.evaluate(events, events["date"].max(), list(planning.BACKLOG_RULES)).links
    inside = planning._unit_filter(org, unit)
    starts = full.events.select(pl.col("event_id").alias("start_id"), "unit_id")
    placed = full.placements.filter(pl.col("intervention").is_in(PL.PLACEMENTS)).join(starts, on="start_id").filter(inside)
    days = [planning.week_start(as_of, w) + dt.timedelta(days=6) for w in range(1, WEEKS + 1)]
    seen = observed_stock(placed, days)
    # anmälningar only: an ansökan or other information waits for no förhandsbedömning (issue 11)
    reports = full.events.filter((pl.col("event_type") == "anmalan") & (report_kind() == "anmalan") & inside).select(
        "event_id", "date")
    seen_break = observed_break(full, reports, as_of)
    scenarios = {"bas": planning.Scenario(weeks=WEEKS)}
    if surge and surge[0] > as_of:
        first = (surge[0] - planning.week_start(as_of, 1)).days // 7 + 1
        length = (surge[1] - surge[0]).days // 7 + 1
        known = planning.Surge(6, max(first, 1), length)
        scenarios["känd topp"] = planning.Scenario(weeks=WEEKS, unaccompanied=known)
        scenarios["känd topp, fördröjning ur data"] = planning.Scenario(
            weeks=WEEKS, unaccompanied=known, unaccompanied_lag=planning.LAG_FROM_DATA)
    prices = costs.load_prices()
    out = []
    for name, scenario in scenarios.items():
        outcome = surge_plan.outcome(baseline, calibration, scenario, prices, runs, seed=1)
        frame = outcome.placements
        coverage = {}
        for kind, actual in seen.items():
            rows = frame.filter(pl.col("placement") == kind).sort("week")
            low, high = rows["low"].to_numpy(), rows["high"].to_numpy()
            coverage[kind] = float(((actual >= low) & (actual <= high)).mean())
        model_break = planning.first_breaks(outcome.queue)["fb_14d_bryts"]
        out.append({
            "as_of": as_of, "unit": unit, "scenario": name, "coverage": coverage, "model_break": model_break,
            "seen_break": seen_break,
            "mean_abs_error_all": float(np.abs(frame.filter(pl.col("placement") == "alla").sort("week")["mean"].to_numpy()
                                               - seen["alla"]).mean()),
            "start_all": int(calibration.chain.stock.sum()), "end_seen_all": int(seen["alla"][-1]),
            "lag_median": calibration.lag_median if scenario.unaccompanied_lag else None,
            "end_model_all": float(frame.filter((pl.col("placement") == "alla") & (pl.col("week") == WEEKS))["mean"][0]),
        })
    return out


def table(results: list[dict], command: str) -> str:
    kinds = [*PL.PLACEMENTS, "alla"]
    lines = [
        MARK_BEGIN,
        "## Planering: backtest of placements and the 14-day break week",
        "",
        f"Written by `bench/backtest_planning.py` ({dt.date.today().isoformat()}): `{command}`. Data: "
        "`egenkontroll generate --scale city --seed 1 --start 2023-01-01 --surge` (surge September–December 2023). "
        f"Calibration: 26 weeks (queues) and 52 weeks (placements) up to *as_of*; {WEEKS} weeks projected; "
        "500 runs, seed 1. *Coverage*: share of the weeks the observed number placed lay inside the "
        "95 % band (a well-calibrated band: ≈ 95 %). *Break week*: first week the 14-day limit breaks, model vs data "
        "(data: mean days from report to decision of the week's anmälningar > 14; an ansökan waits for none); "
        "– = not within 26 weeks. *fördröjning ur data*: the unaccompanied surge placed with the reference "
        "window's lag from report to placement (`--unaccompanied-lag data`).",
        "",
        "| unit | as_of | scenario | " + " | ".join(kinds) + " | placed at start → week 26 seen / model | mean abs. error (all) | break week model / data / error |",
        "|---|---|---|" + "---|" * len(kinds) + "---|---|---|",
    ]
    for r in results:
        mb, sb = r["model_break"], r["seen_break"]
        error = f"{mb - sb:+d}" if mb is not None and sb is not None else "–"
        lines.append(
            f"| {r['unit']} | {r['as_of']} | {r['scenario']} | " + " | ".join(f"{r['coverage'][k]:.0%}" for k in kinds)
            + f" | {r['start_all']} → {r['end_seen_all']} / {r['end_model_all']:.0f} | {r['mean_abs_error_all']:.1f} | "
            f"{mb if mb is not None else '–'} / {sb if sb is not None else '–'} / {error} |"
        )
    lags = sorted({(r["unit"], str(r["as_of"]), r["lag_median"]) for r in results if r["lag_median"] is not None})
    if lags:
        lines += ["", "Median lag from report to placement of the unaccompanied children placed in the reference "
                  "window (weeks): " + "; ".join(f"{u} {a}: {m}" for u, a, m in lags) + "."]
    lines += ["", MARK_END]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    # --per and --enhet: the older Swedish names, as `egenkontroll planera` had them (docs/cli.md).
    parser.add_argument("--as-of", "--per", dest="as_of", action="append", required=True,
                        help="as_of, YYYY-MM-DD (repeatable)")
    parser.add_argument("--surge", default="2023-09-01:2023-12-31", help="the data's surge window FROM:TO")
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--unit", "--enhet", dest="unit", action="append", default=None,
                        help="unit_id (repeatable; default the root)")
    parser.add_argument("--write", type=Path, default=None, help="put the section into this Markdown file")
    args = parser.parse_args()
    surge = tuple(dt.date.fromisoformat(x) for x in args.surge.split(":")) if args.surge else None
    results = []
    for unit in args.unit or [None]:
        for day in args.as_of:
            results += backtest(args.data, dt.date.fromisoformat(day), surge, args.runs, unit)
    command = "python bench/backtest_planning.py " + " ".join(a if " " not in a else repr(a) for a in sys.argv[1:])
    section = table(results, command)
    print(section)
    if args.write:
        sections.write_section(args.write, SECTION, section)


if __name__ == "__main__":
    main()
