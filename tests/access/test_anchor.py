"""Anchors outside the database: an emptied, truncated or cut-off access log no longer verifies."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.urls import reverse
from typer.testing import CliRunner

from egenkontroll.access import anchor, hashchain
from egenkontroll.access.models import AccessLog
from egenkontroll.cli import access_commands  # noqa: F401  (registers the commands)
from egenkontroll.cli.app import app
from tests.access.cityfixture import build_city, make_users
from tests.access.test_accesslog import raw, write_chain

runner = CliRunner()


@pytest.fixture(autouse=True)
def real_key(monkeypatch):
    monkeypatch.setenv("EGK_ACCESS_LOG_KEY", "test-chain-key-" + "q8Zr" * 12)


@pytest.fixture
def anchored(db, tmp_path):
    """Five rows, anchored in an anchor file; returns its path."""
    write_chain(5)
    path = tmp_path / "logankare.jsonl"
    result = runner.invoke(app, ["log", "anchor", "--file", str(path)])
    assert result.exit_code == 0, result.output
    return path


def verify_log(path) -> tuple[int, str]:
    result = runner.invoke(app, ["log", "verify", "--anchor", str(path)])
    return result.exit_code, " ".join(result.output.split())


def test_the_anchor_is_a_signed_line_with_head_rows_and_time(anchored):
    line = anchored.read_text(encoding="utf-8").strip()
    written = anchor.parse(line)
    head = hashchain.verify()
    assert (written.seq, written.hash, written.rows) == (head.head_seq, head.head_hash, 5)
    assert json.loads(line)["at"].startswith(written.at[:10])


def test_normal_growth_after_an_anchor_passes_and_anchors_are_appended(anchored):
    write_chain(3)
    code, output = verify_log(anchored)
    assert code == 0, output
    assert "Åtkomstloggen är hel: 8 rader" in output and "Stämmer med ankaret" in output
    assert runner.invoke(app, ["log", "anchor", "--file", str(anchored)]).exit_code == 0
    lines = anchored.read_text(encoding="utf-8").splitlines()
    assert [anchor.parse(line).rows for line in lines] == [5, 8]
    assert anchor.latest(anchored).seq == 8


def test_deleting_every_row_and_the_head_fails(anchored):
    raw("DELETE FROM access_accesslogcase")
    raw("DELETE FROM access_accesslog")
    raw("DELETE FROM access_accessloghead")
    assert hashchain.verify().ok  # the chain alone cannot see it: this is why anchors exist
    code, output = verify_log(anchored)
    assert code == 1
    assert "loggen har 0 rader, färre än 5" in output
    assert "raden seq=5 från ankaret" in output and "saknas" in output


def test_cutting_the_tail_and_rewriting_the_head_fails(anchored):
    kept = AccessLog.objects.get(seq=3)
    raw("DELETE FROM access_accesslogcase WHERE entry_id IN (SELECT id FROM access_accesslog WHERE seq > 3)")
    raw("DELETE FROM access_accesslog WHERE seq > 3")
    raw("UPDATE access_accessloghead SET seq = 3, hash = %s", [kept.hash])
    assert hashchain.verify().ok
    code, output = verify_log(anchored)
    assert code == 1
    assert "loggen har 3 rader, färre än 5" in output
    assert "huvudraden pekar på seq=3, före ankaret" in output


def test_a_rewritten_chain_of_the_same_length_fails(anchored):
    """Someone with the key rebuilds the whole chain with other content: the anchored hash differs."""
    raw("DELETE FROM access_accesslogcase")
    raw("DELETE FROM access_accesslog")
    raw("DELETE FROM access_accessloghead")
    for _ in range(5):
        hashchain.append(user_id=1, username="annan", roles="", action="view", page="arende", case_ids=["X"],
                         detail="", client="")
    assert hashchain.verify().ok
    code, output = verify_log(anchored)
    assert code == 1
    assert "raden seq=5 har en annan hash än vid ankaret" in output


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="TRUNCATE is PostgreSQL's (SQLite has none)")
def test_truncate_on_postgresql_fails(anchored):
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE access_accesslog, access_accesslogcase, access_accessloghead")
    code, output = verify_log(anchored)
    assert code == 1
    assert "loggen har 0 rader, färre än 5" in output


def test_a_forged_or_edited_anchor_line_is_refused(anchored):
    line = json.loads(anchored.read_text(encoding="utf-8"))
    line["rows"] = 0
    line["seq"] = 0
    anchored.write_text(json.dumps(line) + "\n", encoding="utf-8")
    code, output = verify_log(anchored)
    assert code == 1
    assert "ankarets signatur stämmer inte" in output


def test_a_missing_anchor_file_fails_and_no_anchor_warns(db, tmp_path):
    write_chain(1)
    code, output = verify_log(tmp_path / "finns-inte.jsonl")
    assert code == 1 and "finns inte" in output
    plain = runner.invoke(app, ["log", "verify"])
    assert plain.exit_code == 0
    assert "inget ankare angivet" in plain.stderr


def test_log_anchor_refuses_a_broken_chain_or_one_that_contradicts_the_last_anchor(anchored):
    raw("DELETE FROM access_accesslogcase WHERE entry_id IN (SELECT id FROM access_accesslog WHERE seq = 5)")
    raw("DELETE FROM access_accesslog WHERE seq = 5")
    result = runner.invoke(app, ["log", "anchor", "--file", str(anchored)])
    assert result.exit_code == 1
    assert "inget nytt ankare skrivs" in result.stderr
    assert len(anchored.read_text(encoding="utf-8").splitlines()) == 1


def test_log_anchor_needs_a_destination_and_a_real_key(db, tmp_path, monkeypatch):
    result = runner.invoke(app, ["log", "anchor"])
    assert result.exit_code == 1 and "ange var ankaret ska skrivas" in result.stderr
    monkeypatch.delenv("EGK_ACCESS_LOG_KEY")
    monkeypatch.delenv("EGK_SECRET_KEY", raising=False)
    result = runner.invoke(app, ["log", "anchor", "--file", str(tmp_path / "a.jsonl")])
    assert result.exit_code == 1 and "utvecklingsnyckeln" in result.stderr
    assert not (tmp_path / "a.jsonl").exists()


def test_log_anchor_to_syslog(db, monkeypatch):
    sent = []
    monkeypatch.setattr(anchor, "send_to_syslog", sent.append)
    write_chain(2)
    monkeypatch.setenv("EGK_ACCESS_LOG_ANCHOR_SYSLOG", "1")
    result = runner.invoke(app, ["log", "anchor"])
    assert result.exit_code == 0, result.output
    assert anchor.parse(sent[0]).seq == 2


def test_the_controller_downloads_a_signed_checkpoint_that_verify_log_uses(db, client, tmp_path):
    build_city()
    users = make_users()
    write_chain(4)
    client.force_login(users["inspektor"])
    response = client.get(reverse("access:logg-kontrollpunkt"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith('attachment; filename="atkomstlogg-kontrollpunkt-')
    checkpoint = anchor.parse(response.content.decode("utf-8").strip())
    assert (checkpoint.seq, checkpoint.rows) == (4, 4)
    assert AccessLog.objects.order_by("-seq").first().detail == "kontrollpunkt seq=4, 4 rader"
    saved = tmp_path / "kontrollpunkt.json"
    saved.write_bytes(response.content)
    assert verify_log(saved)[0] == 0
    raw("DELETE FROM access_accesslogcase")
    raw("DELETE FROM access_accesslog")
    raw("DELETE FROM access_accessloghead")
    code, output = verify_log(saved)
    assert code == 1 and "färre än 4" in output
    client.force_login(users["namnd"])
    assert client.get(reverse("access:logg-kontrollpunkt")).status_code == 403


def test_the_nightly_import_job_writes_the_anchor(tmp_path, monkeypatch):
    """deploy/egenkontroll-import-inbox anchors the log every night, also when no export came."""
    import subprocess
    import sys

    from tests.ops.test_deploy import KEYS, run_inbox

    monkeypatch.setenv("EGK_ACCESS_LOG_KEY", KEYS["EGK_ACCESS_LOG_KEY"])  # the job's key, to read its anchor
    inbox = tmp_path / "inkorg"
    inbox.mkdir()
    anchor_file = tmp_path / "logankare.jsonl"
    database = f"sqlite:///{tmp_path / 'egk.sqlite3'}"
    migrate = [sys.executable, "-c", "from egenkontroll.cli import main; main()", "migrate", "--db", database]
    assert subprocess.run(migrate, capture_output=True, timeout=300).returncode == 0
    monkeypatch.setenv("EGK_ACCESS_LOG_ANCHOR_FILE", str(anchor_file))
    night = run_inbox(inbox, database, tmp_path)
    assert night.returncode == 1 and "nattens export har inte kommit" in night.stderr
    assert anchor_file.exists(), night.stderr
    lines = anchor_file.read_text(encoding="utf-8").splitlines()
    assert [(a.seq, a.rows) for a in map(anchor.parse, lines)] == [(0, 0)]
