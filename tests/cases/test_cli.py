"""`egenkontroll import`, `checks` and `obligations --db` as a nightly job runs them: a subprocess."""

from __future__ import annotations

import csv
import datetime as dt
import json

from tests.cases.cli import egenkontroll
from tests.cases.factory import city, city_size, event, personnummer, write_dataset


def test_import_then_obligations_from_the_database_equal_those_from_the_files(database_url, tmp_path):
    person = personnummer(dt.date(2015, 3, 12), 982)
    rows = [*city(6), event("late", "C9", person[:-1] + "0", "anmalan", "2024-01-08")]
    # two placements say their regi (issue 16): the stored events must price them as the files do
    starts = [r for r in rows if r["event_type"] == "insats_start"]
    starts[0]["regi"], starts[1]["regi"] = "kopt", "egen"
    data = write_dataset(tmp_path / "d", rows)
    first = egenkontroll("import", data, "--db", database_url, "--format", "json", "--rejects", tmp_path / "r.csv",
                         cwd=tmp_path)
    assert first.returncode == 2, first.stderr
    summary = json.loads(first.stdout)
    assert {"rows_read", "imported", "updated", "unchanged", "rejected"} <= set(summary)
    assert [summary[k] for k in ("rows_read", "imported", "updated", "unchanged", "rejected")] == [
        city_size(6) + 1, city_size(6), 0, 0, 1,
    ]
    with (tmp_path / "r.csv").open(encoding="utf-8") as handle:
        assert [(r["row"], r["value"]) for r in csv.DictReader(handle)] == [(str(city_size(6) + 2), "20150312-****")]

    from_db = egenkontroll("obligations", "--db", database_url, "--as-of", "2023-08-01", cwd=tmp_path)
    from_files = egenkontroll("obligations", "--data", data, "--as-of", "2023-08-01", cwd=tmp_path)
    assert from_db.returncode == from_files.returncode == 0, from_db.stderr
    assert from_db.stdout == from_files.stdout
    assert from_db.stdout.count("\n") == 1 + 36

    period = ("--from", "2023-01-01", "--to", "2023-07-31", "--format", "csv")
    kpi_db = egenkontroll("kpi", "--db", database_url, *period, cwd=tmp_path)
    kpi_files = egenkontroll("kpi", "--data", data, *period, cwd=tmp_path)
    assert kpi_db.returncode == kpi_files.returncode == 0, kpi_db.stderr
    assert kpi_db.stdout == kpi_files.stdout
    assert "fb_inom_14d_andel" in kpi_db.stdout and "placeringskostnad" in kpi_db.stdout


def test_checks_lists_case_ids_only(tmp_path):
    person = personnummer(dt.date(2015, 3, 12), 982)
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    data = write_dataset(tmp_path / "d", [
        event("a", "K1", person, "anmalan", "2024-02-01"),
        event("f", "K1", person, "forhandsbedomning", "2024-01-20", ref="a", outcome="inleda"),
    ])
    assert egenkontroll("import", data, "--db", url, cwd=tmp_path).returncode == 0
    result = egenkontroll("checks", "--db", url, cwd=tmp_path)
    assert result.returncode == 2
    assert "      1  Förhandsbedömning före anmälan (forhandsbedomning_fore_anmalan, error)\n         K1\n" in result.stdout
    assert person[:8] not in result.stdout
    as_json = json.loads(egenkontroll("checks", "--db", url, "--format", "json", cwd=tmp_path).stdout)
    assert [(c["id"], c["case_ids"]) for c in as_json if c["count"]] == [("forhandsbedomning_fore_anmalan", ["K1"])]


def test_nothing_importable_exits_1_with_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    missing = egenkontroll("import", tmp_path / "saknas", "--db", url, cwd=tmp_path)
    assert (missing.returncode, missing.stderr.strip().splitlines()) == (
        1, ["egenkontroll: hittar inte datasetet saknas"],
    )
    data = write_dataset(tmp_path / "d", city(1))
    (data / "events.csv").write_text("event_id;case_id\n1;2\n", encoding="utf-8")
    header = egenkontroll("import", data, "--db", url, "--format", "json", cwd=tmp_path)
    assert header.returncode == 1
    assert json.loads(header.stdout) == {
        "status": "failed", "error": "events.csv: den obligatoriska kolumnen person saknas",
    }
    unreachable = egenkontroll("import", data, "--db", "postgresql://postgres@127.0.0.1:9/none", cwd=tmp_path)
    assert unreachable.returncode == 1
    assert len(unreachable.stderr.strip().splitlines()) == 1
    assert unreachable.stderr.startswith("egenkontroll: databasen kan inte nås:")


def _server_cache_folder(url: str, cwd) -> str:
    """The cache folder a server on `url` would read, computed in a process of its own as a server's is."""
    code = (
        "from egenkontroll.cases.store import connect\n"
        "from egenkontroll.pages import snapshot\n"
        f"alias = connect({url!r})\n"
        "print(snapshot._version_dir(snapshot.data_version(alias)))\n"
    )
    import subprocess
    import sys

    from tests.cases.cli import environment

    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=environment(), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_import_fills_the_pages_cache_a_server_reads_and_drops_earlier_runs(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.sqlite3'}"
    cache = tmp_path / "cache"
    data = write_dataset(tmp_path / "d", city(6))

    first = egenkontroll("import", data, "--db", url, cwd=tmp_path, EGK_WEB_CACHE_DIR=str(cache))
    assert first.returncode == 0, first.stderr
    assert "Sidornas nyckeltal förberedda" in first.stderr
    runs = [p for p in cache.glob("*/*") if p.is_dir()]
    assert [str(r.relative_to(cache)) for r in runs] == [_server_cache_folder(url, tmp_path)]
    assert any(runs[0].glob("figures-*.parquet")) and any(runs[0].glob("flow-cohort-*.parquet"))

    # the nightly import again: a new run, a fresh cache, the previous run's cache deleted
    second = egenkontroll("import", data, "--db", url, cwd=tmp_path, EGK_WEB_CACHE_DIR=str(cache))
    assert second.returncode == 0, second.stderr
    after = [p for p in cache.glob("*/*") if p.is_dir()]
    assert len(after) == 1 and after != runs
    assert str(after[0].relative_to(cache)) == _server_cache_folder(url, tmp_path)

    # another database sharing the cache folder keeps its own
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    assert egenkontroll("import", data, "--db", other, cwd=tmp_path, EGK_WEB_CACHE_DIR=str(cache)).returncode == 0
    assert len([p for p in cache.glob("*/*") if p.is_dir()]) == 2

    quiet = egenkontroll("import", data, "--db", url, "--no-warm-up", cwd=tmp_path, EGK_WEB_CACHE_DIR=str(cache))
    assert quiet.returncode == 0 and "Sidornas" not in quiet.stderr
    assert len([p for p in cache.glob("*/*") if p.is_dir()]) == 2
    assert all(oct(p.stat().st_mode & 0o777) == "0o700" for p in cache.glob("*/**") if p.is_dir())


def test_server_reads_the_events_the_import_cached(tmp_path):
    """A server process takes the events from the import's Parquet file, not from the database."""
    import sqlite3
    import subprocess
    import sys

    from tests.cases.cli import environment

    url = f"sqlite:///{tmp_path / 'e.sqlite3'}"
    cache = tmp_path / "cache"
    data = write_dataset(tmp_path / "d", city(9))
    assert egenkontroll("import", data, "--db", url, cwd=tmp_path, EGK_WEB_CACHE_DIR=str(cache)).returncode == 0
    cached = list(cache.glob("*/*/events-*.parquet"))
    assert len(cached) == 1
    probe = (
        "from egenkontroll.cases.store import connect, load_events\n"
        "from egenkontroll.pages import snapshot\n"
        f"alias = connect({url!r})\n"
        "print(snapshot.current(alias).events.height, load_events(alias).height)\n"
    )

    def heights() -> list[int]:
        done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                              env=environment(EGK_WEB_CACHE_DIR=str(cache)), timeout=120)
        assert done.returncode == 0, done.stderr
        return [int(n) for n in done.stdout.split()]

    assert heights() == [city_size(9), city_size(9)]
    with sqlite3.connect(tmp_path / "e.sqlite3") as con:  # behind the application's back: same import run
        con.execute("DELETE FROM cases_event")
    assert heights() == [city_size(9), 0]
