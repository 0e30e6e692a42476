"""Time each step of the pages' refresh after a nightly delta import (issue 19), one line per step.

    .venv/bin/python bench/warm_up_steps.py [--scale city] [--seed 1]
    .venv/bin/python bench/warm_up_steps.py --db postgresql://…/egk_national --cache var/cache-x

Why: `bench/delta_import.py` gives the refresh as one number inside the import command's wall
time; this says where it goes. Into a fresh SQLite database: yesterday's export (the one
`delta_import.py` writes: today's without its last days) imported with its warm-up, today's
imported without, then `overview.warmup.warm_up` run in this process with each step timed —
exactly the steps `egenkontroll import` runs after the import. Steps on months before the
changed days are carried over from yesterday's cache (0.01 s); the rest are computed. With
`--db`, the warm-up of that database as it is (a first import made with `--no-warm-up`: every
step computed), into an emptied `--cache`; each line also gives the process's peak memory so far.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from delta_import import previous_export  # noqa: E402
from egkbench import databases, datasets  # noqa: E402
from egkbench.measure import run_command  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="city")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, default=BENCH / "data")
    parser.add_argument("--out", type=Path, default=BENCH / "out")
    parser.add_argument("--db", default=None, help="time the warm-up of this database as it is (no import; "
                        "e.g. a national first import made with --no-warm-up) into --cache")
    parser.add_argument("--cache", type=Path, default=None, help="with --db: the cache folder (emptied first)")
    args = parser.parse_args()
    if args.db:
        if args.cache is None:
            parser.error("--db needs --cache")
        shutil.rmtree(args.cache, ignore_errors=True)
        os.environ.update({"EGK_PSEUDONYM_KEY": databases.BENCH_KEY_HEX, "EGK_PSEUDONYM_KEY_FILE": "",
                           "EGK_WEB_CACHE_DIR": str(args.cache)})
        timed_warm_up(args.db)
        return
    work = args.out / f"warm-steps-{args.scale}"
    work.mkdir(parents=True, exist_ok=True)
    full, _, _, _ = datasets.dataset(args.data, work, args.scale, args.seed)
    left_out = previous_export(full, work / "yesterday")
    cache = work / "cache"
    env = {"EGK_PSEUDONYM_KEY": databases.BENCH_KEY_HEX, "EGK_PSEUDONYM_KEY_FILE": "", "EGK_WEB_CACHE_DIR": str(cache)}
    os.environ.update(env)
    databases.reset_sqlite(work)
    url = databases.sqlite_url(work)
    databases.migrate(url, work, "warm-steps")
    for label, dataset, warm in (("yesterday", work / "yesterday", []), ("today", full, ["--no-warm-up"])):
        argv = [*databases.cli(), "import", str(dataset), "--db", url, "--format", "json", "--no-progress", *warm]
        status, wall, _, _, _ = run_command(argv, work / f"import-{label}.log", env=env)
        if status not in (0, 2):
            raise SystemExit(f"import of {label} failed ({status}): see {work / f'import-{label}.err'}")
        print(f"import {label}: {wall:.1f} s", flush=True)
    print(f"today adds {left_out['new_rows']:,} of {left_out['rows']:,} events ({left_out['from']} – {left_out['to']})")
    timed_warm_up(url)


def _peak_mib() -> float:
    """This process's peak resident set so far (VmHWM), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed_warm_up(url: str) -> None:
    """`warm_up` of the database at `url` in this process, each step timed, with the peak memory."""
    from egenkontroll.cases.store import connect

    alias = connect(url)  # sets Django up: only then can the pages' modules be imported
    from egenkontroll.overview.warmup import warm_up

    last = {"at": time.perf_counter(), "step": None}
    times: list[tuple[str, float, float]] = []

    def report(text: str) -> None:
        now = time.perf_counter()
        if last["step"]:
            times.append((last["step"], now - last["at"], _peak_mib()))
        last.update(at=now, step=text)

    began = time.perf_counter()
    warm_up(alias, report=report)
    times.append((last["step"], time.perf_counter() - last["at"], _peak_mib()))
    for step, seconds, peak in times:
        print(f"{seconds:7.2f} s  {peak:7.0f} MiB peak  {step}")
    print(f"{time.perf_counter() - began:7.2f} s  {_peak_mib():7.0f} MiB peak  the whole refresh ({len(times)} steps)")


if __name__ == "__main__":
    main()
