"""kill -9 in the middle of an import leaves the database exactly as before; a re-run completes.

The import runs as a real subprocess with small write batches and a progress line per batch,
so the test can kill it while it is writing events (a few batches in), and again while it is
writing obligations (all events already written inside the transaction).
"""

from __future__ import annotations

import json
import signal

from tests.cases.cli import egenkontroll, snapshot, start
from tests.cases.factory import city, city_size, write_dataset

# (phase, how many of its batches must have been written before the kill)
KILL_AT = (("Skriver händelser", 3), ("Skriver skyldigheter", 1))


def kill_when(phase: str, batches: int, *args, cwd) -> int:
    process = start(*args, cwd=cwd, EGK_IMPORT_BATCH_ROWS="200")
    written = 0
    for line in process.stderr:
        written += line.startswith(f"[import] {phase} ") and "/" in line
        if written == batches:
            process.send_signal(signal.SIGKILL)
            break
    process.stderr.close()
    return process.wait(timeout=60)


def test_a_killed_import_changes_nothing_and_the_next_run_completes(database_url, tmp_path):
    seed = write_dataset(tmp_path / "seed", city(30))
    assert egenkontroll("import", seed, "--db", database_url, cwd=tmp_path).returncode == 0
    before = snapshot(database_url)
    assert (before["cases_event"], before["cases_importrun"]) == (city_size(30), 1)

    rows = [dict(r, outcome="insats") if r["event_id"] == "C1-x" else r for r in city(300)]
    bigger = write_dataset(tmp_path / "bigger", rows)
    for phase, batches in KILL_AT:
        code = kill_when(phase, batches, "import", bigger, "--db", database_url, "--progress", cwd=tmp_path)
        assert code == -signal.SIGKILL, f"the import ended by itself before {batches} batches of '{phase}'"
        assert snapshot(database_url) == before

    done = egenkontroll("import", bigger, "--db", database_url, "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    after = snapshot(database_url)
    assert (after["cases_event"], after["cases_case"], after["cases_importrun"], after["cases_eventrevision"]) == (
        city_size(300), 300, 2, 1,
    )
    summary = json.loads(done.stdout)
    assert (summary["imported"], summary["updated"], summary["unchanged"]) == (
        city_size(300) - city_size(30), 1, city_size(30) - 1,
    )
