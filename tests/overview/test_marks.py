"""Arbetslista that can be acted on: the horizon and its counted tail, marking obligations
(registreringsfel, ej tillämplig) with their history, lapse at import, figures and Datakvalitet.

On top of municipality.py, case C9 (anna, G1) was reported 2025-06-01 and nothing happened:
its protection assessment (due 2025-06-02) and both preliminary assessments (14 days: due
2025-06-15; 10 working days: 2025-06-16) are far more than 90 days overdue on 2026-03-10.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from egenkontroll.access.models import AccessLog
from egenkontroll.cases.importer import run_import
from egenkontroll.cases.models import ObligationMark, ObligationMarkEvent
from egenkontroll.pages import snapshot
from tests.cases.factory import event, personnummer, write_dataset
from tests.overview import municipality as M

pytestmark = pytest.mark.django_db

C9 = personnummer(dt.date(2014, 4, 4), 57)
REASON = "Skyddsbedömningen gjordes samma dag enligt journalanteckning men registrerades aldrig."


def c9_events() -> list[dict]:
    return [event("c9a", "C9", C9, "anmalan", dt.date(2025, 6, 1), "G1", "anna", source="skola")]


def reimport(tmp_path, events: list[dict], name: str):
    path = write_dataset(tmp_path / name, events, org_units=M.ORG_UNITS, caseworkers=M.CASEWORKERS)
    summary = run_import(path)
    snapshot.forget()
    return summary


@pytest.fixture
def city(login, tmp_path):
    reimport(tmp_path, [*M.events(), *c9_events()], "with-c9")
    return login


def rows(response) -> list[tuple[str, str]]:
    return [(r["case_id"], r["rule"]) for r in response.context["tables"][0].rows]


def counts(response) -> dict[str, int]:
    return {key: n for key, _, n, _ in response.context["counts"]}


def mark_url(case_id: str, rule: str, trigger: str) -> str:
    return f"/arende/{case_id}/markera/{rule}/{trigger}/"


# ------------------------------------------------------------------ the default view and its tail


def test_the_default_view_counts_the_long_overdue_tail_one_click_away(city):
    client = city("anna")
    response = client.get("/arbetslista/")
    assert counts(response) == {"forsenad": 1, "snart": 2, "kommande": 2}
    assert response.context["older"] == 3
    assert "C9" not in {case for case, _ in rows(response)}
    html = response.content.decode()
    assert "3</strong> äldre förfallna – visa" in html
    assert response.context["older_url"].replace("&", "&amp;") in html
    tail = client.get(response.context["older_url"])
    # One click: every overdue obligation, the oldest first.
    assert [case for case, _ in rows(tail)] == ["C9", "C9", "C9", "C4"]
    assert counts(tail)["forsenad"] == 4 and tail.context["older"] == 0


def test_a_page_of_the_default_order_can_span_its_segments(city):
    from egenkontroll.cases.models import Obligation
    from egenkontroll.overview.queries import WorkListFilter, work_list

    rows, counts = work_list(Obligation.objects.filter(caseworker_id="anna"), M.TODAY, WorkListFilter())
    assert (counts["snart"], counts["forsenad"], counts["kommande"]) == (2, 1, 2)
    middle = [(r["case_id"], r["rule"], r["urgency"]) for r in rows[1:4]]
    assert middle == [
        ("C5", "forhandsbedomning_14d", "snart"),
        ("C4", "skyddsbedomning_1d", "forsenad"),
        ("C4", "forhandsbedomning_10ad", "kommande"),
    ]
    assert [r["case_id"] for r in rows[4:100]] == ["C4"] and rows[5:9] == []


def test_the_horizon_is_chosen_in_the_query_string(city):
    client = city("anna")
    year = client.get("/arbetslista/?forfallna=365")
    assert (counts(year)["forsenad"], year.context["older"]) == (4, 0)
    month = client.get("/arbetslista/?forfallna=30")
    assert (counts(month)["forsenad"], month.context["older"]) == (1, 3)
    # An unknown horizon falls back to the default (90 days).
    assert client.get("/arbetslista/?forfallna=7").context["older"] == 3


def test_the_download_follows_the_horizon_and_has_no_mark_column(city):
    client = city("anna")
    body = client.get("/arbetslista/ladda-ner/frister.csv").content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(body), delimiter=";" if ";" in body.splitlines()[0] else ","))
    assert "Åtgärd" not in table[0]
    assert [r[0] for r in table[1:]].count("C9") == 0
    everything = client.get("/arbetslista/ladda-ner/frister.csv?forfallna=alla").content.decode("utf-8-sig")
    assert everything.count("C9") == 3


# ------------------------------------------------------------------ marking


def test_a_caseworker_marks_her_own_obligation_after_confirming(city):
    client = city("anna")
    url = mark_url("C4", "skyddsbedomning_1d", "c4a")
    assert url in client.get("/arbetslista/").content.decode()
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "tas bort från arbetslistan" in confirm.content.decode()
    assert not ObligationMark.objects.exists()  # the page only asks
    done = client.post(url, {"kind": "registreringsfel", "reason": REASON, "tillbaka": "/arbetslista/"})
    assert (done.status_code, done.url) == (302, "/arbetslista/")
    mark = ObligationMark.objects.get()
    assert (mark.case_id, mark.rule, mark.trigger_event_id, mark.kind, mark.active) == (
        "C4", "skyddsbedomning_1d", "c4a", "registreringsfel", True
    )
    assert (mark.marked_by, mark.marked_role, mark.reason) == ("anna", "handlaggare", REASON)
    assert list(mark.history.values_list("action", flat=True)) == ["markerad"]
    # It has left the work list and is counted beside it.
    after = client.get("/arbetslista/")
    assert ("C4", "Skyddsbedömning genast (samma eller nästa dag)") not in rows(after)
    assert counts(after)["forsenad"] == 0 and after.context["marked"] == 1
    # In the access log as a mark, without the reason (staff free text never goes to the log).
    logged = AccessLog.objects.filter(action="mark").get()
    assert (logged.page, json.loads(logged.case_ids), logged.username) == ("markera", ["C4"], "anna")
    assert "journal" not in logged.detail and "skyddsbedomning_1d" in logged.detail


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"kind": "registreringsfel", "reason": "   "}, "Skriv en motivering."),
        ({"kind": "registreringsfel"}, "Skriv en motivering."),
        ({"reason": REASON}, "Välj registreringsfel eller ej tillämplig."),
        ({"kind": "uppfylld", "reason": REASON}, "Välj registreringsfel eller ej tillämplig."),
        ({"kind": "ej_tillamplig", "reason": "x" * 501}, "högst 500 tecken"),
        ({"kind": "ej_tillamplig", "reason": f"Gäller {M.PERSONS['C4']}"}, "Skriv inte personnummer"),
    ],
)
def test_a_mark_needs_a_kind_and_a_short_reason(city, data, error):
    response = city("anna").post(mark_url("C4", "skyddsbedomning_1d", "c4a"), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not ObligationMark.objects.exists()
    assert not AccessLog.objects.filter(action="mark").exists()


def test_a_unit_leader_marks_within_the_unit(city):
    client = city("ledare")
    response = client.post(mark_url("C5", "forhandsbedomning_14d", "c5a"),
                           {"kind": "ej_tillamplig", "reason": "Anmälan gällde ett annat barn i samma familj."})
    assert response.status_code == 302
    assert ObligationMark.objects.get().marked_role == "arbetsledare"


def test_a_role_without_the_right_is_refused_and_logged(city):
    # The inspektor reads every case but does not mark (403); bo may not see anna's case (404).
    url = mark_url("C4", "skyddsbedomning_1d", "c4a")
    data = {"kind": "registreringsfel", "reason": REASON}
    assert city("inspektor").post(url, data).status_code == 403
    denied = AccessLog.objects.filter(action="denied").latest("id")
    assert (denied.username, denied.page, json.loads(denied.case_ids)) == ("inspektor", "markera", ["C4"])
    assert "markera" in denied.detail
    assert city("bo").post(url, data).status_code == 404
    assert AccessLog.objects.filter(action="denied").latest("id").username == "bo"
    assert city("namnd").post(url, data).status_code == 403
    assert not ObligationMark.objects.exists()
    # No mark link for those who may not mark.
    assert "/markera/" not in city("inspektor").get("/arbetslista/").content.decode()


def test_the_mark_is_counted_separately_in_the_figures(city):
    client = city("anna")

    def figures() -> dict[str, int]:
        frame = snapshot.current().figures(*M.PERIOD, M.TODAY)
        root = frame.filter((frame["node_type"] == "unit") & (frame["node_id"] == "S"))
        return dict(zip(root["kpi"], root["numerator"], strict=True))

    before = figures()
    assert (before["fb_forsenade"], before["markerade_skyldigheter"]) == (1, 0)  # C9's 14 days
    client.post(mark_url("C9", "forhandsbedomning_14d", "c9a"),
                {"kind": "registreringsfel", "reason": "Beslut fattat 2025-06-10, saknas i systemet."})
    after = figures()
    # Never as fulfilled, never as overdue: moved from fb_forsenade to markerade_skyldigheter.
    assert (after["fb_forsenade"], after["markerade_skyldigheter"]) == (0, 1)
    for kpi in ("fb_inom_14d_andel", "fb_inom_10ad_andel", "utr_forsenade", "oppna_arenden"):
        assert after[kpi] == before[kpi], kpi
    # Added up the tree: the group and the caseworker carry the same one.
    frame = snapshot.current().figures(*M.PERIOD, M.TODAY)
    marked = frame.filter(frame["kpi"] == "markerade_skyldigheter")
    by_node = dict(zip(marked["node_id"], marked["numerator"], strict=True))
    assert (by_node["G1"], by_node["E"], by_node["anna"], by_node["G2"]) == (1, 1, 1, 0)


def test_the_command_line_figures_from_the_database_apply_the_marks(city):
    from egenkontroll.cli.kpi_commands import kpi_inputs

    city("anna").post(mark_url("C9", "forhandsbedomning_14d", "c9a"), {"kind": "ej_tillamplig", "reason": REASON})
    obligations = kpi_inputs(None, M.TODAY, "default").obligations
    marked = obligations.filter(obligations["status"] == "marked")
    assert list(zip(marked["case_id"], marked["rule"], strict=True)) == [("C9", "forhandsbedomning_14d")]


def test_the_cases_behind_the_marked_figure(city):
    city("anna").post(mark_url("C9", "forhandsbedomning_14d", "c9a"), {"kind": "ej_tillamplig", "reason": REASON})
    response = city("chef").get("/oversikt/underlag/?nyckeltal=markerade_skyldigheter&enhet=E")
    (row,) = response.context["tables"][0].rows
    assert (row["case_id"], row["status"]) == ("C9", "Markerad (registreringsfel eller ej tillämplig)")


def test_a_marked_report_is_not_waiting_in_planering_or_in_the_flow(city):
    """C9's report (2025-06-01, never decided) waits on 2026-03-10 until anna marks it ej tillämplig:
    then Planering's backlog and Flöde's queue no longer count it (the case stays an open case)."""
    from egenkontroll.cli.planning_commands import _marked
    from egenkontroll.core import planning

    def waiting() -> tuple[int, int, int]:
        chef = city("chef")
        baseline = chef.get("/planering/?enhet=E&veckor=2").context["baseline"]
        queue = next(c for c in chef.get("/flode/?enhet=E").context["charts"] if c.id == "ko").table.rows
        return baseline.undecided, baseline.other_open_cases, queue[-1]["fb_open"]

    undecided, others, queued = waiting()
    assert (undecided, queued) == (3, 3)  # C4, C5 and C9
    city("anna").post(mark_url("C9", "forhandsbedomning_14d", "c9a"), {"kind": "ej_tillamplig", "reason": REASON})
    assert waiting() == (2, others + 1, 2)  # C9 is now an open case without a report waiting
    # The command line reads the marks from the database too.
    evaluation = planning.evaluate(snapshot.current().events, M.TODAY, list(planning.BACKLOG_RULES))
    marked = _marked(evaluation.obligations, "default")
    assert marked.filter(marked["status"] == "marked")["case_id"].to_list() == ["C9"]


# ------------------------------------------------------------------ a later import


def test_the_mark_lapses_when_an_import_fulfils_the_obligation(city, tmp_path):
    client = city("anna")
    client.post(mark_url("C4", "skyddsbedomning_1d", "c4a"), {"kind": "registreringsfel", "reason": REASON})
    fixed = [*M.events(), *c9_events(),
             event("c4s", "C4", M.PERSONS["C4"], "skyddsbedomning", dt.date(2026, 3, 5), "G1", "anna", outcome="ej_akut")]
    summary = reimport(tmp_path, fixed, "c4-fixed")
    assert summary.marks_lapsed == 1
    mark = ObligationMark.objects.get()
    assert (mark.active, mark.lapse_reason) == (False, "skyldigheten är uppfylld enligt importen")
    assert list(mark.history.values_list("action", "import_run_id")) == [
        ("markerad", None), ("upphavd", summary.run_id)
    ]
    listed = client.get("/datakvalitet/?visa=alla")
    status = listed.context["tables"][0].rows[0]["status"]
    assert status.startswith("Upphävd") and "uppfylld" in status


def test_the_mark_lapses_and_the_obligation_returns_when_its_trigger_changes(city, tmp_path):
    client = city("anna")
    client.post(mark_url("C4", "skyddsbedomning_1d", "c4a"), {"kind": "ej_tillamplig", "reason": "Felregistrerad anmälan."})
    moved = [dict(e, date="2026-03-04") if e["event_id"] == "c4a" else e for e in [*M.events(), *c9_events()]]
    reimport(tmp_path, moved, "c4-moved")
    mark = ObligationMark.objects.get()
    assert not mark.active
    assert mark.lapse_reason == "utlösande datum har ändrats från 2026-03-05 till 2026-03-04"
    back = client.get("/arbetslista/")
    assert ("C4", "Skyddsbedömning genast (samma eller nästa dag)") in rows(back)
    assert back.context["marked"] == 0
    # The case page keeps the whole history visible.
    history = client.get("/arende/C4/").context["tables"][-1]
    assert history.id == "markeringar"
    assert [r["action"] for r in history.rows] == ["Markerad", "Upphävd"]
    assert history.rows[1]["by"] == "import"


def test_an_import_that_agrees_keeps_the_mark(city, tmp_path):
    city("anna").post(mark_url("C4", "skyddsbedomning_1d", "c4a"), {"kind": "registreringsfel", "reason": REASON})
    extra = event("c5f", "C5", M.PERSONS["C5"], "forhandsbedomning", dt.date(2026, 3, 9), "G1", "anna",
                  ref="c5a", outcome="ej_inleda")
    assert reimport(tmp_path, [*M.events(), *c9_events(), extra], "c5-decided").marks_lapsed == 0
    assert ObligationMark.objects.get().active


def test_the_history_is_append_only(city):
    from egenkontroll.cases.models import MarkHistoryError

    city("anna").post(mark_url("C4", "skyddsbedomning_1d", "c4a"), {"kind": "registreringsfel", "reason": REASON})
    step = ObligationMarkEvent.objects.get()
    step.reason = "ändrad"
    with pytest.raises(MarkHistoryError):
        step.save()
    with pytest.raises(MarkHistoryError):
        step.delete()


# ------------------------------------------------------------------ Datakvalitet and the case page


def test_datakvalitet_lists_the_marks_who_and_why_with_a_download(city):
    city("anna").post(mark_url("C4", "skyddsbedomning_1d", "c4a"), {"kind": "registreringsfel", "reason": REASON})
    client = city("chef")
    response = client.get("/datakvalitet/?enhet=G1")
    assert response.status_code == 200
    row = response.context["tables"][0].rows[0]
    assert (row["case_id"], row["kind"], row["reason"], row["marked_by"], row["status"]) == (
        "C4", "Registreringsfel", REASON, "anna (handläggare)", "Gäller"
    )
    assert (row["unit"], row["caseworker"]) == ("Mottagningen", "Anna Andersson")
    assert response.context["counts"] == {"aktiva": 1, "upphavda": 0}
    entry = AccessLog.objects.filter(page="datakvalitet").latest("id")
    assert (entry.action, json.loads(entry.case_ids)) == ("list", ["C4"])
    download = client.get("/datakvalitet/ladda-ner/markeringar.csv?enhet=G1")
    assert download.status_code == 200 and REASON in download.content.decode("utf-8-sig")
    assert AccessLog.objects.filter(page="datakvalitet").latest("id").action == "export"
    assert client.get("/datakvalitet/?enhet=G2").context["tables"][0].rows == []
    # Other caseworkers see only their own cases' marks; the nämnd none at all.
    assert city("bo").get("/datakvalitet/").context["tables"][0].rows == []
    assert city("namnd").get("/datakvalitet/").status_code == 403


def test_datakvalitet_is_in_the_menu_of_person_level_roles(city):
    assert "/datakvalitet/" in {i["url"] for i in city("anna").get("/arbetslista/").context["nav"]}
    assert "/datakvalitet/" not in {i["url"] for i in city("namnd").get("/oversikt/").context["nav"]}


def test_the_case_page_shows_the_mark_and_who_made_it(city):
    client = city("anna")
    client.post(mark_url("C4", "skyddsbedomning_1d", "c4a"), {"kind": "registreringsfel", "reason": REASON})
    response = client.get("/arende/C4/")
    open_rows = {r["rule"]: r for r in response.context["tables"][0].rows}
    marked = open_rows["Skyddsbedömning genast (samma eller nästa dag)"]
    assert (marked["status"], marked["days_late"], marked["mark"]) == ("Markerad: registreringsfel", None, "")
    assert open_rows["Förhandsbedömning inom 14 dagar"]["mark"] == "Markera…"
    history = response.context["tables"][-1]
    assert (history.rows[0]["by"], history.rows[0]["reason"]) == ("anna (handläggare)", REASON)
    assert response.context["overdue_count"] == 0 and response.context["marked_count"] == 1
    # Marking again shows the existing mark instead of a form.
    again = client.get(mark_url("C4", "skyddsbedomning_1d", "c4a"))
    assert "redan markerad" in again.content.decode()


# ------------------------------------------------------------------ search by case number


def test_search_by_case_number_shows_names_not_ids(city):
    client = city("anna")
    response = client.get("/sok/?arende=c4")
    assert response.status_code == 200
    (found,) = response.context["results"]
    assert (found["case_id"], found["unit_name"], found["caseworker_name"]) == ("C4", "Mottagningen", "Anna Andersson")
    html = response.content.decode()
    assert "<td>Mottagningen</td><td>Anna Andersson</td>" in html
    entry = AccessLog.objects.filter(page="sok").latest("id")
    assert (entry.action, json.loads(entry.case_ids)) == ("search", ["C4"])
    # bo's case is outside anna's scope; the beginning of a number finds every case it starts.
    assert client.get("/sok/?arende=C3").context["results"] == []
    assert {c["case_id"] for c in city("chef").get("/sok/?arende=C").context["results"]} == {
        "C1", "C2", "C3", "C4", "C5", "C9"
    }
    assert "högst 128 tecken" in client.get("/sok/?arende=" + "9" * 129).content.decode()
