#!/usr/bin/env python3
"""`egenkontroll obligations` end to end against the CSV floor, side by side in one run (issue 19).

    PYTHONPATH=$PWD/src EGK_IMPORT_MAX_FILE_BYTES=4000000000 EGK_IMPORT_MAX_ROWS=20000000 \\
    EGK_IMPORT_MAX_UNPACKED_BYTES=8000000000 .venv/bin/python bench/national_obligations.py \\
        --data city=var/city --data national=var/national --rounds 2 [--write bench/RESULTS.md] \\
        [--src main=/path/to/main/src]

For each dataset and round, alternating, each in a fresh process (peak RSS of exactly that
child from `os.wait4`, CPU = user + system of that child):

- **floor**: Python's csv module iterating every row of events.csv (bench/egkbench/reference.py);
- **command**: `egenkontroll obligations --data DIR --as-of D` (read, validate, pseudonymise,
  evaluate, write the CSV to a file) — the whole command; with `--src LABEL=DIR` also
  **command (LABEL)**, the same command run from another source tree (PYTHONPATH=DIR) in the
  same round, and its output compared byte for byte with this tree's;
- **evaluate**: `obligations.evaluate` alone on the events the reader gave (read from a Parquet
  copy written once, untimed; the child's peak includes that read, its RSS before evaluating is
  shown as well).

The ratios divide medians of the same run, so a busy machine slows both sides. Per event
cost (µs/event) by dataset shows which step does not scale linearly.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from egkbench import sections  # noqa: E402

SECTION = "national_obligations"  # its part of RESULTS.md (egkbench/sections.py)
MARK_BEGIN, MARK_END = sections.markers(SECTION)

FLOOR = """
import csv, sys, time
t = time.perf_counter()
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = csv.reader(f); next(rows); n = sum(1 for _ in rows)
print({"seconds": time.perf_counter() - t, "rows": n})
"""
DUMP = """
import sys
from egenkontroll.core.interchange import read_dataset
ds = read_dataset(sys.argv[1])
ds.events.write_parquet(sys.argv[2])
"""
CLI = "from egenkontroll.cli import main; main()"  # what the `egenkontroll` script runs
EVALUATE = """
import datetime as dt, sys, time
import polars as pl
from egenkontroll.core.obligations import evaluate
def hwm():
    return int(dict(l.split(":", 1) for l in open("/proc/self/status"))["VmHWM"].split()[0]) // 1024
events = pl.read_parquet(sys.argv[1]).rechunk()
before = hwm()
t = time.perf_counter()
result = evaluate(events, dt.date.fromisoformat(sys.argv[2]))
print({"seconds": time.perf_counter() - t, "rows": result.obligations.height, "hwm_before_mib": before})
"""


def child(argv: list[str], stdout=subprocess.PIPE, env: dict | None = None) -> dict:
    began = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, env=env)
    _, status, rusage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - began
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{argv[:4]} failed: {err[-2000:]}")
    info = eval(out.strip().splitlines()[-1]) if out.strip() else {}  # noqa: S307 - our own child's dict
    return {"wall": wall, "seconds": info.get("seconds", wall), "cpu": rusage.ru_utime + rusage.ru_stime,
            "peak_mib": rusage.ru_maxrss / 1024, **{k: v for k, v in info.items() if k != "seconds"}}


def _digest(path: Path) -> str:
    """The file's SHA-256, read in chunks: the bench process must stay small, since a child's peak
    RSS (ru_maxrss) counts the parent's pages it was forked with."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def measure(name: str, data: Path, as_of: str, rounds: int, work: Path, sources: list[tuple[str, str]] = ()) -> dict:
    py = sys.executable
    parquet = work / f"{name}-events.parquet"
    child([py, "-c", DUMP, str(data), str(parquet)])
    runs: dict[str, list[dict]] = {"floor": [], "command": [], **{f"command ({label})": [] for label, _ in sources},
                                   "evaluate": []}
    for r in range(rounds):
        runs["floor"].append(child([py, "-c", FLOOR, str(data / "events.csv")]))
        with open(work / f"{name}-obligations.csv", "wb") as out:
            runs["command"].append(child([py, "-c", CLI, "obligations", "--data", str(data),
                                          "--as-of", as_of], stdout=out))
        for label, src in sources:
            other = work / f"{name}-obligations-{label}.csv"
            with open(other, "wb") as out:
                runs[f"command ({label})"].append(child(
                    [py, "-c", CLI, "obligations", "--data", str(data), "--as-of", as_of], stdout=out,
                    env={**os.environ, "PYTHONPATH": src},
                ))
            if _digest(other) != _digest(work / f"{name}-obligations.csv"):
                raise RuntimeError(f"{name}: the obligations of {label} differ from this tree's")
            other.unlink()
        runs["evaluate"].append(child([py, "-c", EVALUATE, str(parquet), as_of]))
        print(f"[{name} round {r + 1}] " + ", ".join(
            f"{k} {v[-1]['seconds']:.1f}s/{v[-1]['peak_mib']:.0f}MiB" for k, v in runs.items()), flush=True)
    parquet.unlink(missing_ok=True)
    return {"rows": runs["floor"][0]["rows"], "obligations": runs["evaluate"][0]["rows"], "runs": runs,
            "load": os.getloadavg()[0]}


def render(results: dict, command: str) -> str:
    lines = [
        MARK_BEGIN,
        "## Issue 19: `egenkontroll obligations` end to end against the CSV floor",
        "",
        f"Written by `bench/national_obligations.py` ({results['when']}): `{command}`. "
        "Floor, command and evaluate alternate, each in a fresh process, in the same run; the median of the "
        "rounds is shown and the ratios divide medians of this run. Targets (issue 19): command ≤ 3× the floor "
        "and < 4 GB peak at national scale, evaluate ≤ 2× the floor. The machine is shared (2 cores): *load* is "
        "the 1-minute load average at the end.",
        "",
        "| data | events | step | median s | runs s | CPU s | peak MiB | µs/event | ÷ floor | CPU ÷ floor CPU |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, res in results["data"].items():
        floor = statistics.median(r["seconds"] for r in res["runs"]["floor"])
        floor_cpu = statistics.median(r["cpu"] for r in res["runs"]["floor"])
        for step, runs in res["runs"].items():
            med = statistics.median(r["seconds"] for r in runs)
            peak = max(r["peak_mib"] for r in runs)
            extra = f" (before: {max(r['hwm_before_mib'] for r in runs)})" if step == "evaluate" else ""
            each = " / ".join(f"{r['seconds']:.1f}" for r in runs)
            cpu = statistics.median(r["cpu"] for r in runs)
            lines.append(
                f"| {name} | {res['rows']:,} | {step} | {med:.2f} | {each} | {cpu:.1f} | {peak:.0f}{extra} | "
                f"{med / res['rows'] * 1e6:.2f} | {med / floor:.2f}× | {cpu / floor_cpu:.2f}× |"
            )
        lines.append(f"| {name} | | *load at end* | {res['load']:.1f} | | | | | | |")
    lines += ["", "*median s*: the floor and evaluate are timed inside their process; the command is the wall time "
              "of the whole process (interpreter start and imports included). *CPU s*: user + system time of the whole "
              "process, all threads: on a crowded machine the wall time of polars' parallel steps grows far more than "
              "their CPU time, so *CPU ÷ floor CPU* is the steadier comparison. *evaluate* peak includes reading the "
              "events from Parquet in that process; *before* is its peak before evaluating.", MARK_END, ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", action="append", required=True, help="NAME=DIR (repeatable, smallest first)")
    ap.add_argument("--as-of", default="2026-12-05")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--work", type=Path, default=BENCH / "out" / "national_obligations")
    ap.add_argument("--write", type=Path, help="write the marked section into this Markdown file")
    ap.add_argument("--render", type=Path, help="only render the section from this results.json")
    ap.add_argument("--src", action="append", default=[],
                    help="LABEL=DIR: also run the command from this source tree, side by side (repeatable)")
    args = ap.parse_args()
    if args.render:
        results = json.loads(args.render.read_text(encoding="utf-8"))
        section = render(results, results.get("command", ""))
        print(section)
        if args.write:
            sections.write_section(args.write, SECTION, section)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    command = " ".join(["bench/national_obligations.py", *sys.argv[1:]])
    results = {"when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "command": command, "data": {}}
    for spec in args.data:
        name, _, folder = spec.partition("=")
        sources = [tuple(s.split("=", 1)) for s in args.src]
        results["data"][name] = measure(name, Path(folder), args.as_of, args.rounds, args.work, sources)
        (args.work / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    section = render(results, command)
    print(section)
    if args.write:
        sections.write_section(args.write, SECTION, section)


if __name__ == "__main__":
    main()
