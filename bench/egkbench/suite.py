"""Everything measured at one scale, in one run, in a fixed order.

Order matters on a shared two-core machine: the reference implementations run right after
Egenkontroll's own steps at the same scale, so they see the same machine load, and the web
pages are timed right after the city import, on the databases that import filled.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from egkbench import databases, datasets, program, reference, report
from egkbench.measure import Measurement, MemoryCapReached, StepFailed, run_command, run_step

# How many times each in-process step runs at each scale (the median is reported).
REPEATS = {"small": 5, "city": 3, "national": 1, "national2x": 1}
# The steps of the scaling curve (issue 19): everything that needs no database.
SCALING_STEPS = ("generate", "floor", "read", "obligations", "tree", "command")
# The reference implementations, their step names and how they are labelled in RESULTS.md.
REFERENCES = {
    "ref-egenkontroll-csv": "egenkontroll_csv",
    "ref-egenkontroll-parsed": "egenkontroll_parsed",
    "ref-duckdb-csv": "duckdb_csv",
    "ref-duckdb-table": "duckdb_table",
    "ref-naive": "naive",
}


@dataclass
class Options:
    seed: int
    quick: bool
    postgres: str | None  # server URL without database, or None to skip PostgreSQL
    naive_national: bool
    data_dir: Path
    out_dir: Path
    imports: bool = True  # False: --no-imports, no database is touched
    max_rss_mib: float | None = None  # stop a step whose resident set passes this (the machine is shared)


def _log(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


def run_scale(scale: str, opt: Options) -> dict:
    """All measurements of one scale, as the JSON-able dict RESULTS.md is rendered from."""
    work = opt.out_dir / scale
    work.mkdir(parents=True, exist_ok=True)
    result: dict = {"steps": {}, "skipped": {}, "failed": {}}
    path, params = _dataset(result, scale, work, opt)
    for step in ("floor", "read", "obligations", "tree"):
        _measure(result, step, step, {**params, "figure_out": str(work / f"figure-{step}.parquet")})
    for name, step in REFERENCES.items():
        if step == "naive" and scale == "national" and not opt.naive_national:
            result["skipped"][name] = (
                "not run at national scale (a Python loop per case takes a quarter of an hour of shared CPU); "
                "--naive-national runs it"
            )
            continue
        # The naive loop is the slow baseline: beyond the small scale one run says enough.
        repeat = 1 if step == "naive" and scale != "small" else params["repeat"]
        _measure(result, name, step, {**params, "repeat": repeat, "figure_out": str(work / f"figure-{name}.parquet")})
    result["agreement"] = _agreement(work, result)
    if opt.imports:
        _imports(result, path, work, scale, opt)
    else:
        result["skipped"]["import-sqlite-first"] = "imports left out with --no-imports"
        result["skipped"]["import-postgresql-first"] = "imports left out with --no-imports"
    return result


def run_scaling(scale: str, opt: Options) -> dict:
    """The scaling curve's steps at one scale (issue 19): generate, floor, read, obligations, tree and
    the `egenkontroll obligations` command; no references, no database, each step in its own process."""
    work = opt.out_dir / scale
    work.mkdir(parents=True, exist_ok=True)
    result: dict = {"steps": {}, "skipped": {}, "failed": {}}
    path, params = _dataset(result, scale, work, opt)
    for step in ("floor", "read", "obligations", "tree"):
        _measure(result, step, step, {**params, "figure_out": str(work / f"figure-{step}.parquet")},
                 opt.max_rss_mib)
    _command(result, path, params["as_of"], work, opt.max_rss_mib)
    return result


def _command(result: dict, path: Path, as_of: str, work: Path, max_rss_mib: float | None) -> None:
    """`egenkontroll obligations --data DIR --as-of D` end to end, its CSV written to a file (then removed)."""
    _log("  command")
    argv = [*program.cli(), "obligations", "--data", str(path), "--as-of", as_of]
    log = work / "command.log"
    try:
        status, wall, rss, _, cpu = run_command(argv, log, max_rss_mib=max_rss_mib, read_stdout=False)
    except MemoryCapReached as exc:
        _stopped(result, "command", str(exc), exc)
        return
    finally:
        log.with_suffix(".out").unlink(missing_ok=True)
    if status != 0:
        tail = log.with_suffix(".err").read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        result["failed"]["command"] = f"status {status}: {' | '.join(tail)}"
        _log(f"  command FAILED: {result['failed']['command']}")
        return
    m = Measurement("command", [wall], rss, wall, {"load_1m": os.getloadavg()[0]}, [cpu])
    result["steps"]["command"] = m.as_dict()


def _stopped(result: dict, name: str, reason: str, exc: MemoryCapReached) -> None:
    """Record a step the memory cap stopped: why, and the peak and time it had reached."""
    result["failed"][name] = reason
    result.setdefault("capped", {})[name] = {"peak_rss_mib": exc.peak_rss_mib, "seconds": exc.seconds}
    _log(f"  {name} STOPPED: {exc}")


def _dataset(result: dict, scale: str, work: Path, opt: Options) -> tuple[Path, dict]:
    """Generate (or take from the cache) the scale's dataset; the step parameters every step shares."""
    _log(f"{scale}: dataset")
    path, generated, cached, period = datasets.dataset(opt.data_dir, work, scale, opt.seed)
    result.update(dataset=str(path), cached=cached, events=generated.info.get("events"),
                  org_units=generated.info.get("org_units"), caseworkers=generated.info.get("caseworkers"),
                  period=f"{period.start} – {period.end}", kpi_period=f"{period.kpi_from} – {period.end}",
                  as_of=str(period.as_of))
    result["steps"]["generate"] = generated.as_dict()
    params = {
        "dataset": str(path), "work": str(work), "repeat": 1 if opt.quick else REPEATS[scale],
        "as_of": period.as_of.isoformat(), "period_from": period.kpi_from.isoformat(),
        "period_to": period.end.isoformat(),
    }
    return path, params


def _measure(result: dict, name: str, step: str, params: dict, max_rss_mib: float | None = None) -> Measurement | None:
    _log(f"  {name}")
    try:
        m = run_step(step, params, Path(params["work"]), max_rss_mib)
    except MemoryCapReached as exc:
        _stopped(result, name, f"step {step}: {exc}", exc)
        return None
    except StepFailed as exc:
        result["failed"][name] = str(exc)
        _log(f"  {name} FAILED: {exc}")
        return None
    result["steps"][name] = m.as_dict()
    return m


def _agreement(work: Path, result: dict) -> dict:
    """Do all implementations give the same utr_inom_4m_andel for every unit? Loud when not."""
    figures = {}
    for name in ("ref-egenkontroll-parsed", "ref-egenkontroll-csv", "tree", *REFERENCES):
        path = work / f"figure-{name}.parquet"
        if name in result["steps"] and path.is_file() and name not in figures:
            figures[name] = pl.read_parquet(path)
    if len(figures) < 2:
        return {"ok": False, "compared": list(figures), "problems": ["fewer than two implementations ran, nothing to compare"]}
    problems = reference.compare(figures)
    first = next(iter(figures.values()))
    root = first.sort("denominator", descending=True).row(0, named=True)
    for problem in problems:
        _log(f"  MISMATCH: {problem}")
    return {"ok": not problems, "compared": list(figures), "problems": problems, "units": first.height,
            "root": root}


def _imports(result: dict, path: Path, work: Path, scale: str, opt: Options) -> None:
    targets = [("sqlite", lambda: databases.reset_sqlite(work), databases.sqlite_url(work))]
    if opt.postgres:
        name = "egk_bench"
        targets.append(("postgresql", lambda: databases.reset_postgres(opt.postgres, name),
                        databases.postgres_url(opt.postgres, name)))
    else:
        result["skipped"]["import-postgresql-first"] = "PostgreSQL left out with --no-postgres"
    result["databases"] = {}
    for label, reset, url in targets:
        _log(f"  import {label}")
        try:
            reset()
            first, again = databases.measure_import(url, path, work, label)
        except Exception as exc:  # a database that cannot be used is reported, not fatal to the run
            result["failed"][f"import-{label}-first"] = f"{type(exc).__name__}: {exc}"
            _log(f"  import {label} FAILED: {exc}")
            continue
        result["steps"][first.step] = first.as_dict()
        result["steps"][again.step] = again.as_dict()
        result["databases"][label] = url


# ---------------------------------------------------------------- profiles of missed targets

# target key → (scale it is measured at, what to profile)
PROFILES = {
    "obligations-floor": ("city", "obligations"),
    "obligations-national": ("national", "obligations"),
    "figure-duckdb": ("city", "figure"),
    "import-sqlite": ("city", "import"),
    "import-postgresql": ("city", "import"),
    "pages-sqlite": ("city", "page"),
    "pages-postgresql": ("city", "page"),
}


def profile_failures(results: dict, scale: str, opt: Options) -> None:
    """Profile every FAIL target measured at `scale` (once), into results["profiles"]."""
    profiles = results.setdefault("profiles", {})
    for verdict in report.verdicts(results):
        where = PROFILES.get(verdict.key)
        if verdict.status != "FAIL" or where is None or where[0] != scale or verdict.key in profiles:
            continue
        _log(f"  profiling: {verdict.target}")
        try:
            profiles[verdict.key] = _profile(verdict.key, where[1], results, scale, opt)
        except Exception as exc:  # a profile that cannot be taken is reported, not fatal
            profiles[verdict.key] = {"error": f"{type(exc).__name__}: {exc}"}
        profiles[verdict.key]["target"] = verdict.target


def _profile(key: str, kind: str, results: dict, scale: str, opt: Options) -> dict:
    from egkbench import web

    data = results["scales"][scale]
    work = opt.out_dir / scale
    params = {"dataset": data["dataset"], "work": str(work), "repeat": 1, "as_of": data["as_of"],
              "period_from": data["kpi_period"].split(" – ")[0], "period_to": data["as_of"]}
    if kind in ("obligations", "figure"):
        m = run_step(f"profile_{kind}", params, work)
        return {"what": {"obligations": "`obligations.evaluate`, all rules",
                         "figure": "`evaluate(utredning_4m)` + `kpis.tree(utr_inom_4m_andel)`"}[kind],
                "scale": scale, "seconds": m.median, "text": m.info["profile"]}
    if kind == "import":
        db = key.removeprefix("import-")
        url = _scratch_database(db, work, opt)
        m = run_step("profile_import", {**params, "db": url, "env": web.env(url)}, work)
        return {"what": f"`run_import` in-process into an empty {db} database", "scale": scale,
                "seconds": m.median, "text": m.info["profile"]}
    db = key.removeprefix("pages-")
    page = report.worst_page(results["web"][db])
    url = results["scales"]["city"]["databases"][db]
    username = results["web"][db]["users"][page["role"]]
    m = run_step("profile_page", {"db": url, "env": web.env(url), "username": username, "path": page["path"],
                                  "work": str(work)}, work)
    return {"what": f"GET `{page['path']}` as {page['role']} (test client, warm)", "scale": scale,
            "seconds": m.median, "text": m.info["profile"]}


def _scratch_database(db: str, work: Path, opt: Options) -> str:
    """An empty, migrated database beside the measured one, for an import profile."""
    if db == "sqlite":
        path = work / "profile.sqlite3"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path.resolve()}"
    else:
        databases.reset_postgres(opt.postgres, "egk_bench_profile")
        url = databases.postgres_url(opt.postgres, "egk_bench_profile")
    databases.migrate(url, work, f"profile-{db}")
    return url
