"""Everything the nämnd (the masked role) can reach: no small count of children or staff, no
hidden cell that shown parts and totals give back, and no free text written by staff.

One walk (tests/access/masked_walk.py) over every page, download and chart the role reaches from
the URL matrix, in the access tests' city, where nearly every count is small: groups of two and
one caseworkers, six children, staff who start and leave within the period, an audit with a
finding and a deviation whose texts carry a planted marker.
"""

from __future__ import annotations

from datetime import date

import pytest

from egenkontroll.audits.models import AuditFinding
from egenkontroll.cases.models import Case, Caseworker, Event, ImportRun, Person
from egenkontroll.core.deviation_rules import load_rules
from egenkontroll.deviations.workflow import add_action, create_deviation
from tests.access.cityfixture import build_city, make_users
from tests.access.masked_walk import Grid, counts_in, recoverable, small_counts, walk
from tests.audits.cityaudit import city_audit
from tests.deviations.citydeviation import city_deviation
from tests.reports.cityreport import city_final

# Free text as staff type it: a name the pseudonymisation cannot know about.
MARKERS = {
    "finding": "Fyndtext-Qx7 om Kalle Karlsson",
    "finding_action": "Fyndåtgärd-Qx7 för Lisa Svensson",
    "deviation_action": "Avvikelseåtgärd-Qx7 med Olle Ek",
    "deviation_title": "Avvikelserubrik-Qx7 Nils Berg",
    "deviation_description": "Avvikelsebeskrivning-Qx7 om Eva Lund",
}


def plant_staff_changes() -> None:
    """anna and bo start within the period, dora leaves G2: one per quarter, all small. cecilia
    stays alone in G2 with six open cases: the group's open cases are her caseload."""
    Caseworker.objects.filter(caseworker_id="anna").update(start_date=date(2024, 2, 1))
    Caseworker.objects.filter(caseworker_id="bo").update(start_date=date(2024, 4, 15))
    Caseworker.objects.create(caseworker_id="dora", name="Dora", unit_id="G2", start_date=date(2020, 1, 1),
                              end_date=date(2024, 5, 31))
    run = ImportRun.objects.first()
    for n in range(7, 12):
        case_id = f"C{n}"
        Person.objects.create(person_key=f"P{case_id}", birth_year=2014)
        Case.objects.create(case_id=case_id, person_id=f"P{case_id}", unit_id="G2", caseworker_id="cecilia",
                            first_date=date(2024, 1, 1), last_date=date(2024, 2, 1), event_count=1)
        Event.objects.create(event_id=f"E{case_id}", case_id=case_id, person_id=f"P{case_id}", event_type="anmalan",
                             date=date(2024, 1, 1), unit_id="G2", caseworker_id="cecilia", content_hash="x",
                             import_run=run)


def plant_free_text(users: dict, made: dict) -> None:
    AuditFinding.objects.create(
        audit_id=made["audit_id"], area="trygghet_sakerhet", district_id="A2", text=MARKERS["finding"],
        action=MARKERS["finding_action"], responsible_unit_id="E2", created_by=users["inspektor"],
    )
    rules = load_rules()
    add_action(rules, made["deviation_id"], users["chef"], text=MARKERS["deviation_action"],
               responsible_unit_id="E1", due_date=date(2024, 4, 1))
    create_deviation(rules, users["chef"], category="avvikelse_handlaggning", title=MARKERS["deviation_title"],
                     description=MARKERS["deviation_description"], unit_id="G2", reported_on=date(2024, 5, 2),
                     occurred_on=date(2024, 5, 1), severity="lag")


@pytest.fixture
def nämnd_walk(db, client):
    build_city()
    plant_staff_changes()
    users = make_users()
    made = {**city_audit(users), **city_deviation(users), **city_final(users)}
    plant_free_text(users, made)
    client.force_login(users["namnd"])
    return walk(client, "namnd", made), made


def test_the_nämnd_sees_no_small_number_no_recoverable_cell_and_no_free_text(nämnd_walk):
    seen, made = nämnd_walk
    # The walk reached what it must judge: the staff page and its downloads, the audit with its
    # findings download, the deviation counts, and the report (else this test would prove nothing).
    for must in ("/handlaggare/?", "/handlaggare/ladda-ner/grupper.csv", "/handlaggare/ladda-ner/personalrorlighet.csv",
                 f"/granskning/{made['audit_id']}/ladda-ner/fynd.csv", "/avvikelser/ladda-ner/", "/flode/ladda-ner/",
                 "/oversikt/?enhet=G2", "/nyckeltal/anmalningar/ladda-ner/trend.xlsx"):
        assert any(must in url for url in seen.urls), f"the walk did not reach {must}"
    assert len(seen.grids) > 500
    leaks = {
        "små tal synliga för nämnden": [leak for grid in seen.grids for leak in small_counts(grid)],
        "dolda tal som kan räknas fram": [leak for grid in seen.grids for leak in recoverable(grid)],
        "en liten grupps ärenden (en handläggares belastning)": [
            leak for grid in seen.grids for leak in small_group_caseloads(grid)],
        "fritext från personalen": [f"{url}: {name}" for url, text in seen.texts.items()
                                    for name, marker in MARKERS.items() if marker.split(" ")[0] in text],
    }
    assert any(row[0] == "Enhet G2" for g in seen.grids if "Aktiva handläggare" in g.headers for row in g.rows), \
        "G2 (one caseworker) should be in the walk"
    found = {kind: found for kind, found in leaks.items() if found}
    assert not found, "\n".join(f"{kind}:\n  " + "\n  ".join(items[:25]) for kind, items in found.items())


def small_group_caseloads(grid: Grid) -> list[str]:
    """A group of 1–4 caseworkers whose open cases are shown: with one, that is a person's caseload."""
    if "Aktiva handläggare" not in grid.headers or "Öppna ärenden hos dem" not in grid.headers:
        return []
    staff, cases = grid.headers.index("Aktiva handläggare"), grid.headers.index("Öppna ärenden hos dem")
    return [f"{grid.where} {row[0]!r}: {row[staff]} handläggare, {row[cases]} öppna ärenden" for row in grid.rows
            if row[0] != "Totalt" and (row[staff] == "<5" or counts_in(row[staff]) in ([1], [2], [3], [4]))
            and counts_in(row[cases])]


def test_the_walks_judges_see_small_counts_and_recoverable_cells():
    """The two judges of the walk, on hand-made grids: what they must flag and what they must not."""
    shown = Grid("t", "t", ["Grupp", "Aktiva handläggare", "Andel i tid", "Vakanser"], [
        ["G1", "2", "3 %", "<5"],
        ["G2", "12", "0,5", "x"],
        ["Totalt", "14", "", "9"],
    ])
    assert small_counts(shown) == ["t «t» 'G1' / 'Aktiva handläggare' = '2'"]
    assert recoverable(shown) == []  # 9 = <5 + x: two hidden cells, their sum 9 is not small
    leaky = Grid("t", "t", ["Grupp", "Ja", "Nej", "Totalt"], [
        ["G1", "<5", "7", "10"],
        ["G2", "6 (når målet)", "ja 2, nej 0", "6"],
        ["Totalt", "9", "7", "16"],
    ])
    assert recoverable(leaky) == [
        "t «t» kolumn 'Ja': totalen 9 minus de visade delarna = 3",
        "t «t» rad 'G1': totalen 10 minus de visade delarna = 3",
    ]
    assert small_counts(leaky) == ["t «t» 'G2' / 'Nej' = 'ja 2, nej 0'"]
