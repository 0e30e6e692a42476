"""Month-end evaluations in order: each in full, and carried forward from the previous month (issue 19).

    .venv/bin/python bench/carry_months.py --db sqlite:///bench/out/warm-steps-city/bench.sqlite3 [--months 24]

Why: the pages' warm-up evaluates the last day of every month of a two-year trend, in order, and
`Snapshot.evaluation` carries each forward from the previous one (`core.obligations.carry_forward`).
This times both ways on the stored events of a database (e.g. the one `warm_up_steps.py`
leaves) and checks that every carried evaluation equals the full one, frame for frame.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--months", type=int, default=24)
    args = parser.parse_args()
    os.environ.pop("EGK_WEB_CACHE_DIR", None)  # nothing read from or kept on disk
    from egenkontroll.cases.store import connect

    alias = connect(args.db)
    import polars as pl
    from polars.testing import assert_frame_equal

    from egenkontroll.core.obligations import carry_forward, evaluate
    from egenkontroll.pages import snapshot

    events = snapshot.current(alias).events
    last = events["date"].max()
    ends = []
    month = dt.date(last.year, last.month, 1)
    for _ in range(args.months):
        ends.insert(0, month - dt.timedelta(days=1))
        month = dt.date((month - dt.timedelta(days=1)).year, (month - dt.timedelta(days=1)).month, 1)
    total_full = total_carried = 0.0
    previous = None
    for end in ends:
        began = time.perf_counter()
        full = evaluate(events, end)
        in_full = time.perf_counter() - began
        if previous is None:
            carried, carrying = full, in_full
        else:
            began = time.perf_counter()
            carried = carry_forward(previous.obligations, previous.as_of, events, [], end)
            carrying = time.perf_counter() - began
            assert_frame_equal(carried.obligations, full.obligations, check_exact=True)
        since = previous.as_of if previous else end
        changed = events.filter(pl.col("date") > since)["case_id"].n_unique()
        total_full, total_carried, previous = total_full + in_full, total_carried + carrying, carried
        print(f"{end}  in full {in_full:6.2f} s  carried {carrying:6.2f} s  cases with later events {changed:,}")
    print(f"{len(ends)} month ends: in full {total_full:.1f} s, carried {total_carried:.1f} s (every one equal)")


if __name__ == "__main__":
    main()
