"""The nightly delta import beside the CSV floor, in one run (issue 19).

A municipality imports its whole export every night, and about 0.1 % of the rows are new or
changed (one day of events at city scale). Target: `egenkontroll import` of that export, with the
pages' data refreshed (the warm-up the command runs after the import), in at most 2× the time
Python's csv module needs to parse the export's events.csv.

For each database: empty it and migrate, import *yesterday's* export (the same data without its
last days, byte for byte the same lines otherwise) with the warm-up, untimed; then time the csv
floor on today's export, the delta import of today's export (wall time of the command, warm-up
included: what the nightly job pays), and the floor again. The ratio is the import's wall time
over the median of the floors around it.

    .venv/bin/python bench/delta_import.py --scale city [--no-postgres] [--write bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import shlex
import shutil
import statistics
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from egkbench import databases, datasets, sections  # noqa: E402
from egkbench.measure import run_command, run_step  # noqa: E402

SECTION = "delta_import"  # its part of RESULTS.md (egkbench/sections.py)
MARK_BEGIN, MARK_END = sections.markers(SECTION)
SHARE = 0.001  # the share of the export's rows that yesterday's export lacks
LIMIT = 2.0  # the target: delta import with refresh ≤ 2× the csv floor


def previous_export(full: Path, out: Path, share: float = SHARE) -> dict:
    """Write yesterday's export: today's without the events of its last days (at least `share`
    of the rows), every other line byte for byte the same. Returns what was left out."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    # Every other file as it is (org units, caseworkers and the optional staffing and population):
    # a file missing yesterday would make today's import change the tree and redo every figure.
    for other in sorted(full.glob("*.csv")):
        if other.name != "events.csv":
            shutil.copyfile(other, out / other.name)
    with open(full / "events.csv", encoding="utf-8", newline="") as handle:
        lines = handle.readlines()
    column = lines[0].rstrip("\r\n").split(",").index("date")
    dates = [row[column] for row in csv.reader(lines[1:])]
    per_day: dict[str, int] = {}
    for day in dates:
        per_day[day] = per_day.get(day, 0) + 1
    cut, dropped = max(per_day), 0
    for day in sorted(per_day, reverse=True):
        cut, dropped = day, dropped + per_day[day]
        if dropped >= share * len(dates):
            break
    with open(out / "events.csv", "w", encoding="utf-8", newline="") as handle:
        handle.write(lines[0])
        handle.writelines(line for line, day in zip(lines[1:], dates, strict=True) if day < cut)
    return {"rows": len(dates), "new_rows": dropped, "from": cut, "to": max(per_day)}


def _env(cache: Path, src: Path | None = None) -> dict:
    env = {"EGK_PSEUDONYM_KEY": databases.BENCH_KEY_HEX, "EGK_PSEUDONYM_KEY_FILE": "",
           "EGK_WEB_CACHE_DIR": str(cache)}
    return {**env, "PYTHONPATH": str(src)} if src else env


def _import(url: str, dataset: Path, work: Path, label: str, cache: Path,
            src: Path | None = None) -> tuple[float, float, dict]:
    """`egenkontroll import` with its warm-up; (wall s, CPU s, the JSON summary)."""
    argv = [*databases.cli(), "import", str(dataset), "--db", url, "--format", "json", "--no-progress"]
    status, wall, _, out, cpu = run_command(argv, work / f"delta-{label}.log", env=_env(cache, src))
    if status not in (0, 2):
        err = (work / f"delta-{label}.err").read_text(encoding="utf-8", errors="replace")
        raise RuntimeError(f"import {label} failed (status {status}): {err[-400:]}")
    return wall, cpu, json.loads(out)


def _floor(full: Path, work: Path) -> float:
    return run_step("floor", {"dataset": str(full), "work": str(work), "repeat": 1}, work).median


def measure(label: str, reset, url: str, full: Path, previous: Path, work: Path, src: Path | None = None) -> dict:
    """One database with one checkout (`src`: another checkout's src/, the baseline; None: this one)."""
    cache = work / f"cache-{label}"
    shutil.rmtree(cache, ignore_errors=True)
    reset()
    if src:
        run_command([*databases.cli(), "migrate", "--db", url], work / f"migrate-{label}.log", env=_env(cache, src))
    else:
        databases.migrate(url, work, f"delta-{label}")
    print(f"[delta] {label}: yesterday's export with warm-up (untimed)", flush=True)
    _import(url, previous, work, f"{label}-yesterday", cache, src)
    print(f"[delta] {label}: floor, delta import with warm-up, floor", flush=True)
    floors = [_floor(full, work)]
    wall, cpu, summary = _import(url, full, work, f"{label}-today", cache, src)
    floors.append(_floor(full, work))
    floor = statistics.median(floors)
    keep = ("rows_read", "imported", "updated", "unchanged", "affected_cases", "obligations", "duration_seconds")
    return {"database": label, "floors": floors, "floor": floor, "wall": wall, "cpu": cpu,
            "ratio": wall / floor, "load": os.getloadavg()[0], **{k: summary.get(k) for k in keep}}


def section(results: list[dict], left_out: dict, command: str) -> str:
    started = dt.datetime.now().isoformat(timespec="seconds")
    lines = [
        MARK_BEGIN,
        "## Nightly delta import beside the CSV floor (issue 19)",
        "",
        f"Written by `bench/delta_import.py` on {started}: `{command}`. Today's export: "
        f"{left_out['rows']:,} events; yesterday's lacked the {left_out['new_rows']:,} dated "
        f"{left_out['from']} – {left_out['to']} ({left_out['new_rows'] / left_out['rows']:.2%}). "
        "Wall time of `egenkontroll import` with its warm-up (the pages' data refreshed), interpreter "
        "start included; the floor is the csv module iterating today's events.csv, measured before and "
        "after the import (median). `import s` is the command's own clock without the warm-up. A row "
        "marked *(baseline)* ran another checkout (`--baseline`, its src/ named in the command) on the "
        "same database, just before.",
        "",
        "| database | floor s | delta import + refresh s | ÷ floor | target ≤ 2× | import s | CPU s | "
        "new | changed | unchanged | cases | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        verdict = "**PASS**" if r["ratio"] <= LIMIT else "**FAIL**"
        lines.append(
            f"| {r['database']} | {r['floor']:.2f} | {r['wall']:.1f} | {r['ratio']:.1f}× | {verdict} | "
            f"{r['duration_seconds']:.1f} | {r['cpu']:.1f} | {r['imported']:,} | {r['updated']:,} | "
            f"{r['unchanged']:,} | {r['affected_cases']:,} | {r['load']:.1f} |"
        )
    lines += ["", MARK_END]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="city")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--data", type=Path, default=BENCH / "data")
    parser.add_argument("--out", type=Path, default=BENCH / "out")
    parser.add_argument("--write", type=Path, default=None, help="put the section into this Markdown file")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another checkout's src/ (e.g. main before issue 19), measured first on each database")
    args = parser.parse_args()
    work = args.out / f"delta-{args.scale}"
    work.mkdir(parents=True, exist_ok=True)
    full, _, _, _ = datasets.dataset(args.data, work, args.scale, args.seed)
    left_out = previous_export(full, work / "yesterday")
    targets = [("sqlite", lambda: databases.reset_sqlite(work), databases.sqlite_url(work))]
    if not args.no_postgres:
        targets.append(("postgresql", lambda: databases.reset_postgres(args.postgres, "egk_bench"),
                        databases.postgres_url(args.postgres, "egk_bench")))
    results = []
    for label, reset, url in targets:
        if args.baseline:
            results.append(measure(f"{label} (baseline)", reset, url, full, work / "yesterday", work,
                                   args.baseline.resolve()))
        results.append(measure(label, reset, url, full, work / "yesterday", work))
    text = section(results, left_out, shlex.join([".venv/bin/python", "bench/delta_import.py", *sys.argv[1:]]))
    print(text)
    if args.write:
        sections.write_section(args.write, SECTION, text)


if __name__ == "__main__":
    main()
