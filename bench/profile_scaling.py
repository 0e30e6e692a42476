#!/usr/bin/env python3
"""Where the key-figure tree's CPU goes at two scales, side by side, and how fast each part grows (issue 19).

    PYTHONPATH=$PWD/src .venv/bin/python bench/profile_scaling.py \\
        --work national=bench/out/scaling/national --work national2x=bench/out/scaling/national2x \\
        --src before=bench/out/base/src [--write bench/RESULTS.md]

The work folders are those `bench/run.py --scaling` leaves (the parsed events, org units and
caseworkers as Parquet; as_of and the period from its results.json). For each scale and each
source tree (this one, and with `--src LABEL=DIR` another, alternating), a fresh process evaluates
the obligations (untimed) and runs `kpis.tree` under cProfile with a CPU clock (process_time:
on the shared two-core machine wall time mostly measures the others' load). The table shows each
function of kpis.py by its cumulative CPU seconds, and the ratio between the two scales: a part
growing well past the events' ratio is what makes the tree non-linear.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from egkbench import sections  # noqa: E402
from egkbench.measure import MemoryCapReached, run_command  # noqa: E402

SECTION = "scaling_profile"
CHILD = """
import cProfile, datetime as dt, json, pstats, resource, sys, time
from pathlib import Path
import polars as pl
from egenkontroll.core import kpis
from egenkontroll.core.obligations import evaluate

work = Path(sys.argv[1])
as_of, period_from = dt.date.fromisoformat(sys.argv[2]), dt.date.fromisoformat(sys.argv[3])
ds = {n: pl.read_parquet(work / f"{n}.parquet") for n in ("events", "org_units", "caseworkers")}
ev = evaluate(ds["events"], as_of)
prof = cProfile.Profile(time.process_time)
began, cpu = time.perf_counter(), time.process_time()
prof.enable()
kpis.tree(ds["events"], ev.obligations, ds["org_units"], ds["caseworkers"], period_from, as_of, as_of, links=ev.links)
prof.disable()
wall, cpu = time.perf_counter() - began, time.process_time() - cpu
functions = {}
for (path, _, name), (_, calls, _, cumulative, _) in pstats.Stats(prof).stats.items():
    if Path(path).name == "kpis.py" and not name.startswith("<"):
        functions[name] = max(functions.get(name, 0.0), cumulative)
print(json.dumps({"events": ds["events"].height, "wall": wall, "cpu": cpu, "functions": functions,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""


def measure(work: Path, as_of: str, period_from: str, src: str, log: Path, max_rss_mib: float) -> dict:
    env = {"PYTHONPATH": src}
    try:
        status, _, rss, out, _ = run_command([sys.executable, "-c", CHILD, str(work), as_of, period_from], log,
                                             env=env, max_rss_mib=max_rss_mib)
    except MemoryCapReached as exc:
        return {"stopped": str(exc), "peak_mib": exc.peak_rss_mib}
    if status != 0:
        raise RuntimeError(log.with_suffix(".err").read_text(encoding="utf-8")[-2000:])
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_mib"] = rss
    return result


def render(results: dict, top: int = 12) -> str:
    begin, end = sections.markers(SECTION)
    small, big = results["scales"]
    labels = list(results["sources"])
    runs = results["runs"]
    grow = runs[big][labels[0]]["events"] / runs[small][labels[0]]["events"]
    names = sorted(runs[big][labels[0]]["functions"], key=lambda n: -runs[big][labels[0]]["functions"][n])[:top]
    head = " | ".join(f"{label}: {small} | {label}: {big} | {label} ×" for label in labels)
    lines = [
        begin,
        "## Scaling curve: where the key-figure tree's CPU goes (issue 19)",
        "",
        f"Written by `bench/profile_scaling.py` ({results['when']}): `{results['command']}`. Sources: "
        + "; ".join(f"*{label}* = `{src}`" for label, src in results["sources"].items())
        + f". Data: the parsed tables the scaling run left, {small} ({runs[small][labels[0]]['events']:,} events) and "
        f"{big} ({runs[big][labels[0]]['events']:,}, {grow:.2f}× as many). Each cell is one fresh process: the "
        "obligations evaluated untimed, then `kpis.tree` under cProfile with a CPU clock (process_time, all "
        "threads); the profiler adds a little per call. *×* is the big scale's CPU over the small one's: a part "
        f"near {grow:.2f} grows with the events. Load (1 min) at the end: {results['load_after']:.1f}.",
        "",
        f"| CPU s | {head} |",
        "|---|" + "---:|" * (3 * len(labels)),
    ]

    def cells(get) -> str:
        out = []
        for label in labels:
            a, b = get(runs[small][label]), get(runs[big][label])
            ratio = f"{b / a:.2f}" if a and b else "–"
            out += [f"{a:.2f}" if a is not None else "–", f"{b:.2f}" if b is not None else "–", ratio]
        return " | ".join(out)

    lines.append("| **kpis.tree, CPU** | " + cells(lambda r: r.get("cpu")) + " |")
    lines.append("| kpis.tree, wall | " + cells(lambda r: r.get("wall")) + " |")
    lines.append("| peak GiB | " + cells(lambda r: r["peak_mib"] / 1024 if r.get("peak_mib") else None) + " |")
    for name in names:
        lines.append(f"| `{name}` | " + cells(lambda r, n=name: r.get("functions", {}).get(n)) + " |")
    for scale in (small, big):
        for label in labels:
            if "stopped" in runs[scale][label]:
                lines.append(f"\n{scale}, {label}: {runs[scale][label]['stopped']}")
    lines += ["", "Cumulative CPU of a function includes what it calls; `Sources` builds each selection once, "
              "so `_choose` and the `_from_*` sources hold most of the figures' work.", end, ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", action="append", required=True, help="SCALE=DIR, twice: the smaller scale first")
    ap.add_argument("--src", action="append", default=[], help="LABEL=DIR: also profile this source tree")
    ap.add_argument("--results", type=Path, default=BENCH / "out" / "scaling" / "results.json",
                    help="the scaling run's results.json (as_of and the period of each scale)")
    ap.add_argument("--max-rss-mib", type=float, default=18000)
    ap.add_argument("--write", type=Path, help="write the marked section into this Markdown file")
    ap.add_argument("--render", type=Path, help="only render the section from this results.json")
    args = ap.parse_args()
    if args.render:
        section = render(json.loads(args.render.read_text(encoding="utf-8")))
        print(section)
        if args.write:
            sections.write_section(args.write, SECTION, section)
        return
    os.nice(10)
    scaling = json.loads(args.results.read_text(encoding="utf-8"))["scales"]
    sources = {"this tree": os.environ.get("PYTHONPATH", "")}
    sources.update(dict(s.split("=", 1) for s in args.src))
    work = dict(w.split("=", 1) for w in args.work)
    results = {"when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
               "command": " ".join(["bench/profile_scaling.py", *sys.argv[1:]]), "sources": sources,
               "scales": list(work), "runs": {}}
    log_dir = BENCH / "out" / "profile_scaling"
    log_dir.mkdir(parents=True, exist_ok=True)
    for scale, folder in work.items():
        data = scaling[scale]
        period_from = data["kpi_period"].split(" – ")[0]
        results["runs"][scale] = {}
        for label, src in sources.items():
            print(f"[profile] {scale} / {label}", flush=True)
            results["runs"][scale][label] = measure(Path(folder), data["as_of"], period_from, src,
                                                    log_dir / f"{scale}-{label.replace(' ', '_')}.log", args.max_rss_mib)
    results["load_after"] = os.getloadavg()[0]
    (log_dir / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    section = render(results)
    print(section)
    if args.write:
        sections.write_section(args.write, SECTION, section)


if __name__ == "__main__":
    main()
