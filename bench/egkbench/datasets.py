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
from dataclasses import dataclass
from pathlib import Path

from egkbench.measure import Measurement, run_step

# The data ends yesterday, as a nightly export does, because the web pages show the current
# period by default; a cached dataset is reused for a week (its last days then lack events,
# which barely changes any figure) and regenerated after that.
MAX_AGE_DAYS = 7

# Bench scale → (generator scale, size_factor). national2x is the national organisation with
# twice the reports: the point past national that shows which steps do not grow linearly.
SCALES = {"small": ("small", 1.0), "city": ("city", 1.0), "national": ("national", 1.0),
          "national2x": ("national", 2.0)}

# The import limits (core/import_limits.py) default to a city's export; reading the national
# datasets needs them raised. Set for the bench's children unless the environment sets them.
LIMITS_ENV = {
    "national": {"EGK_IMPORT_MAX_FILE_BYTES": "4000000000", "EGK_IMPORT_MAX_ROWS": "20000000",
                 "EGK_IMPORT_MAX_UNPACKED_BYTES": "8000000000"},
    "national2x": {"EGK_IMPORT_MAX_FILE_BYTES": "8000000000", "EGK_IMPORT_MAX_ROWS": "40000000",
                   "EGK_IMPORT_MAX_UNPACKED_BYTES": "16000000000"},
}


def limits_env(scales: list[str]) -> dict[str, str]:
    """The raised import limits the largest of `scales` needs (empty for small and city)."""
    for scale in ("national2x", "national"):
        if scale in scales:
            return dict(LIMITS_ENV[scale])
    return {}


@dataclass(frozen=True)
class Period:
    """The dataset's span; key figures are for its last 365 days, evaluated on its last day."""

    start: dt.date
    end: dt.date

    @property
    def as_of(self) -> dt.date:
        return self.end

    @property
    def kpi_from(self) -> dt.date:
        return self.end - dt.timedelta(days=364)


def generator_fingerprint() -> str:
    """sha256 over the generator's source files, so a changed generator means new data."""
    import egenkontroll.core.synth as synth

    digest = hashlib.sha256()
    for path in sorted(Path(synth.__path__[0]).glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def dataset(data_dir: Path, work: Path, scale: str, seed: int) -> tuple[Path, Measurement, bool, Period]:
    """(dataset directory, the generate measurement, whether it came from the cache, its period)."""
    target = data_dir / f"{scale}-seed{seed}"
    meta_path = target / "meta.json"
    generator_scale, size_factor = SCALES[scale]
    fingerprint = generator_fingerprint()
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        age = dt.date.today() - dt.date.fromisoformat(meta["generated"][:10])
        if meta.get("fingerprint") == fingerprint and age.days <= MAX_AGE_DAYS and (target / "events.csv").is_file():
            m = meta["generate"]
            measured = Measurement("generate", m["seconds"], m["peak_rss_mib"], m["wall_seconds"], m["info"],
                                   m.get("cpu_seconds", []))
            return target, measured, True, _period(measured)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    measured = run_step("generate", {"scale": generator_scale, "size_factor": size_factor, "seed": seed,
                                     "out": str(target)}, work)
    meta = {"scale": scale, "seed": seed, "size_factor": size_factor, "fingerprint": fingerprint,
            "generated": dt.datetime.now().isoformat(timespec="seconds"), "generate": measured.as_dict()}
    meta_path.write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return target, measured, False, _period(measured)


def _period(measured: Measurement) -> Period:
    start, end = (dt.date.fromisoformat(d) for d in measured.info["period"])
    return Period(start, end)
