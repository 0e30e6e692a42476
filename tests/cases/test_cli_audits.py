"""`egenkontroll audit …` as a user runs it: the same sample from files and database; the old names still work."""

from __future__ import annotations

import csv
import io

from tests.cases.cli import egenkontroll
from tests.cases.factory import city, write_dataset

PERIOD = ("--from", "2023-01-01", "--to", "2023-12-31")


def test_templates_are_listed_and_a_broken_file_refused(tmp_path):
    shown = egenkontroll("audit", "templates", cwd=tmp_path, COLUMNS="200")
    assert shown.returncode == 0, shown.stderr
    assert "Familjevård – hälsa, umgänge och delaktighet (familjevard)" in shown.stdout
    assert "Självbestämmande och integritet" in shown.stdout and "6 kap. 7 b § SoL" in shown.stdout
    broken = tmp_path / "mallar.yaml"
    broken.write_text("templates:\n  - id: t\n    title: T\n    purpose: P\n    population: alla\n", encoding="utf-8")
    refused = egenkontroll("audit", "templates", "--file", broken, cwd=tmp_path, COLUMNS="200")
    assert refused.returncode == 1
    assert "okänd population 'alla'" in refused.stderr


def test_sample_from_files_and_from_the_database_is_the_same_for_a_seed(tmp_path):
    data = write_dataset(tmp_path / "d", city(40))
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    assert egenkontroll("import", data, "--db", url, "--no-warm-up", cwd=tmp_path).returncode == 0
    args = ("audit", "sample", "--template", "barnavardsutredning", *PERIOD, "--per-unit", "15", "--seed", "11")
    from_files = egenkontroll(*args, "--data", data, cwd=tmp_path)
    from_db = egenkontroll(*args, "--db", url, cwd=tmp_path)
    assert from_files.returncode == from_db.returncode == 0, from_files.stderr + from_db.stderr
    assert from_files.stdout == from_db.stdout
    rows = list(csv.DictReader(io.StringIO(from_files.stdout)))
    assert len(rows) == 15 and {r["district_id"] for r in rows} == {"F1"}
    assert [r["position"] for r in rows] == [str(i) for i in range(1, 16)]
    assert len({r["case_id"] for r in rows}) == 15
    assert "15 ärenden, frö 11" in from_files.stderr

    # family homes: every third case was placed in 2023; per enhet, no cap reached
    homes = egenkontroll("audit", "sample", "--template", "familjevard", *PERIOD, "--level", "enhet", "--per-unit", "50",
                         "--data", data, cwd=tmp_path)
    assert homes.returncode == 0, homes.stderr
    placed = list(csv.DictReader(io.StringIO(homes.stdout)))
    assert sorted(r["case_id"] for r in placed) == sorted(f"C{i}" for i in range(3, 41, 3))
    assert "frö " in homes.stderr  # a fresh seed is drawn and printed so the sample can be drawn again


def test_sample_refuses_an_unknown_template_and_level(tmp_path):
    data = write_dataset(tmp_path / "d", city(3))
    unknown = egenkontroll("audit", "sample", "--template", "okand", *PERIOD, "--data", data, cwd=tmp_path)
    assert unknown.returncode == 2 and "okänd mall 'okand'" in unknown.stderr
    level = egenkontroll("audit", "sample", "--template", "familjevard", *PERIOD, "--level", "grupp", "--data", data,
                         cwd=tmp_path)
    assert level.returncode == 2 and "okänd nivå 'grupp'" in level.stderr


def test_the_old_swedish_names_still_work_and_say_which_name_to_use(tmp_path):
    data = write_dataset(tmp_path / "d", city(40))
    new = egenkontroll("audit", "sample", "--template", "familjevard", *PERIOD, "--level", "enhet", "--per-unit", "50",
                       "--seed", "3", "--data", data, cwd=tmp_path)
    for old in (("stickprov",), ("granskning", "stickprov")):
        shown = egenkontroll(*old, "--mall", "familjevard", *PERIOD, "--niva", "enhet", "--antal", "50", "--seed", "3",
                             "--data", data, cwd=tmp_path)
        assert shown.returncode == new.returncode == 0, shown.stderr
        assert shown.stdout == new.stdout
        assert f"`egenkontroll {' '.join(old)}` är ett äldre namn" in shown.stderr
        assert "använd `egenkontroll audit sample`" in shown.stderr
    templates = egenkontroll("audit", "templates", cwd=tmp_path, COLUMNS="200").stdout
    for old in (("granskningsmallar",), ("granskning", "mallar")):
        shown = egenkontroll(*old, cwd=tmp_path, COLUMNS="200")
        assert shown.stdout == templates and "använd `egenkontroll audit templates`" in shown.stderr


def test_table_json_of_a_file_with_two_audits_is_the_published_tables(tmp_path):
    import json

    from tests.audits.seed004 import write_answer_file
    from tests.core.test_audit_answers import SEED_BOENDE, SEED_BOENDE_N, SEED_FAMILJEVARD, SEED_FAMILJEVARD_N

    path = write_answer_file(tmp_path / "svar.csv", spellings=True)
    shown = egenkontroll("audit", "table", "--answers", path, "--format", "json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    tables = json.loads(shown.stdout)
    assert list(tables) == ["familjevard", "tillfalligt_boende"]
    assert tables["familjevard"]["n"] == SEED_FAMILJEVARD_N and tables["familjevard"]["rows"] == SEED_FAMILJEVARD
    assert tables["tillfalligt_boende"]["n"] == SEED_BOENDE_N and tables["tillfalligt_boende"]["rows"] == SEED_BOENDE
    assert tables["tillfalligt_boende"]["answered"]["Pratat med barnen"] == {
        "Hässelby-Vällingby": 7, "Skarpnäck": 2, "Skärholmen": 7, "Södermalm": 2, "Total": 18}
    assert tables["familjevard"]["gender"] == {"F": 19, "M": 23}

    text = egenkontroll("audit", "table", "--answers", path, cwd=tmp_path, COLUMNS="250")
    assert text.returncode == 0, text.stderr
    assert "Barnperspektiv  Hässelby-Vällingby (n=7)" in text.stdout.replace("        ", "  ").replace("  ", "  ")
    assert "ryms inom vad slumpen kan ge" in text.stdout
    workbook = tmp_path / "t.xlsx"
    written = egenkontroll("audit", "table", "--answers", path, "--format", "xlsx", "--out", workbook, cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    import openpyxl

    sheet = openpyxl.load_workbook(workbook)["familjevard"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[1] == ["Hälsa", "Hägersten-Liljeholmen (n=15)", "Farsta (n=15)", "Norrmalm-Östermalm (n=12)", "Total (n=42)"]
    assert rows[2] == ["Hälsokort utskickat", "6", "5", "8", "19"]


def test_import_checks_a_file_and_writes_its_rejects(tmp_path):
    from pathlib import Path

    fixture = Path(__file__).parents[1] / "core" / "fixtures" / "granskning_svar.csv"
    rejects = tmp_path / "avvisade.csv"
    shown = egenkontroll("audit", "import", "--answers", fixture, "--rejects", rejects, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == ["A: 4 ärenden, 2 frågor, 8 svar", "B: 2 ärenden, 2 frågor, 3 svar"]
    assert "16 rader lästa, 11 godtagna, 5 avvisade." in shown.stderr
    assert "-1212" not in shown.stderr and "-1212" not in rejects.read_text(encoding="utf-8")
    broken = tmp_path / "fel.csv"
    broken.write_text("audit,case_id\nA,1\n", encoding="utf-8")
    refused = egenkontroll("audit", "import", "--answers", broken, cwd=tmp_path)
    assert refused.returncode == 1 and "saknas" in refused.stderr


def test_the_table_in_docs_audits_md_is_what_the_command_prints(tmp_path):
    from pathlib import Path

    root = Path(__file__).parents[2]
    docs = (root / "docs" / "audits.md").read_text(encoding="utf-8")
    block = docs.split("<!-- audit table: begin -->")[1].split("<!-- audit table: end -->")[0]
    shown = [line for line in block.splitlines() if line and not line.startswith(("```", "$ "))]
    printed = egenkontroll("audit", "table", "--answers", root / "docs" / "examples" / "seed004_svar.csv",
                           cwd=tmp_path, COLUMNS="250")
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    start = lines.index(shown[0])
    assert lines[start:start + len(shown)] == shown
