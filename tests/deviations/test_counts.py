"""What the nämnd sees: two tables of counts, masked for small numbers, and nothing else; downloads."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
from django.urls import reverse
from openpyxl import load_workbook

from egenkontroll.core import smallnumbers
from egenkontroll.deviations.tables import shown_cells
from tests.deviations.conftest import report


def csv_rows(response) -> list[list[str]]:
    return [line.split(";") for line in response.content.decode("utf-8-sig").splitlines()]


def a_spring(rules, users):
    """2026: March 7 handläggning and 6 lex Sarah, May 6 handläggning and 2 lex Sarah; one in 2025."""
    for day in range(1, 8):
        report(rules, users["anna"], reported_on=dt.date(2026, 3, day), title=f"Mars {day}")
    for day in range(10, 16):
        report(rules, users["chef"], category="lex_sarah", reported_on=dt.date(2026, 3, day), title="Lex Sarah mars")
        report(rules, users["anna"], reported_on=dt.date(2026, 5, day), title=f"Maj {day}")
    for day in (4, 5):
        report(rules, users["chef"], category="lex_sarah", reported_on=dt.date(2026, 5, day), title="Lex Sarah maj")
    report(rules, users["anna"], reported_on=dt.date(2025, 11, 3), title="Förra året")


def test_the_namnd_sees_masked_counts_and_never_a_title(as_user, rules, users):
    a_spring(rules, users)
    client = as_user("namnd")
    page = client.get(reverse("deviations:lista")).content.decode()
    assert "Mars 1" not in page and "Lex Sarah maj" not in page and "Ett beslut blev liggande" not in page
    assert "Rapportera en avvikelse" not in page and "Sammanfattning" not in page
    months = csv_rows(client.get(reverse("deviations:export", kwargs={"table": "manad_kategori", "fmt": "csv"})))
    assert months[0] == ["Månad", "Lex Sarah-rapport", "Avvikelse i handläggningen", "Synpunkt eller klagomål",
                         "Övrig avvikelse", "Totalt"]
    march, may, total = months[3], months[5], months[-1]
    # May's two lex Sarah reports are "<5"; the cheapest cells that keep them from being worked
    # out of the totals are hidden too ("x"); the totals stay.
    assert may[:3] == ["maj", "<5", "x"] and march[:3] == ["mar", "x", "x"]
    assert march[-1] == "13" and may[-1] == "8" and total[1:3] == ["8", "13"] and total[-1] == "21"
    place = csv_rows(client.get(reverse("deviations:export", kwargs={"table": "forvaltning_status", "fmt": "csv"})))
    assert place[1][:2] == ["Enhet F", "21"]  # 21 rapporterade in förvaltning F, 2026
    assert client.get(reverse("deviations:export", kwargs={"table": "avvikelser", "fmt": "csv"})).status_code == 404
    last_year = csv_rows(client.get(reverse("deviations:export", kwargs={"table": "manad_kategori", "fmt": "csv"})
                                    + "?ar=2025"))
    assert last_year[11][2] == "<5"  # November 2025: one


def test_the_namnd_cannot_filter(as_user, rules, users):
    """Other filters would give differently masked tables of the same counts, to subtract."""
    a_spring(rules, users)
    client = as_user("namnd")
    whole = client.get(reverse("deviations:export", kwargs={"table": "manad_kategori", "fmt": "csv"}))
    filtered = client.get(reverse("deviations:export", kwargs={"table": "manad_kategori", "fmt": "csv"})
                          + "?kategori=lex_sarah&enhet=G1&status=rapporterad")
    assert filtered.content == whole.content


def test_person_level_roles_see_exact_counts(as_user, rules, users):
    a_spring(rules, users)
    months = csv_rows(as_user("chef").get(reverse("deviations:export", kwargs={"table": "manad_kategori",
                                                                                "fmt": "csv"})))
    assert months[5][1] == "2" and months[-1][-1] == "21"


def test_a_grand_total_hidden_in_one_table_hides_that_table():
    """The tables share only their grand total: if one hides it and the other shows it, the
    first one's secondary cells were chosen for an unknown the reader knows, so it is hidden whole."""
    first = smallnumbers.with_totals(np.array([[7, 1], [0, 3]]))
    assert smallnumbers.suppress(first).secondary[-1, -1]
    second = smallnumbers.with_totals(np.array([[6, 5]]))
    hidden, shown = shown_cells(first, second, masked=True)
    assert all(cell == smallnumbers.SECONDARY_TEXT for line in hidden for cell in line)
    assert shown[-1][-1] == "11"
    exact, _ = shown_cells(first, second, masked=False)
    assert exact[0] == [7, 1, 8]


def test_downloads_of_the_list(as_user, rules, users):
    report(rules, users["anna"], title="=HYPERLINK(\"x\")")
    client = as_user("chef")
    rows = csv_rows(client.get(reverse("deviations:export", kwargs={"table": "avvikelser", "fmt": "csv"})))
    assert rows[0][:3] == ["Nr", "Rubrik", "Typ"]
    assert rows[1][0] == "2026-0001" and rows[1][1].startswith("\"'=HYPERLINK")
    xlsx = client.get(reverse("deviations:export", kwargs={"table": "avvikelser", "fmt": "xlsx"}))
    assert xlsx["Content-Disposition"] == 'attachment; filename="avvikelser-2026-avvikelser.xlsx"'
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][0] == "2026-0001" and values[1][1] == "'=HYPERLINK(\"x\")"
    assert client.get(reverse("deviations:export", kwargs={"table": "finns-inte", "fmt": "csv"})).status_code == 404


def test_the_namnd_is_offered_only_the_year(as_user, users):
    page = as_user("namnd").get(reverse("deviations:lista")).content.decode()
    assert 'name="ar"' in page
    assert 'name="status"' not in page and 'name="kategori"' not in page and 'name="enhet"' not in page
    chef = as_user("chef").get(reverse("deviations:lista")).content.decode()
    assert 'name="status"' in chef and 'name="enhet"' in chef
