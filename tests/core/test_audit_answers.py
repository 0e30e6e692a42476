"""Answer files of an audit done elsewhere: spellings, row-level rejects, and the published tables, every cell by hand."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from egenkontroll.core.audit_answers import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    AnswerFileError,
    check_rows,
    read_answer_bytes,
    read_answer_file,
    seed_counts,
)
from egenkontroll.core.audit_tables import layout
from egenkontroll.core.audits import load_templates
from tests.audits import seed004

HAND_MADE = Path(__file__).parent / "fixtures" / "granskning_svar.csv"


def test_hand_made_file_gives_the_tables_counted_by_hand():
    read = read_answer_file(HAND_MADE)
    assert read.rows_read == 16
    # Counted by hand from the file (see the fixture): cases 5 and 6 have no accepted row.
    assert seed_counts(read.answers) == {
        "A": {
            "n": {"Norr": 2, "Söder": 2, "Total": 4},
            "rows": {
                "Vårdplan finns": {"Norr": 2, "Söder": 1, "Total": 3},
                "Hälsokort": {"Norr": 0, "Söder": 1, "Total": 1},
            },
            "answered": {
                "Vårdplan finns": {"Norr": 2, "Söder": 2, "Total": 4},
                "Hälsokort": {"Norr": 1, "Söder": 1, "Total": 2},
            },
            "gender": {"F": 2, "M": 2},
        },
        "B": {
            "n": {"Norr": 1, "Öst": 1, "Total": 2},
            "rows": {
                "Vårdplan finns": {"Norr": 0, "Öst": 1, "Total": 1},
                "Umgänge": {"Norr": 0, "Öst": 0, "Total": 0},
            },
            "answered": {
                "Vårdplan finns": {"Norr": 1, "Öst": 1, "Total": 2},
                "Umgänge": {"Norr": 0, "Öst": 0, "Total": 0},
            },
            "gender": {"F": 1, "M": 0},
        },
    }


def test_bad_rows_are_rejected_one_by_one_with_a_reason_and_no_personnummer():
    rejects = read_answer_file(HAND_MADE).rejects
    assert rejects.select("row", "column").rows() == [
        (10, "criterion"), (11, "answer"), (12, "answer"), (13, "case_id"), (14, "district"),
    ]
    reasons = rejects["reason"].to_list()
    assert reasons[0] == "samma ärende och fråga finns redan på rad 9"
    assert reasons[1] == "okänt svar (ska vara ja, nej eller ej aktuellt)"
    assert reasons[2] == "obligatoriskt värde saknas"
    assert reasons[3].startswith("ärende-id ser ut som ett personnummer")
    assert reasons[4] == "ärendet har distriktet Söder på en tidigare rad"
    assert rejects["value"].to_list()[3] == "19121212-****"


@pytest.mark.parametrize(
    ("written", "read"),
    [("Ja", "ja"), ("JA", "ja"), (" ja ", "ja"), ("NEJ", "nej"), ("Nej", "nej"), ("ej aktuellt", "ej_aktuellt"),
     ("Ej aktuell", "ej_aktuellt"), ("EJ_AKTUELLT", "ej_aktuellt"), ("ej-aktuellt", "ej_aktuellt"),
     ("e.a.", "ej_aktuellt"), ("Ej tillämpligt", "ej_aktuellt")],
)
def test_swedish_spellings_of_the_answers_are_accepted(written, read):
    frame = pl.DataFrame({"_row": [2], "audit": ["A"], "case_id": ["1"], "district": ["D"], "gender": ["F"],
                          "criterion": ["q"], "answer": [written]})
    assert check_rows(frame).answers["answer"].to_list() == [read]


def test_xlsx_is_read_like_csv(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for line in HAND_MADE.read_text(encoding="utf-8").splitlines():
        sheet.append(line.split(";"))
    path = tmp_path / "svar.xlsx"
    book.save(path)
    assert seed_counts(read_answer_file(path).answers) == seed_counts(read_answer_file(HAND_MADE).answers)


def test_a_file_without_a_column_too_large_or_of_another_format_is_refused(tmp_path):
    with pytest.raises(AnswerFileError, match="kolumnen answer saknas"):
        read_answer_bytes(b"audit,case_id,district,gender,criterion\nA,1,D,F,q\n", "svar.csv")
    with pytest.raises(AnswerFileError, match="för stor"):
        read_answer_bytes(b"x" * (MAX_FILE_BYTES + 1), "svar.csv")
    with pytest.raises(AnswerFileError, match="okänt filformat"):
        read_answer_bytes(b"audit", "svar.txt")
    rows = "audit,case_id,district,gender,criterion,answer\n" + "A,1,D,F,q,ja\n" * (MAX_ROWS + 1)
    with pytest.raises(AnswerFileError, match="för många rader"):
        read_answer_bytes(rows.encode(), "svar.csv")


# ---------------------------------------------------------------- the seed's own tables

# Typed from the inspectors' report (seed 004): n per district and the "ja" per question.
SEED_FAMILJEVARD_N = {"Hägersten-Liljeholmen": 15, "Farsta": 15, "Norrmalm-Östermalm": 12, "Total": 42}
SEED_FAMILJEVARD = {
    "Hälsokort utskickat": {"Hägersten-Liljeholmen": 6, "Farsta": 5, "Norrmalm-Östermalm": 8, "Total": 19},
    "Fysisk hälsa uppföljt i senaste övervägandet": {"Hägersten-Liljeholmen": 9, "Farsta": 3, "Norrmalm-Östermalm": 5, "Total": 17},
    "Psykisk hälsa uppföljt i senaste övervägandet": {"Hägersten-Liljeholmen": 6, "Farsta": 5, "Norrmalm-Östermalm": 7, "Total": 18},
    "Tandvård uppföljt i senaste övervägandet": {"Hägersten-Liljeholmen": 5, "Farsta": 2, "Norrmalm-Östermalm": 0, "Total": 7},
    "Skriftlig umgängesplan finns": {"Hägersten-Liljeholmen": 9, "Farsta": 10, "Norrmalm-Östermalm": 6, "Total": 25},
    "Konkreta uppgifter kring umgänget finns": {"Hägersten-Liljeholmen": 13, "Farsta": 12, "Norrmalm-Östermalm": 10, "Total": 35},
    "Barnets vilja belyses": {"Hägersten-Liljeholmen": 14, "Farsta": 15, "Norrmalm-Östermalm": 9, "Total": 38},
}
SEED_BOENDE_N = {"Hässelby-Vällingby": 20, "Skarpnäck": 20, "Skärholmen": 20, "Södermalm": 20, "Total": 80}
SEED_BOENDE = {
    "Psykosociala problem": {"Hässelby-Vällingby": 9, "Skarpnäck": 15, "Skärholmen": 16, "Södermalm": 19, "Total": 59},
    "Hälsoproblem": {"Hässelby-Vällingby": 4, "Skarpnäck": 9, "Skärholmen": 5, "Södermalm": 8, "Total": 26},
    "Funktionsnedsättning": {"Hässelby-Vällingby": 7, "Skarpnäck": 7, "Skärholmen": 3, "Södermalm": 8, "Total": 25},
    "Plan finns för boendesituationen": {"Hässelby-Vällingby": 13, "Skarpnäck": 2, "Skärholmen": 10, "Södermalm": 13, "Total": 38},
    "Får stödinsatser för boendesituationen": {"Hässelby-Vällingby": 6, "Skarpnäck": 10, "Skärholmen": 11, "Södermalm": 14, "Total": 41},
    "Barn i hushållet": {"Hässelby-Vällingby": 7, "Skarpnäck": 2, "Skärholmen": 7, "Södermalm": 2, "Total": 18},
    "Barnkonsekvensanalys": {"Hässelby-Vällingby": 1, "Skarpnäck": 0, "Skärholmen": 3, "Södermalm": 2, "Total": 6},
    "Pratat med barnen": {"Hässelby-Vällingby": 2, "Skarpnäck": 0, "Skärholmen": 0, "Södermalm": 0, "Total": 2},
}
SEED_CHILDREN_N = {"Hässelby-Vällingby": 7, "Skarpnäck": 2, "Skärholmen": 7, "Södermalm": 2, "Total": 18}


def test_the_seed_tables_are_rebuilt_from_an_answer_file_of_two_audits(tmp_path):
    path = seed004.write_answer_file(tmp_path / "svar.csv", spellings=True)
    read = read_answer_file(path)
    assert read.rejects.is_empty()
    counts = seed_counts(read.answers)
    assert counts["familjevard"]["n"] == SEED_FAMILJEVARD_N
    assert counts["familjevard"]["rows"] == SEED_FAMILJEVARD
    assert counts["familjevard"]["answered"] == {c: SEED_FAMILJEVARD_N for c in SEED_FAMILJEVARD}
    assert counts["familjevard"]["gender"] == {"F": 19, "M": 23}  # "19 flickor och 23 pojkar"
    assert counts["tillfalligt_boende"]["n"] == SEED_BOENDE_N
    assert counts["tillfalligt_boende"]["rows"] == SEED_BOENDE
    # the Barnperspektiv table's sub-n: only the cases with children answer
    assert counts["tillfalligt_boende"]["answered"] == {
        **{c: SEED_BOENDE_N for c in SEED_BOENDE if c not in ("Barnkonsekvensanalys", "Pratat med barnen")},
        "Barnkonsekvensanalys": SEED_CHILDREN_N, "Pratat med barnen": SEED_CHILDREN_N,
    }
    assert counts["tillfalligt_boende"]["gender"] == {"F": 41, "M": 39}


def test_the_template_groups_the_rows_into_the_seeds_tables_with_the_sub_n_in_the_header(tmp_path):
    read = read_answer_file(seed004.write_answer_file(tmp_path / "svar.csv"))
    templates = load_templates()
    boende = layout(read.answers.filter(pl.col("audit") == "tillfalligt_boende"), templates["tillfalligt_boende"])
    tables = {t.title: t for t in boende.tables}
    assert list(tables) == ["Problematik", "Stöd i boendesituationen", "Barnperspektiv"]
    barn = tables["Barnperspektiv"]
    assert barn.header_is_sub_n and barn.n == SEED_CHILDREN_N
    assert [r.label for r in barn.rows] == ["Barnkonsekvensanalys", "Pratat med barnen"]
    assert {d: c.ja for d, c in barn.rows[0].cells.items()} == SEED_BOENDE["Barnkonsekvensanalys"]
    assert all(barn.row_sub_n(r, d) is None for r in barn.rows for d in SEED_CHILDREN_N)
    # descriptive variables are counted, never tested as if a district did worse
    assert all(r.descriptive and r.comparison is None for r in tables["Problematik"].rows)
    plan = tables["Stöd i boendesituationen"].rows[0]
    assert plan.label == "Plan finns för boendesituationen" and plan.comparison.significant  # 13, 2, 10, 13 of 20

    familj = layout(read.answers.filter(pl.col("audit") == "familjevard"), templates["familjevard"])
    assert [t.title for t in familj.tables] == ["Hälsa", "Umgänge"]
    health = familj.tables[0]
    assert health.n == SEED_FAMILJEVARD_N and not health.header_is_sub_n
    assert [r.label for r in health.rows] == list(SEED_FAMILJEVARD)[:4]
    for row in health.rows:
        assert {d: c.ja for d, c in row.cells.items()} == SEED_FAMILJEVARD[row.label]
        assert not row.comparison.significant  # e.g. fysisk hälsa 9, 3, 5: within chance (p ≈ 0,08)
