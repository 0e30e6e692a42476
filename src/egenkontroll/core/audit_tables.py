"""The result tables as the city's inspectors publish them: questions × districts, n in the header.

Why it exists: the inspectors' annual report (seed 004) prints, per theme ("Hälsa",
"Umgänge", "Stöd i boendesituationen", "Barnperspektiv" …), one table whose rows are the
questions and whose columns are the districts with their n — "Farsta (n=15)" — and a Total,
each cell the number of "ja". A question asked only of some cases (barnkonsekvensanalys, only
where there are children) shows that sub-n: in the header when the whole table shares the
condition ("Skarpnäck (n=2)"), beside the row otherwise. Egenkontroll adds what the paper
tables leave to the reader: the share with its 95 % Wilson interval, a sentence saying whether
the districts' differences are within chance, and the same table split by gender.

Built from an answers frame (case_id, district, gender, criterion, answer) — the import file's
rows or an audit's stored answers — so the page, the PDF, the workbook and the command line
show the same numbers. Pure Python and polars.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from egenkontroll.core.audit_stats import Comparison, compare_districts, wilson
from egenkontroll.core.audits import Question, Template

TOTAL = "Total"
UNGROUPED = "Resultat"
GENDERS = {"F": "Flickor/kvinnor", "M": "Pojkar/män"}


@dataclass
class Cell:
    ja: int
    answered: int  # ja + nej: the denominator of the share, the sub-n of a conditional question

    @property
    def share(self) -> float | None:
        return self.ja / self.answered if self.answered else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.ja, self.answered)


@dataclass
class Row:
    criterion: str  # as written in the file (or the question id)
    label: str
    cells: dict[str, Cell]  # district → cell, and TOTAL
    conditional: bool = False
    descriptive: bool = False
    comparison: Comparison | None = None


@dataclass
class SeedTable:
    """One printed table: a title, the districts with their n for the header, the rows."""

    title: str
    n: dict[str, int]  # district → n shown in the header, and TOTAL
    rows: list[Row] = field(default_factory=list)
    header_is_sub_n: bool = False

    def row_sub_n(self, row: Row, district: str) -> int | None:
        """The sub-n to print beside a cell when it is not the header's n."""
        cell = row.cells[district]
        return None if cell.answered == self.n.get(district) else cell.answered


@dataclass
class GenderRow:
    label: str
    cells: dict[str, Cell]  # "F", "M"
    comparison: Comparison | None = None


@dataclass
class Layout:
    districts: list[str]
    n: dict[str, int]
    gender: dict[str, int]
    tables: list[SeedTable]
    gender_rows: list[GenderRow]


def _match(template: Template | None, criteria: list[str]) -> dict[str, Question]:
    """criterion as written → the template's question, by id or by label/text (case and spaces ignored)."""
    if template is None:
        return {}
    return {c: q for c in criteria if (q := template.match(c)) is not None}


def layout(answers: pl.DataFrame, template: Template | None = None) -> Layout:
    """The seed's tables for one audit's answers (columns case_id, district, gender, criterion, answer)."""
    districts = answers["district"].unique(maintain_order=True).to_list()  # as the file (or the audit) orders them
    cases = answers.unique(["case_id"], keep="first", maintain_order=True)
    per_district = dict(cases.group_by("district").len().iter_rows())
    n = {**{d: int(per_district.get(d, 0)) for d in districts}, TOTAL: cases.height}
    genders = dict(cases.group_by("gender").len().iter_rows())
    criteria = answers["criterion"].unique(maintain_order=True).to_list()
    questions = _match(template, criteria)
    if template is not None:
        order = {q.id: i for i, q in enumerate(template.questions)}
        criteria.sort(key=lambda c: order.get(questions[c].id, len(order)) if c in questions else len(order))
    counts = answers.group_by("criterion", "district").agg(
        (pl.col("answer") == "ja").sum().alias("ja"), pl.col("answer").is_in(["ja", "nej"]).sum().alias("answered"),
    )
    by_cell = {(c, d): Cell(int(j), int(a)) for c, d, j, a in counts.iter_rows()}

    def row_of(criterion: str) -> Row:
        cells = {d: by_cell.get((criterion, d), Cell(0, 0)) for d in districts}
        cells[TOTAL] = Cell(sum(c.ja for c in cells.values()), sum(c.answered for c in cells.values()))
        q = questions.get(criterion)
        comparison = None
        if q is None or q.kind == "fraga":
            comparison = compare_districts({d: (cells[d].ja, cells[d].answered) for d in districts})
        return Row(criterion, q.short if q else criterion, cells, conditional=bool(q and q.when),
                   descriptive=bool(q and q.kind == "bakgrund"), comparison=comparison)

    groups: dict[str, list[Row]] = {}
    for criterion in criteria:
        q = questions.get(criterion)
        groups.setdefault((q.group if q and q.group else UNGROUPED), []).append(row_of(criterion))
    tables = []
    rows_by_question = {questions[c].id: r for c in criteria if c in questions for r in [row_of(c)]}
    for title, rows in groups.items():
        table = SeedTable(title, dict(n), rows)
        conditions = {questions[r.criterion].when for r in rows if r.criterion in questions}
        if rows and all(r.conditional for r in rows) and len(conditions) == 1:
            (condition,) = conditions
            base = rows_by_question.get(condition.question)
            if base is not None and condition.answers == ("ja",):
                table.n = {d: base.cells[d].ja for d in [*districts, TOTAL]}
                table.header_is_sub_n = True
        tables.append(table)
    return Layout(districts, n, {"F": int(genders.get("F", 0)), "M": int(genders.get("M", 0))}, tables,
                  _gender_rows(answers, criteria, questions))


def _gender_rows(answers: pl.DataFrame, criteria: list[str], questions: dict[str, Question]) -> list[GenderRow]:
    counts = answers.filter(pl.col("gender").is_in(list(GENDERS))).group_by("criterion", "gender").agg(
        (pl.col("answer") == "ja").sum().alias("ja"), pl.col("answer").is_in(["ja", "nej"]).sum().alias("answered"),
    )
    by_cell = {(c, g): Cell(int(j), int(a)) for c, g, j, a in counts.iter_rows()}
    rows = []
    for criterion in criteria:
        cells = {g: by_cell.get((criterion, g), Cell(0, 0)) for g in GENDERS}
        q = questions.get(criterion)
        comparison = compare_districts({g: (c.ja, c.answered) for g, c in cells.items()})
        if comparison is not None:
            comparison = Comparison(comparison.method, comparison.p_value, comparison.significant,
                                    comparison.sentence.replace("distrikten", "könen").replace("distrikt", "kön"))
        rows.append(GenderRow(q.short if q else criterion, cells, comparison))
    return rows


def to_rows(answers: pl.DataFrame, audit_column: str = "audit") -> dict[str, pl.DataFrame]:
    """Split a file of several audits: audit → its rows."""
    return {a: answers.filter(pl.col(audit_column) == a) for a in answers[audit_column].unique(maintain_order=True)}
