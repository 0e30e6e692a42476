"""A new benchmark run keeps the sections other scripts wrote into RESULTS.md (the planning backtest)."""

import importlib.util
from pathlib import Path

RUN = Path(__file__).resolve().parent.parent / "run.py"


def load_run():
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_marked_sections_are_carried_over_and_the_rest_is_not(tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text(
        "# Benchmark results\n\nold figures\n\n<!-- backtest_planning:begin -->\n## Planering\n| a |\n"
        "<!-- backtest_planning:end -->\n",
        encoding="utf-8",
    )
    kept = load_run()._kept_sections(results)
    assert kept == "\n<!-- backtest_planning:begin -->\n## Planering\n| a |\n<!-- backtest_planning:end -->\n"
    assert load_run()._kept_sections(tmp_path / "missing.md") == ""


def test_a_script_replaces_its_own_section_and_appends_it_once(tmp_path):
    import sys

    sys.path.insert(0, str(RUN.parent))
    from egkbench import sections

    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\nfigures\n", encoding="utf-8")
    begin, end = sections.markers("delta_import")
    sections.write_section(results, "delta_import", f"{begin}\nfirst\n{end}\n")
    sections.write_section(results, "delta_import", f"{begin}\nsecond\n{end}\n")
    assert results.read_text(encoding="utf-8") == f"# Benchmark results\n\nfigures\n\n{begin}\nsecond\n{end}\n"
