"""The child side: one measured step per process, `python -m egkbench.steps STEP PARAMS_JSON`.

Why a process per step: the peak resident memory the kernel reports (ru_maxrss) is per process,
so a step measured in its own process gets its own peak, not the largest of everything before
it. A step reads its inputs (untimed), runs the measured call `repeat` times, and writes a JSON
result file: every run's seconds, the step's peak RSS, and what it produced (counts).
Steps that compute the reference figure also write it as parquet so the parent can check that
every implementation gives the same numbers.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import polars as pl

from egkbench import reference as R
from egkbench.program import BENCH_KEY_HEX

PARSED = ("events", "org_units", "caseworkers")


def _dates(p: dict) -> tuple[dt.date, dt.date, dt.date]:
    return tuple(dt.date.fromisoformat(p[k]) for k in ("as_of", "period_from", "period_to"))


CPU: list[float] = []  # CPU seconds (user + system, all threads) of each timed call, beside its wall time


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(fn, repeat: int) -> tuple[list[float], object]:
    seconds, result = [], None
    for _ in range(max(1, repeat)):
        began, cpu = time.perf_counter(), _cpu()
        result = fn()
        seconds.append(time.perf_counter() - began)
        CPU.append(_cpu() - cpu)
    return seconds, result


def _parsed(work: Path) -> SimpleNamespace:
    """The dataset as read by the `read` step, from parquet (input loading is not timed)."""
    return SimpleNamespace(**{name: pl.read_parquet(work / f"{name}.parquet") for name in PARSED})


def _key() -> bytes:
    return bytes.fromhex(BENCH_KEY_HEX)


def step_baseline(p: dict) -> dict:
    """Imports what the steps import and does nothing: the RSS every step starts from."""
    import duckdb  # noqa: F401
    import pandas  # noqa: F401

    from egenkontroll.core import interchange, kpis, obligations  # noqa: F401

    return {"seconds": [0.0]}


def step_generate(p: dict) -> dict:
    from egenkontroll.core.synth.generate import generate

    factor = p.get("size_factor", 1.0)
    seconds, summary = _timed(lambda: generate(p["scale"], p["seed"], p["out"], size_factor=factor), 1)
    info = summary.as_dict()
    return {"seconds": seconds, "events": info["events"], "org_units": info["org_units"],
            "caseworkers": info["caseworkers"], "period": [str(info["start"]), str(info["end"])]}


def step_floor(p: dict) -> dict:
    seconds, rows = _timed(lambda: R.floor(Path(p["dataset"]) / "events.csv"), p["repeat"])
    return {"seconds": seconds, "rows": rows}


def step_read(p: dict) -> dict:
    from egenkontroll.core.interchange import read_dataset

    seconds, ds = _timed(lambda: read_dataset(p["dataset"], key=_key()), p["repeat"])
    work = Path(p["work"])
    for name in PARSED:
        getattr(ds, name).write_parquet(work / f"{name}.parquet")
    return {"seconds": seconds, "events": ds.events.height, "rejects": ds.rejects.height}


def step_obligations(p: dict) -> dict:
    from egenkontroll.core.obligations import evaluate

    as_of, _, _ = _dates(p)
    ds = _parsed(Path(p["work"]))
    seconds, ev = _timed(lambda: evaluate(ds.events, as_of), p["repeat"])
    return {"seconds": seconds, "events": ds.events.height, "obligations": ev.obligations.height}


def step_tree(p: dict) -> dict:
    """`kpis.tree` of every figure, with obligations and links computed first (untimed)."""
    from egenkontroll.core import kpis
    from egenkontroll.core.obligations import evaluate

    as_of, pf, pt = _dates(p)
    ds = _parsed(Path(p["work"]))
    ev = evaluate(ds.events, as_of)
    seconds, root = _timed(
        lambda: kpis.tree(ds.events, ev.obligations, ds.org_units, ds.caseworkers, pf, pt, as_of, links=ev.links),
        p["repeat"],
    )
    _write_figure(p, R.tree_to_frame(root))
    return {"seconds": seconds, "events": ds.events.height, "units": ds.org_units.height}


def step_egenkontroll_parsed(p: dict) -> dict:
    as_of, pf, pt = _dates(p)
    ds = _parsed(Path(p["work"]))
    seconds, figure = _timed(lambda: R.egenkontroll_figure(ds, as_of, pf, pt), p["repeat"])
    _write_figure(p, figure)
    return {"seconds": seconds}


def step_egenkontroll_csv(p: dict) -> dict:
    from egenkontroll.core.interchange import read_dataset

    as_of, pf, pt = _dates(p)
    seconds, figure = _timed(
        lambda: R.egenkontroll_figure(read_dataset(p["dataset"], key=_key()), as_of, pf, pt), p["repeat"]
    )
    _write_figure(p, figure)
    return {"seconds": seconds}


def step_duckdb_csv(p: dict) -> dict:
    as_of, pf, pt = _dates(p)
    dataset = Path(p["dataset"])
    con = R.duckdb_connection(dataset, R.holidays())
    source = R.duckdb_csv_source(dataset)
    seconds, figure = _timed(lambda: R.duckdb_figure(con, source, as_of, pf, pt), p["repeat"])
    _write_figure(p, figure)
    return {"seconds": seconds}


def step_duckdb_table(p: dict) -> dict:
    as_of, pf, pt = _dates(p)
    dataset = Path(p["dataset"])
    con = R.duckdb_connection(dataset, R.holidays())
    R.load_events_table(con, dataset)
    seconds, figure = _timed(lambda: R.duckdb_figure(con, "events", as_of, pf, pt), p["repeat"])
    _write_figure(p, figure)
    return {"seconds": seconds}


def step_naive(p: dict) -> dict:
    as_of, pf, pt = _dates(p)
    holiday_days = R.holidays()
    seconds, figure = _timed(lambda: R.naive(Path(p["dataset"]), as_of, pf, pt, holiday_days), p["repeat"])
    _write_figure(p, figure)
    return {"seconds": seconds}


def step_pages(p: dict) -> dict:
    from egkbench.web import time_pages

    return time_pages(p)


def step_profile_obligations(p: dict) -> dict:
    from egkbench.profiles import profile_obligations

    return profile_obligations(p, _parsed(Path(p["work"])))


def step_profile_figure(p: dict) -> dict:
    from egkbench.profiles import profile_figure

    return profile_figure(p, _parsed(Path(p["work"])))


def step_profile_import(p: dict) -> dict:
    from egkbench.profiles import profile_import

    return profile_import(p)


def step_profile_page(p: dict) -> dict:
    from egkbench.profiles import profile_page

    return profile_page(p)


def _write_figure(p: dict, figure: pl.DataFrame) -> None:
    if p.get("figure_out"):
        figure.write_parquet(p["figure_out"])


STEPS = {name.removeprefix("step_"): fn for name, fn in globals().items() if name.startswith("step_")}


def main(argv: list[str]) -> None:
    name, params = argv[0], json.loads(argv[1])
    result = STEPS[name](params)
    result["peak_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result["cpu_seconds"] = CPU
    Path(params["result"]).write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
