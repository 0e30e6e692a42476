"""The scaling curve's section of RESULTS.md (issue 19): cost per event of each step at each scale.

Why per event and a ratio: a step that grows linearly costs the same µs per event at every
scale, and takes about twice as long (and twice the memory above the interpreter's) on twice the
events; the ratio national2x / national shows a step that grows faster at a glance. Every
figure in the section comes from one run (bench/run.py --scaling), so they share the machine's load.
"""

from __future__ import annotations

from egkbench import sections

SECTION = "scaling_curve"
SCALE_ORDER = ("small", "city", "national", "national2x")
STEPS = (
    ("generate", "generate", "`synth.generate` writes the dataset (CSV); national2x is national with size_factor=2"),
    ("floor", "CSV floor", "Python's csv module iterates every row of events.csv, nothing computed"),
    ("read", "read", "`interchange.read_dataset`: parse, validate, pseudonymise"),
    ("obligations", "obligations", "`obligations.evaluate(events, as_of)`, all rules (events read from Parquet, untimed)"),
    ("tree", "key-figure tree", "`kpis.tree(...)`, all figures, every unit and caseworker; the obligations are "
                                "evaluated first in the same process (untimed), so its peak includes theirs"),
    ("command", "`egenkontroll obligations`", "the whole command, `--data DIR --as-of D`, CSV to a file: wall "
                                              "time and CPU of the process, interpreter start included"),
)
# A step is marked non-linear when, from national to national2x, its CPU time or its memory above
# the baseline grows this much more than the events do (2.5× on twice the events). Wall time is
# shown but not judged: on the shared two-core machine it mostly measures the others' load.
NONLINEAR = 1.25


def ratio(results: dict, step: str, key: str, big: str = "national2x", small: str = "national") -> float | None:
    """big ÷ small of one step's figure: 'median', 'cpu_median', 'peak_rss_mib' or 'above_baseline'."""
    values = []
    for scale in (big, small):
        m = results["scales"].get(scale, {}).get("steps", {}).get(step)
        if not m:
            return None
        if key == "above_baseline":
            value = m["peak_rss_mib"] - results.get("baseline_rss_mib", 0)
        else:
            value = m.get(key)
        if not value or value <= 0:
            return None
        values.append(value)
    return values[0] / values[1]


def events_ratio(results: dict, big: str = "national2x", small: str = "national") -> float | None:
    scales = results["scales"]
    if not scales.get(big, {}).get("events") or not scales.get(small, {}).get("events"):
        return None
    return scales[big]["events"] / scales[small]["events"]


def nonlinear(results: dict, step: str) -> list[str]:
    """What of `step` grows ≥ NONLINEAR × faster than the events from national to national2x."""
    grow = events_ratio(results)
    if grow is None:
        return []
    found = []
    for key, what in (("cpu_median", "CPU"), ("above_baseline", "memory")):
        r = ratio(results, step, key)
        if r is not None and r >= NONLINEAR * grow:
            found.append(f"{what} {r:.2f}×")
    return found


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _seconds(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def render(results: dict) -> str:
    begin, end = sections.markers(SECTION)
    scales = [s for s in SCALE_ORDER if s in results["scales"]]
    data = results["scales"]
    mach = results["machine"]
    load_before = ", ".join(f"{x:.2f}" for x in mach["load_before"])
    load_after = ", ".join(f"{x:.2f}" for x in results.get("load_after", [])) or "(running)"
    lines = [
        begin,
        "## Scaling curve (issue 19)",
        "",
        f"Written by `bench/run.py --scaling` ({results['started']} → {results.get('finished', '(running)')}): "
        f"`{results['command']}`. "
        f"{mach['cpu']}, {mach['cores']} cores, {mach['memory_gib']:.1f} GiB RAM, shared with another engineer; "
        f"load average (1, 5, 15 min) {load_before} at the start and {load_after} at the end. "
        f"Checkout {mach['git']}; Python {mach['versions']['python']}, polars {mach['versions']['polars']}. "
        f"Import limits for the children: {results.get('limits_env') or 'the defaults'}.",
        "",
        "Every step runs in its own process, in this order at each scale: "
        + ", ".join(label for _, label, _ in STEPS)
        + f"; at small {results['repeats'].get('small', '–')} runs, at city {results['repeats'].get('city', '–')},"
        " at national and national2x one run (the median is shown); the command runs once at every scale. "
        "No imports, no database, no web pages. "
        f"A process that only imports the libraries peaks at {results.get('baseline_rss_mib', 0):.0f} MiB (*baseline*). "
        + (f"A step is stopped when its resident set passes {results['max_rss_mib']:.0f} MiB or the machine has "
           "less than 2 GiB left." if results.get("max_rss_mib") else ""),
        "",
        "### Cost per event (µs/event, wall time) and growth from national to national2x",
        "",
        "| step | " + " | ".join(scales) + " | time 2x÷nat | CPU 2x÷nat | non-linear |",
        "|---|" + "---:|" * len(scales) + "---:|---:|---|",
        "| *events* | " + " | ".join(f"{data[s].get('events') or 0:,}" for s in scales)
        + f" | {_fmt(events_ratio(results))}× | | |",
    ]
    for step, label, _ in STEPS:
        cells = []
        for s in scales:
            m = data[s]["steps"].get(step)
            cells.append(_fmt(m["median"] / data[s]["events"] * 1e6) if m and data[s].get("events") else
                         ("stopped" if step in data[s].get("capped", {}) else "–"))
        flags = nonlinear(results, step)
        lines.append(f"| {label} | " + " | ".join(cells)
                     + f" | {_fmt(ratio(results, step, 'median'))} | {_fmt(ratio(results, step, 'cpu_median'))} | "
                     + ("**" + ", ".join(flags) + "**" if flags else "no") + " |")
    lines += [
        "",
        "### Cost per event in CPU time (µs/event, user + system, all threads)",
        "",
        "| step | " + " | ".join(scales) + " |",
        "|---|" + "---:|" * len(scales),
    ]
    for step, label, _ in STEPS:
        cells = []
        for s in scales:
            m = data[s]["steps"].get(step)
            cpu = m.get("cpu_median") if m else None
            cells.append(_fmt(cpu / data[s]["events"] * 1e6) if cpu and data[s].get("events") else "–")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "### Peak memory (MiB, peak resident set of the step's process) and its growth",
        "",
        "| step | " + " | ".join(scales) + " | peak 2x÷nat | above baseline 2x÷nat | bytes/event at 2x |",
        "|---|" + "---:|" * len(scales) + "---:|---:|---:|",
    ]
    for step, label, _ in STEPS:
        cells = []
        for s in scales:
            m = data[s]["steps"].get(step)
            capped = data[s].get("capped", {}).get(step)
            cells.append(f"{m['peak_rss_mib']:,.0f}" if m else
                         (f"stopped at {capped['peak_rss_mib']:,.0f}" if capped else "–"))
        big = data.get("national2x", {}).get("steps", {}).get(step)
        above = big["peak_rss_mib"] - results.get("baseline_rss_mib", 0) if big else 0
        per_event = _fmt(above * 2**20 / data["national2x"]["events"], 0) if above > 0 else "–"
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {_fmt(ratio(results, step, 'peak_rss_mib'))} | "
                     f"{_fmt(ratio(results, step, 'above_baseline'))} | {per_event} |")
    lines += [
        "",
        "### Every measurement",
        "",
        "| step | scale | events | median s | runs s | CPU s | peak MiB | load |",
        "|---|---|---:|---:|---|---:|---:|---:|",
    ]
    for step, label, _ in STEPS:
        for s in scales:
            m = data[s]["steps"].get(step)
            if m:
                cached = " (cached dataset)" if step == "generate" and data[s].get("cached") else ""
                runs = " / ".join(_seconds(x) for x in m["seconds"])
                lines.append(f"| {label} | {s} | {data[s]['events']:,} | {_seconds(m['median'])}{cached} | {runs} | "
                             f"{_fmt(m.get('cpu_median'), 1)} | {m['peak_rss_mib']:,.0f} | "
                             f"{m['info'].get('load_1m', 0):.1f} |")
            elif step in data[s].get("failed", {}):
                lines.append(f"| {label} | {s} | {data[s].get('events') or 0:,} | {data[s]['failed'][step]} | | | | |")
    lines += [
        "",
        "What each step is:",
        *[f"- **{label}**: {what}." for _, label, what in STEPS],
        "",
        "Columns: *µs/event* is the median wall seconds divided by the scale's events (a linear step has the same "
        "figure at every scale; small carries the fixed costs, so it is higher). *time 2x÷nat* and *CPU 2x÷nat* "
        "divide national2x's median wall time (CPU time: user + system, all threads) by national's; on twice the "
        "events a linear step is near the *events* ratio, ~2.0. *peak 2x÷nat* divides the peak resident sets; "
        "*above baseline* first subtracts the baseline process's peak, so a linear step is near 2.0 there. "
        f"*non-linear*: CPU time or memory above baseline grew ≥ {NONLINEAR}× the events ratio (≥ 2.5× on twice the "
        "events); wall time is not judged, since on this shared machine a step's wall time grows with the others' "
        "load (a single-threaded step's CPU time is its wall time on an idle machine). *bytes/event at 2x*: peak above baseline per event at national2x. *load*: the 1-minute load "
        "average as the step ended (2 cores; above 2 other work competed).",
        end,
        "",
    ]
    return "\n".join(lines)
