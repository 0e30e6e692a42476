"""Profile one import step by step: wall time, RSS and peak RSS (VmHWM) before and after each step.

    PYTHONPATH=src .venv/bin/python bench/profile_import_phases.py DATABASE_URL DATASET_DIR

Wraps the importer's functions (reading, hashing, diff, each bulk write, the rules engine,
checks, ANALYZE) and prints one line as each starts and ends. With DUMP_DIR set, the first run
saves what `read_dataset` returned as parquet there and later runs load it instead of reading
the files, so the storing part can be measured again in seconds, without the reading. The
database must be empty and migrated for a first-import figure (`egenkontroll migrate --db`).
Figures are in bench/RESULTS.md (national first import on PostgreSQL, issue 19).
"""

from __future__ import annotations

import functools
import os
import pickle
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("EGK_PSEUDONYM_KEY", "6567656e6b6f6e74726f6c6c2d62656e63686d61726b2d6b65792d3332627974")
os.environ.setdefault("EGK_PSEUDONYM_KEY_FILE", "")

START = time.monotonic()
FRAMES = ("org_units", "caseworkers", "events", "rejects")
META = ("warnings", "encodings", "files", "rows_read", "rejected_unit_ids")


def memory() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in MiB."""
    found = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(("VmRSS", "VmHWM")):
                key, value = line.split(":")
                found[key] = int(value.split()[0]) // 1024
    return found


def log(message: str) -> None:
    now = memory()
    print(f"{time.monotonic() - START:8.1f}s rss={now['VmRSS']:6d} hwm={now['VmHWM']:6d} {message}", flush=True)


def wrap(module, name: str) -> None:
    function = getattr(module, name)

    @functools.wraps(function)
    def timed(*args, **kwargs):
        started = time.monotonic()
        log(f"> {name} {args[1] if name == 'write_frame' else ''}")
        result = function(*args, **kwargs)
        log(f"< {name} {time.monotonic() - started:.1f}s")
        return result

    setattr(module, name, timed)


class Reporter:
    def phase(self, title: str, total: int | None = None) -> None:
        log(f"PHASE {title}")

    def advance(self, n: int) -> None:
        pass


def cached_read(importer, directory: Path) -> None:
    """Serve `_read` from parquet in `directory`, or save the real read there on the first run."""
    import polars as pl

    from egenkontroll.core.interchange import Dataset

    if (directory / "meta.pickle").exists():
        def from_parquet(path, profile, key, limits):
            meta = pickle.loads((directory / "meta.pickle").read_bytes())  # noqa: S301 (our own file)
            return Dataset(**{f: pl.read_parquet(directory / f"{f}.parquet") for f in FRAMES}, **meta), None

        importer._read = from_parquet
        wrap(importer, "_read")
        return
    real = importer._read

    def saving(*args, **kwargs):
        dataset, conversion = real(*args, **kwargs)
        directory.mkdir(parents=True, exist_ok=True)
        for name in FRAMES:
            getattr(dataset, name).write_parquet(directory / f"{name}.parquet")
        (directory / "meta.pickle").write_bytes(pickle.dumps({k: getattr(dataset, k) for k in META}))
        log("dataset saved")
        return dataset, conversion

    importer._read = saving


def main() -> None:
    url, path = sys.argv[1], sys.argv[2]
    from egenkontroll.cases.store import connect

    alias = connect(url)
    from egenkontroll.cases import derive, importer, marks, rejects

    for name in ("_read", "_diff", "_clear_affected", "_write_events", "_recompute_cases", "evaluate",
                 "write_frame", "run_checks", "_analyse", "_without_retired", "_open_run"):
        wrap(importer, name)
    for name in ("content_hashes", "case_rows", "obligation_rows", "person_rows", "event_rows"):
        wrap(derive, name)
    wrap(marks, "lapse_contradicted")
    wrap(rejects, "write")
    if os.environ.get("DUMP_DIR"):
        cached_read(importer, Path(os.environ["DUMP_DIR"]))
    summary = importer.run_import(path, using=alias, reporter=Reporter())
    log(f"DONE imported={summary.imported} updated={summary.updated} unchanged={summary.unchanged} "
        f"obligations={summary.obligations} rejected={summary.rejected}")
    print("ru_maxrss MiB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)


if __name__ == "__main__":
    main()
