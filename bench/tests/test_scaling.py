"""The scaling curve (issue 19): its ratios, its section, the national2x scale and the memory cap."""

import sys

import pytest
from egkbench import datasets, scaling, sections
from egkbench.measure import MemoryCapReached, run_command
from test_kept_sections import load_run


def _step(seconds: float, peak: float, cpu: float | None = None) -> dict:
    return {"seconds": [seconds], "median": seconds, "cpu_median": cpu or seconds, "peak_rss_mib": peak,
            "info": {"load_1m": 1.0}}


def _results() -> dict:
    return {
        "started": "2026-12-07 03:00:00 UTC", "command": "bench/run.py --scaling",
        "machine": {"cpu": "cpu", "cores": 2, "memory_gib": 23.5, "load_before": [1.0, 1.0, 1.0], "git": "abc",
                    "versions": {"python": "3.11", "polars": "2"}},
        "repeats": {"national": 1, "national2x": 1}, "baseline_rss_mib": 100.0, "max_rss_mib": 18000,
        "scales": {
            "national": {"events": 1_000_000, "steps": {"read": _step(10, 1100), "obligations": _step(10, 2100)},
                         "failed": {}},
            "national2x": {"events": 2_000_000, "steps": {"read": _step(20, 2100)},
                           "failed": {"obligations": "step obligations: stopped at 18100 MiB resident"},
                           "capped": {"obligations": {"peak_rss_mib": 18100.0, "seconds": 5.0}}},
        },
    }


def test_a_linear_step_is_not_marked_and_one_that_grows_faster_is():
    results = _results()
    assert scaling.ratio(results, "read", "median") == 2.0
    assert scaling.ratio(results, "read", "above_baseline") == 2.0
    assert scaling.nonlinear(results, "read") == []
    results["scales"]["national2x"]["steps"]["read"] = _step(30, 5100)
    assert scaling.nonlinear(results, "read") == ["CPU 3.00×", "memory 5.00×"]
    results["scales"]["national2x"]["steps"]["read"] = _step(30, 2100, cpu=20)  # the others' load: not judged
    assert scaling.nonlinear(results, "read") == []
    assert scaling.ratio(results, "obligations", "median") is None  # stopped at national2x: no ratio


def test_the_section_shows_per_event_costs_and_a_stopped_step_with_its_peak(tmp_path):
    section = scaling.render(_results())
    begin, end = sections.markers(scaling.SECTION)
    assert section.startswith(begin) and section.rstrip().endswith(end)
    assert "| read | 10.00 | 10.00 | 2.00 | 2.00 | no |" in section
    assert "stopped at 18,100" in section
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\nkept\n", encoding="utf-8")
    sections.write_section(results, scaling.SECTION, section)
    sections.write_section(results, scaling.SECTION, section)
    assert results.read_text(encoding="utf-8") == "# Benchmark results\n\nkept\n\n" + section


def test_national2x_is_national_twice_over_and_needs_the_larger_limits():
    assert datasets.SCALES["national2x"] == ("national", 2.0)
    assert datasets.limits_env(["small", "national", "national2x"])["EGK_IMPORT_MAX_ROWS"] == "40000000"
    assert datasets.limits_env(["small", "city"]) == {}


def test_national2x_only_in_the_scaling_run():
    run = load_run()
    assert run.parse(["--scaling"]).scale_list == ["small", "city", "national", "national2x"]
    assert run.parse(["--scaling", "--skip-national"]).scale_list == ["small", "city"]
    with pytest.raises(SystemExit):
        run.parse(["--scales", "national2x"])


def test_a_child_over_the_memory_cap_is_stopped(tmp_path):
    grow = "import time\nx = []\nwhile True:\n    x.append(bytearray(16 << 20)); time.sleep(0.01)\n"
    with pytest.raises(MemoryCapReached) as caught:
        run_command([sys.executable, "-c", grow], tmp_path / "grow.log", max_rss_mib=200, timeout=60)
    assert caught.value.peak_rss_mib > 200
    assert "stopped at" in str(caught.value)


def test_the_profile_section_shows_each_function_at_both_scales_and_its_growth():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("profile_scaling", Path(__file__).parent.parent / "profile_scaling.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def run(events: int, cpu: float, cases: float) -> dict:
        return {"events": events, "wall": cpu, "cpu": cpu, "peak_mib": 100, "functions": {"cases": cases, "tree": cpu}}

    results = {"when": "now", "command": "bench/profile_scaling.py", "load_after": 1.0,
               "sources": {"this tree": "src", "before": "base/src"}, "scales": ["national", "national2x"],
               "runs": {"national": {"this tree": run(10, 10.0, 2.0), "before": run(10, 10.0, 2.0)},
                        "national2x": {"this tree": run(20, 20.0, 4.0), "before": run(20, 26.0, 7.0)}}}
    section = module.render(results)
    assert "| `cases` | 2.00 | 4.00 | 2.00 | 2.00 | 7.00 | 3.50 |" in section
    assert "| **kpis.tree, CPU** | 10.00 | 20.00 | 2.00 | 10.00 | 26.00 | 2.60 |" in section
