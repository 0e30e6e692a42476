"""`egenkontroll demo` and `serve` end to end: generate, import, users, static files, gunicorn."""

from __future__ import annotations

import html
import http.cookiejar
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "egenkontroll"), *args],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=600,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> urllib.request.addinfourl:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return urllib.request.urlopen(url, timeout=5)  # noqa: S310 - localhost test server
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_demo_prepares_everything_and_serve_serves_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EGK_", "DATABASE_URL", "DJANGO_"))}
    first = run("demo", "--data-dir", str(tmp_path), "--size-factor", "0.05", "--prepare-only", env=env)
    assert first.returncode == 0, first.stderr
    users = dict(re.findall(r"^  (\w+) +(\S+) +", first.stdout, flags=re.MULTILINE))
    assert {"handlaggare", "enhetschef", "namnd", "inspektor", "admin"} <= set(users)
    assert "http://127.0.0.1:8000/" in first.stdout
    database = next(tmp_path.glob("demo-demo-*.sqlite3"))  # the default: three stadsdelsförvaltningar
    with sqlite3.connect(database) as con:
        districts = con.execute("SELECT COUNT(*) FROM cases_orgunit WHERE level = 'forvaltning'").fetchone()[0]
        # a started familjevård audit with empty protocols, and a finished one, every protocol answered
        audits = con.execute(
            "SELECT template_id, per_district, seed, closed_at IS NOT NULL, "
            "(SELECT COUNT(*) FROM audits_auditcase c WHERE c.audit_id = a.id), "
            "(SELECT COUNT(*) FROM audits_auditcase c WHERE c.audit_id = a.id AND c.complete), "
            "(SELECT COUNT(*) FROM audits_auditanswer r JOIN audits_auditcase c ON r.audit_case_id = c.id "
            " WHERE c.audit_id = a.id) FROM audits_audit a ORDER BY seed"
        ).fetchall()
        statuses = {row[0] for row in con.execute("SELECT DISTINCT status FROM deviations_deviation")}
        reports = con.execute("SELECT status, COUNT(DISTINCT month), COUNT(DISTINCT unit_id) FROM reports_monthlyreport "
                              "GROUP BY status ORDER BY status").fetchall()
    assert districts >= 3
    (started, finished) = audits
    assert started[:4] == ("familjevard", 5, 2026, 0) and started[4] > 0 and started[6] == 0  # nothing made up
    assert finished[:4] == ("familjevard", 5, 2027, 1) and finished[4] == finished[5] > 0 and finished[6] > 0
    assert statuses == {"rapporterad", "under_utredning", "atgardad", "avslutad"}
    assert reports == [("faststalld", 3, districts + 1), ("utkast", 1, districts + 1)]
    assert (tmp_path / "static/pages/egenkontroll.css").is_file()
    assert (tmp_path / "static/pages/egenkontroll.css.gz").is_file()
    assert any((tmp_path / "cache").rglob("figures-*.parquet"))
    assert oct((tmp_path / "pseudonym.key").stat().st_mode & 0o777) == "0o600"

    again = run("demo", "--data-dir", str(tmp_path), "--size-factor", "0.05", "--prepare-only", env=env)
    assert again.returncode == 0, again.stderr
    assert "Återanvänder" in again.stderr

    port = free_port()
    serve_env = {**env, "EGK_DATA_DIR": str(tmp_path), "EGK_SECRET_KEY": "test-secret-key-for-the-serve-test",
                 "EGK_MFA_REQUIRED": "0", "EGK_LOG_LEVEL": "INFO"}
    log = tmp_path / "serve.log"
    server = subprocess.Popen(  # noqa: S603
        [str(Path(sys.executable).parent / "egenkontroll"), "serve", "--db", f"sqlite:///{database}",
         "--port", str(port), "--no-warm-up", "--workers", "1"],
        env=serve_env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    try:
        login = wait_for(f"http://127.0.0.1:{port}/login/")
        assert login.status == 200 and "Logga in" in login.read().decode()
        # The pages link the style sheet under its content-hashed name (the manifest of collectstatic),
        # served gzipped and kept by browsers for a year; the plain name only briefly (issue 19).
        manifest = json.loads((tmp_path / "static/staticfiles.json").read_text())["paths"]
        hashed = manifest["pages/egenkontroll.css"]
        assert re.fullmatch(r"pages/egenkontroll\.[0-9a-f]{12}\.css", hashed)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/static/{hashed}", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=10) as sheet:  # noqa: S310
            assert sheet.status == 200 and sheet.headers["Content-Encoding"] == "gzip"
            cache = sheet.headers["Cache-Control"]
            assert "immutable" in cache and int(re.search(r"max-age=(\d+)", cache).group(1)) >= 365 * 24 * 3600
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/pages/egenkontroll.css", timeout=10) as plain:  # noqa: S310
            assert plain.status == 200 and "immutable" not in plain.headers["Cache-Control"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=10) as page:  # noqa: S310
            assert f"/static/{hashed}" in page.read().decode()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/oversikt/", timeout=10) as page:  # noqa: S310
            assert page.url.endswith("/login/?next=/oversikt/")
        passwords = dict(re.findall(r"^  (\w+) +(\S+) +", again.stdout, flags=re.MULTILINE))  # new at each start
        a_new_period_is_computed_by_a_child_at_the_lowest_priority(f"http://127.0.0.1:{port}", passwords["inspektor"])
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert re.search(r"a figure page computed apart at nice 19 in [\d.]+ s", log.read_text())


def a_new_period_is_computed_by_a_child_at_the_lowest_priority(base: str, password: str) -> None:
    """Issue 19: a period nobody asked for is answered at once with the waiting page, computed by a
    child process at nice 19 (pages/apart.py; its log line is checked by the caller) and shown when
    asked again."""
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    form = browser.open(f"{base}/login/", timeout=10).read().decode()
    token = html.unescape(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1))
    fields = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "inspektor", "password": password})
    signed_in = browser.open(urllib.request.Request(f"{base}/login/", data=fields.encode(),
                                                    headers={"Referer": f"{base}/login/"}), timeout=10)
    assert "/login/" not in signed_in.url
    new = f"{base}/oversikt/?fran=2025-03-01&till=2025-08-31&per=2025-08-31"  # --no-warm-up: nothing is kept
    page = browser.open(new, timeout=30).read().decode()
    assert "räknas fram nu" in page
    deadline = time.monotonic() + 120
    while "räknas fram nu" in page and time.monotonic() < deadline:
        time.sleep(0.5)
        page = browser.open(new, timeout=30).read().decode()
    assert "räknas fram nu" not in page and "2025-03-01 – 2025-08-31" in page


def test_serve_refuses_a_missing_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EGK_", "DATABASE_URL", "DJANGO_"))}
    result = run("serve", "--db", f"sqlite:///{tmp_path / 'none.sqlite3'}", env={**env, "EGK_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "databasfilen finns inte" in result.stderr


def test_serve_and_demo_refuse_a_broken_targets_file_before_starting(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import egenkontroll.cli.web_commands  # noqa: F401  (registers the commands)
    from egenkontroll.cli.app import app

    targets = tmp_path / "mal.yaml"
    targets.write_text("targets:\n  fb_snabba: 0.9\n", encoding="utf-8")
    monkeypatch.setenv("EGK_KPI_TARGETS_FILE", str(targets))
    for args in (["serve", "--db", f"sqlite:///{tmp_path / 'none.sqlite3'}"], ["demo", "--data-dir", str(tmp_path)]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 1, result.output
        assert f"{targets}: okänt nyckeltal 'fb_snabba'" in " ".join(result.output.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mal.yaml"]  # nothing generated or imported


def test_serve_and_demo_refuse_a_broken_price_list(tmp_path, monkeypatch):
    """The price list prices placeringskostnad on the pages (issue 16): a broken one stops start-up."""
    from typer.testing import CliRunner

    import egenkontroll.cli.web_commands  # noqa: F401  (registers the commands)
    from egenkontroll.cli.app import app

    prices = tmp_path / "priser.yaml"
    prices.write_text("prices: {hvb: -1}\n", encoding="utf-8")
    monkeypatch.setenv("EGK_PLACEMENT_PRICES_FILE", str(prices))
    for args in (["serve", "--db", f"sqlite:///{tmp_path / 'none.sqlite3'}"], ["demo", "--data-dir", str(tmp_path)]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 1, result.output
        assert "priser.yaml: pris saknas för" in " ".join(result.output.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["priser.yaml"]  # nothing generated or imported


def test_serve_refuses_a_wait_that_is_no_number_of_seconds(tmp_path, monkeypatch):
    """EGK_PAGE_WAIT_SECONDS (pages/pending.py, issue 19) is checked before the server starts."""
    from typer.testing import CliRunner

    import egenkontroll.cli.web_commands  # noqa: F401  (registers the commands)
    from egenkontroll.cli.app import app

    for value in ("-1", "snart"):
        monkeypatch.setenv("EGK_PAGE_WAIT_SECONDS", value)
        result = CliRunner().invoke(app, ["serve", "--db", f"sqlite:///{tmp_path / 'none.sqlite3'}"])
        assert result.exit_code == 1, result.output
        assert "EGK_PAGE_WAIT_SECONDS ska vara ett antal sekunder" in " ".join(result.output.split())


def test_serve_and_demo_refuse_a_wrong_nice_level_or_number_of_jobs(tmp_path, monkeypatch):
    """EGK_PAGE_NICE (0–19) and EGK_PAGE_JOBS (1–8) are checked before anything starts (pages/apart.py)."""
    from typer.testing import CliRunner

    import egenkontroll.cli.web_commands  # noqa: F401  (registers the commands)
    from egenkontroll.cli.app import app

    for variable, value in (("EGK_PAGE_NICE", "20"), ("EGK_PAGE_JOBS", "0")):
        with monkeypatch.context() as m:
            m.setenv(variable, value)
            for args in (["serve", "--db", f"sqlite:///{tmp_path / 'none.sqlite3'}"], ["demo", "--data-dir", str(tmp_path)]):
                result = CliRunner().invoke(app, args)
                assert result.exit_code == 1, result.output
                assert variable in result.output and repr(value) in result.output
    assert not list(tmp_path.glob("*.sqlite3"))  # refused before any database was made
