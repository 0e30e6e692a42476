"""Whatever a spreadsheet does to the files, the import never crashes and never loses a good row.

Hypothesis writes the same twelve good events in random encodings (UTF-8, with BOM,
Windows-1252), separators, column orders and line endings (LF, CRLF, CR, mixed), with some
optional columns left out, an unknown column of huge values, and broken rows (huge ids,
bad numbers, unknown types, short and long rows, missing values) in between.
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from egenkontroll.cases.importer import run_import
from egenkontroll.cases.models import Case, Event, ImportRun, Obligation, Person, RejectedRow
from tests.cases.factory import CASEWORKERS, EVENT_HEADER, ORG_UNITS, city

GOOD = city(2)
OPTIONAL = ["gender", "ref", "until", "source", "unaccompanied", "caseworker_id", "intervention", "legal_basis"]
PERSON = GOOD[0]["person"]


def broken(kind: str, i: int, size: int) -> dict:
    base = {"event_id": f"bad{i}", "case_id": "B1", "person": PERSON, "event_type": "anmalan",
            "date": "2024-01-08", "unit_id": "G1"}
    return {
        "huge_id": base | {"event_id": "x" * size},
        "huge_case": base | {"case_id": "c" * size},
        "huge_type": base | {"event_type": "y" * size},
        "bad_person": base | {"person": PERSON[:-1] + str((int(PERSON[-1]) + 3) % 10)},
        "unknown_type": base | {"event_type": "telefonsamtal"},
        "bad_date": base | {"date": "8/1/2024"},
        "missing": base | {"case_id": ""},
        "short": {"event_id": f"bad{i}", "case_id": "B1"},
        "long": base | {"event_type": "okänd", "_extra": "a;b,c"},
    }[kind]


@st.composite
def exports(draw):
    dropped = draw(st.sets(st.sampled_from(OPTIONAL)))
    header = [c for c in EVENT_HEADER if c not in dropped]
    if draw(st.booleans()):
        header.append("kommentar")
    header = draw(st.permutations(header))
    kinds = draw(st.lists(st.sampled_from(
        ["huge_id", "huge_case", "huge_type", "bad_person", "unknown_type", "bad_date", "missing", "short", "long"]
    ), max_size=6))
    size = draw(st.integers(200, 40_000))
    bad = [broken(kind, i, size) for i, kind in enumerate(kinds)]
    rows = list(GOOD)
    for row in bad:
        rows.insert(draw(st.integers(0, len(rows))), row)
    return {
        "header": header,
        "rows": rows,
        "bad": len(bad),
        "separator": draw(st.sampled_from([",", ";"])),
        "encoding": draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"])),
        "endings": draw(st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1, max_size=3)),
        "comment": "ö" * draw(st.integers(0, 30_000)),
    }


def render(table: list[list[str]], export: dict) -> bytes:
    lines = []
    for i, row in enumerate(table):
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=export["separator"], lineterminator="").writerow(row)
        lines.append(buffer.getvalue() + export["endings"][i % len(export["endings"])])
    return "".join(lines).encode(export["encoding"])


def write(directory, export: dict) -> None:
    directory.mkdir(exist_ok=True)
    header = export["header"]
    events = [header] + [
        [row.get(c, export["comment"] if c == "kommentar" else "") for c in header]
        + ([row["_extra"]] if "_extra" in row else [])
        for row in export["rows"]
    ]
    (directory / "events.csv").write_bytes(render(events, export))
    (directory / "org_units.csv").write_bytes(render([list(r) for r in ORG_UNITS], export))
    (directory / "caseworkers.csv").write_bytes(render([list(r) for r in CASEWORKERS], export))


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(export=exports())
def test_malformed_files_never_crash_the_import_or_lose_a_good_row(tmp_path_factory, export):
    for model in (Event, Case, Person, Obligation, RejectedRow, ImportRun):
        model.objects.all().delete()
    directory = tmp_path_factory.mktemp("export")
    write(directory, export)
    summary = run_import(directory)
    assert (summary.rows_read, summary.imported, summary.rejected) == (len(GOOD) + export["bad"], len(GOOD), export["bad"])
    assert set(Event.objects.values_list("event_id", flat=True)) == {r["event_id"] for r in GOOD}
    assert RejectedRow.objects.filter(stage="read").values("row").distinct().count() == export["bad"]
