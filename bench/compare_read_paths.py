#!/usr/bin/env python3
"""Check that reading a folder in parts gives what the whole-file path gives (issue 19).

    PYTHONPATH=$PWD/src .venv/bin/python bench/compare_read_paths.py var/national [--part-bytes N]
    PYTHONPATH=$PWD/src .venv/bin/python bench/compare_read_paths.py var/city --damage var/city-damaged

Reads DIR with `validate(read_tables(DIR))` (the whole-file path) and with `read_dataset(DIR)`,
and compares every frame exactly, the warnings, encodings, file hashes, rows read and rejected
unit ids; prints the times. `--part-bytes` forces parts of that size whatever the file's size.
`--damage OUT` first writes a copy of DIR to OUT with damage every 997th events row (bad dates,
repeated ids, bad checksums, unknown units, quoted line breaks, control characters, blank rows,
a value in an unnamed column, a last row cut short) and compares on that copy.
Figures: bench/RESULTS.md (issue 19 section). National needs the EGK_IMPORT_MAX_* limits raised.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import time
from pathlib import Path

from polars.testing import assert_frame_equal

from egenkontroll.core import csv_stream
from egenkontroll.core import interchange as ic


def damage(source: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    rng = random.Random(7)
    lines = (source / "events.csv").read_text(encoding="utf-8").split("\n")
    out, ids = [lines[0] + ",,extra"], []
    for i, line in enumerate(lines[1:], start=1):
        if not line:
            continue
        f = line.split(",")
        ids.append(f[0])
        if i % 997 == 0:
            k = rng.randrange(10)
            if k == 0:
                f[5] = "2024-02-30"
            elif k == 1:
                f[0] = rng.choice(ids[:-1])  # a repeated event_id
            elif k == 2:
                f[2] = f[2][:-1] + "0"  # checksum
            elif k == 3:
                f[6] = "X" + f[6]  # unknown unit
            elif k == 4:
                f[9] = '"bad\nvalue"'  # a quoted line break
            elif k == 5:
                f[13] = "granne"
            elif k == 6:
                f[5] = "1850-01-01"
            elif k == 7:
                f[0] = f[0] + "\x01"
            elif k == 8:
                out += ["", " , ,"]  # blank rows before
            else:
                f = [*f, "", "x"]  # a value in the unnamed column
        out.append(",".join(f))
    out.append(out[5].split(",")[0] + ",C,")  # a late repeat, cut short
    (target / "events.csv").write_text("\n".join(out), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--part-bytes", type=int)
    ap.add_argument("--damage", type=Path, help="write a damaged copy here and compare on it")
    args = ap.parse_args()
    folder = args.folder
    if args.damage:
        damage(folder, args.damage)
        folder = args.damage
    if args.part_bytes:
        csv_stream.PART_BYTES, csv_stream.PARTS_FROM_BYTES = args.part_bytes, 0
    key, ref = b"k" * 32, dt.date(2026, 12, 5)
    t = time.perf_counter()
    old = ic.validate(ic.read_tables(folder), key=key, reference_date=ref)
    t_old = time.perf_counter() - t
    t = time.perf_counter()
    new = ic.read_dataset(folder, key=key, reference_date=ref)
    t_new = time.perf_counter() - t
    for name in ("org_units", "caseworkers", "events", "rejects", "staffing", "population"):
        a, b = getattr(old, name), getattr(new, name)
        if a is None or b is None:
            assert a is b, name
        else:
            assert_frame_equal(a, b, check_exact=True)
    for name in ("warnings", "encodings", "files", "rows_read", "rejected_unit_ids"):
        assert getattr(old, name) == getattr(new, name), name
    print(f"same: {new.events.height} events, {new.rejects.height} rejects, {len(new.warnings)} warnings; "
          f"whole {t_old:.1f} s, read_dataset {t_new:.1f} s")


if __name__ == "__main__":
    main()
