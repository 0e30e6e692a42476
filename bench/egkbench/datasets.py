"""Synthetic datasets for the benchmark, generated once per scale and seed and kept in bench/data/.

Why a cache with the generator's fingerprint: a national dataset takes a while to write, so it
is reused between runs, but only while the generator's source is unchanged; otherwise the
figures would describe data the current generator no longer makes. The generation time and
memory measured when the dataset was written are kept beside it (meta.json) and reported.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

from egkbench.measure import Measurement, run_step

# A fixed period keeps the data and the figures the same whatever day the benchmark runs:
# three years from START, key figures for the last of them, evaluated on its last day.
START = dt.date(2022, 1, 1)
AS_OF = dt.date(2024, 12, 31)
PERIOD = (dt.date(2024, 1, 1), dt.date(2024, 12, 31))


def generator_fingerprint() -> str:
    """sha256 over the generator's source files, so a changed generator means new data."""
    import egenkontroll.core.synth as synth

    digest = hashlib.sha256()
    for path in sorted(Path(synth.__path__[0]).glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def dataset(data_dir: Path, work: Path, scale: str, seed: int) -> tuple[Path, Measurement, bool]:
    """(dataset directory, the generate measurement, whether it came from the cache)."""
    target = data_dir / f"{scale}-seed{seed}"
    meta_path = target / "meta.json"
    fingerprint = generator_fingerprint()
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("fingerprint") == fingerprint and (target / "events.csv").is_file():
            m = meta["generate"]
            return target, Measurement("generate", m["seconds"], m["peak_rss_mib"], m["wall_seconds"], m["info"]), True
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    params = {"scale": scale, "seed": seed, "out": str(target), "start": START.isoformat(), "repeat": 1}
    measured = run_step("generate", params, work)
    meta = {"scale": scale, "seed": seed, "start": START.isoformat(), "fingerprint": fingerprint,
            "generated": dt.datetime.now().isoformat(timespec="seconds"), "generate": measured.as_dict()}
    meta_path.write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return target, measured, False
