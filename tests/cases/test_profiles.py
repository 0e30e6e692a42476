"""Import profiles through the importer: an export stored with rejects naming its own file and row."""

from __future__ import annotations

import pytest

from egenkontroll.cases.importer import ImportFailed, run_import
from egenkontroll.cases.models import Event, Person, RejectedRow
from tests.core.wide_export import write_export


@pytest.mark.django_db
def test_a_wide_export_imports_with_rejects_naming_its_own_file_and_row(tmp_path):
    export = write_export(tmp_path / "export", encoding="cp1252")
    summary = run_import(export, profile="generisk-bred")
    assert (summary.rows_read, summary.imported, summary.rejected) == (14, 13, 1)
    reject = RejectedRow.objects.get()
    assert (reject.file, reject.row, reject.event_id, reject.column, reject.value) == (
        "arenden.csv", 4, "A3:anmalan", "date", "2024-13-45",
    )
    assert Event.objects.get(event_id="A2:forhandsbedomning").row == 3
    assert Event.objects.get(event_id="A2:anmalan").source == "skola"
    assert Person.objects.filter(unaccompanied=True, gender="F", birth_year=2016, birth_month=9).count() == 1
    assert sorted(summary.files) == ["arenden.csv", "enheter.csv", "handlaggare.csv"]
    assert summary.warnings == [f"{name}.csv: filen är inte UTF-8; den lästes som Windows-1252"
                                for name in ("arenden", "enheter", "handlaggare")]


@pytest.mark.django_db
def test_an_unknown_profile_fails_the_run_and_names_the_shipped_ones(tmp_path):
    with pytest.raises(ImportFailed, match="profilen cobol finns inte \\(medföljande: generisk-bred\\)"):
        run_import(write_export(tmp_path / "export"), profile="cobol")
