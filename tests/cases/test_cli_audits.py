"""`egenkontroll granskningsmallar` and `stickprov` as a user runs them: the same sample from files and database."""

from __future__ import annotations

import csv
import io

from tests.cases.cli import egenkontroll
from tests.cases.factory import city, write_dataset

PERIOD = ("--from", "2023-01-01", "--to", "2023-12-31")


def test_templates_are_listed_and_a_broken_file_refused(tmp_path):
    shown = egenkontroll("granskningsmallar", cwd=tmp_path, COLUMNS="200")
    assert shown.returncode == 0, shown.stderr
    assert "Familjevård – hälsa, umgänge och delaktighet (familjevard)" in shown.stdout
    assert "Självbestämmande och integritet" in shown.stdout and "6 kap. 7 b § SoL" in shown.stdout
    broken = tmp_path / "mallar.yaml"
    broken.write_text("templates:\n  - id: t\n    title: T\n    purpose: P\n    population: alla\n", encoding="utf-8")
    refused = egenkontroll("granskningsmallar", "--file", broken, cwd=tmp_path, COLUMNS="200")
    assert refused.returncode == 1
    assert "okänd population 'alla'" in refused.stderr


def test_sample_from_files_and_from_the_database_is_the_same_for_a_seed(tmp_path):
    data = write_dataset(tmp_path / "d", city(40))
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    assert egenkontroll("import", data, "--db", url, "--no-warm-up", cwd=tmp_path).returncode == 0
    args = ("stickprov", "--mall", "barnavardsutredning", *PERIOD, "--antal", "15", "--seed", "11")
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
    homes = egenkontroll("stickprov", "--mall", "familjevard", *PERIOD, "--niva", "enhet", "--antal", "50",
                         "--data", data, cwd=tmp_path)
    assert homes.returncode == 0, homes.stderr
    placed = list(csv.DictReader(io.StringIO(homes.stdout)))
    assert sorted(r["case_id"] for r in placed) == sorted(f"C{i}" for i in range(3, 41, 3))
    assert "frö " in homes.stderr  # a fresh seed is drawn and printed so the sample can be drawn again


def test_sample_refuses_an_unknown_template_and_level(tmp_path):
    data = write_dataset(tmp_path / "d", city(3))
    unknown = egenkontroll("stickprov", "--mall", "okand", *PERIOD, "--data", data, cwd=tmp_path)
    assert unknown.returncode == 2 and "okänd mall 'okand'" in unknown.stderr
    level = egenkontroll("stickprov", "--mall", "familjevard", *PERIOD, "--niva", "grupp", "--data", data, cwd=tmp_path)
    assert level.returncode == 2 and "okänd nivå 'grupp'" in level.stderr
