#!/usr/bin/env python3
"""The benchmark: one command that generates the datasets, measures everything, writes RESULTS.md.

    .venv/bin/python bench/run.py                     # small, city and national
    .venv/bin/python bench/run.py --skip-national     # small and city
    .venv/bin/python bench/run.py --scales small --quick --results bench/out/RESULTS-quick.md
    .venv/bin/python bench/run.py --scaling           # the scaling curve: small … national2x, no database

See bench/README.md for what each figure means. The raw figures are kept in bench/out/results.json;
`--render` writes RESULTS.md again from such a file without measuring anything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shlex
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from egkbench import datasets, machine, report, scaling, sections, suite, web  # noqa: E402
from egkbench.measure import run_step  # noqa: E402

SCALES = ("small", "city", "national")
SCALING_SCALES = ("small", "city", "national", "national2x")
KEPT_SECTION = re.compile(r"<!-- (\w+):begin -->.*?<!-- \1:end -->\n", re.S)
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432"


def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", help="comma-separated: small,city,national (with --scaling also national2x); "
                                     "default: all of them")
    ap.add_argument("--skip-national", action="store_true", help="leave out the national scale")
    ap.add_argument("--quick", action="store_true", help="one run per step, short load run (for trying the harness)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--postgres", default=DEFAULT_POSTGRES,
                    help="PostgreSQL server URL without database; the throwaway database egk_bench is created there")
    ap.add_argument("--no-postgres", action="store_true", help="measure SQLite only")
    ap.add_argument("--naive-national", action="store_true", help="also run the naive per-case loop at national scale")
    ap.add_argument("--no-web", action="store_true", help="skip page timing and the load run")
    ap.add_argument("--no-imports", action="store_true", help="skip the imports (no database is touched)")
    ap.add_argument("--scaling", action="store_true",
                    help="only the scaling curve (issue 19): generate, floor, read, obligations, tree and the "
                         "obligations command at each scale, no references, imports or web; writes its own "
                         "section of RESULTS.md and leaves the rest as it is")
    ap.add_argument("--max-rss-mib", type=float, default=18000,
                    help="with --scaling: stop a step whose resident set passes this many MiB (shared machine)")
    ap.add_argument("--load-users", type=int, default=20)
    ap.add_argument("--load-seconds", type=float, default=60.0)
    ap.add_argument("--nice", type=int, default=10, help="niceness of the whole run (the machine is shared)")
    ap.add_argument("--data", type=Path, default=BENCH / "data", help="dataset cache")
    ap.add_argument("--out", type=Path, default=BENCH / "out", help="work files and results.json")
    ap.add_argument("--results", type=Path, default=BENCH / "RESULTS.md")
    ap.add_argument("--render", type=Path, help="only render RESULTS.md from this results.json")
    args = ap.parse_args(argv)
    known = SCALING_SCALES if args.scaling else SCALES
    given = args.scales.split(",") if args.scales else known
    args.scale_list = [s for s in given if s and not (args.skip_national and s.startswith("national"))]
    unknown = [s for s in args.scale_list if s not in known]
    if unknown:
        ap.error(f"unknown scale(s): {', '.join(unknown)}")
    return args


def main(argv: list[str]) -> int:
    args = parse(argv)
    if args.scaling:
        return _scaling(args, argv)
    if args.render:
        results = json.loads(args.render.read_text(encoding="utf-8"))
        args.results.write_text(report.render(results) + _kept_sections(args.results), encoding="utf-8")
        print(f"[bench] wrote {args.results}")
        return 0
    os.nice(args.nice)
    args.out.mkdir(parents=True, exist_ok=True)
    args.data.mkdir(parents=True, exist_ok=True)
    postgres = None if args.no_postgres else args.postgres
    opt = suite.Options(args.seed, args.quick, postgres, args.naive_national, args.data, args.out,
                        imports=not args.no_imports)
    results = {
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "command": shlex.join([".venv/bin/python", "bench/run.py", *argv]),
        "machine": machine.describe(postgres and f"{postgres}/postgres", REPO),
        "options": {"seed": args.seed, "quick": args.quick, "nice": args.nice, "scales": args.scale_list},
        "repeats": {s: 1 if args.quick else suite.REPEATS[s] for s in args.scale_list},
        "scales": {},
        "web": {},
    }
    began = time.perf_counter()
    results["baseline_rss_mib"] = run_step("baseline", {"work": str(args.out)}, args.out).peak_rss_mib
    for scale in args.scale_list:
        results["scales"][scale] = suite.run_scale(scale, opt)
        _save(results, args)
        if scale == "city" and not args.no_web:
            results["web"] = web.measure_all(results["scales"]["city"].get("databases", {}), args, args.out / "city")
        if not args.quick:
            suite.profile_failures(results, scale, opt)
        _save(results, args)
    if "city" not in args.scale_list:
        results["web"] = {db: {"not_measured": "the city scale was not part of this run"} for db in ("sqlite", "postgresql")}
    elif args.no_web:
        results["web"] = {db: {"not_measured": "--no-web"} for db in ("sqlite", "postgresql")}
    results["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    _save(results, args)
    print(f"[bench] done in {time.perf_counter() - began:.0f} s; wrote {args.results}")
    return 0


def _scaling(args: argparse.Namespace, argv: list[str]) -> int:
    """The scaling curve: its steps at every scale in one run, into its own section of RESULTS.md."""
    if args.render:
        results = json.loads(args.render.read_text(encoding="utf-8"))
        sections.write_section(args.results, scaling.SECTION, scaling.render(results))
        print(f"[bench] wrote the scaling section of {args.results}")
        return 0
    os.nice(args.nice)
    out = args.out / "scaling"
    out.mkdir(parents=True, exist_ok=True)
    args.data.mkdir(parents=True, exist_ok=True)
    limits = {k: v for k, v in datasets.limits_env(args.scale_list).items() if k not in os.environ}
    os.environ.update(limits)
    opt = suite.Options(args.seed, args.quick, None, False, args.data, out, imports=False,
                        max_rss_mib=args.max_rss_mib)
    results = {
        "started": _utc(),
        "command": shlex.join([".venv/bin/python", "bench/run.py", *argv]),
        "machine": machine.describe(None, REPO),
        "limits_env": " ".join(f"{k}={os.environ[k]}" for k in datasets.limits_env(args.scale_list)),
        "max_rss_mib": args.max_rss_mib,
        "repeats": {s: 1 if args.quick else suite.REPEATS[s] for s in args.scale_list},
        "scales": {},
    }
    began = time.perf_counter()
    results["baseline_rss_mib"] = run_step("baseline", {"work": str(out)}, out).peak_rss_mib
    for scale in args.scale_list:
        results["scales"][scale] = suite.run_scaling(scale, opt)
        _save_scaling(results, out, args.results)
    results["finished"] = _utc()
    results["load_after"] = os.getloadavg()
    _save_scaling(results, out, args.results)
    print(f"[bench] scaling curve done in {time.perf_counter() - began:.0f} s; wrote {args.results}")
    return 0


def _utc() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _save_scaling(results: dict, out: Path, path: Path) -> None:
    (out / "results.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    sections.write_section(path, scaling.SECTION, scaling.render(results))


def _save(results: dict, args: argparse.Namespace) -> None:
    results.setdefault("finished", "(running)")
    (args.out / "results.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    args.results.write_text(report.render(results) + _kept_sections(args.results), encoding="utf-8")
    if results["finished"] == "(running)":
        del results["finished"]


def _kept_sections(path: Path) -> str:
    """Sections other scripts write into RESULTS.md between their own markers (the planning backtest,
    bench/backtest_planning.py), carried over so a new benchmark run does not drop them."""
    if not path.exists():
        return ""
    text = path.read_text(encoding="utf-8")
    return "".join("\n" + m.group(0) for m in KEPT_SECTION.finditer(text))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
