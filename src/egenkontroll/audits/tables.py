"""An audit's stored answers → `core.audits.results` → the tables its page shows and downloads.

Why it exists: the page and the CSV/XLSX downloads must show the same numbers, so both are
built here as `pages.tables.Table` objects. Counts are exact for a viewer whose figure scope
covers every district of the audit; for everyone else (the nämnd always) the counts are
masked by `masking` — one linked table per question (districts × genders × answers, so "alla",
the other genders and the "Alla distrikt" row cannot be combined to undo a hidden count), areas
as sums of the shown question counts — and a share is shown only where neither "ja" nor "nej"
is hidden (a share of a hidden count would give it away).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from egenkontroll.audits import masking
from egenkontroll.audits.models import (
    FINDING_STATUSES,
    OWNER_ROLES,
    Audit,
    AuditAnswer,
    AuditCase,
    AuditFinding,
)
from egenkontroll.core import smallnumbers
from egenkontroll.core.audits import ALL_DISTRICTS, QUALITY_AREAS, Template, results
from egenkontroll.pages.tables import MASK_NOTE, Column, Table, format_value

COUNTS = ("ja", "nej", "ej_aktuellt", "obesvarade")
ALL_LABEL = "Alla distrikt"
GENDER_LABELS = {"alla": "Alla", "flicka": "Flickor", "pojke": "Pojkar"}
SCOPE_LABELS = {"area": "Område", "question": "Fråga"}
PROGRESS = ("klara", "paborjade", "ej_paborjade")


def answers_frame(audit: Audit, template: Template) -> pl.DataFrame:
    """One row per sampled case × question of the template; answer null where not answered yet."""
    cases = pl.DataFrame(
        list(AuditCase.objects.filter(audit=audit).values_list("id", "case_id", "district_id", "gender")),
        schema={"audit_case_id": pl.Int64, "case_id": pl.Utf8, "district_id": pl.Utf8, "gender": pl.Utf8},
        orient="row",
    )
    questions = pl.DataFrame({"question_id": [q.id for q in template.questions]}, schema={"question_id": pl.Utf8})
    given = pl.DataFrame(
        list(AuditAnswer.objects.filter(audit_case__audit=audit).values_list("audit_case_id", "question_id", "answer")),
        schema={"audit_case_id": pl.Int64, "question_id": pl.Utf8, "answer": pl.Utf8},
        orient="row",
    )
    return (
        cases.join(questions, how="cross")
        .join(given, on=["audit_case_id", "question_id"], how="left")
        .select("case_id", "district_id", "gender", "question_id", "answer")
    )


@dataclass
class Results:
    """The results frame, with each count as shown to this viewer (exact, or masked as text)."""

    frame: pl.DataFrame
    exact: bool
    shown: dict[tuple[str, str, str, str], dict]

    def cell(self, district_id: str, scope: str, key: str, gender: str) -> dict | None:
        return self.shown.get((district_id, scope, key, gender))


def compute(audit: Audit, template: Template, exact: bool) -> Results:
    answers = answers_frame(audit, template)
    frame = results(answers, template)
    if not exact:
        return Results(frame=frame, exact=exact, shown=masking.masked_cells(answers, template))
    shown = {}
    for row in frame.iter_rows(named=True):
        shown[(row["district_id"], row["scope"], row["key"], row["gender"])] = {
            **{c: row[c] for c in COUNTS}, "andel_ja": row["andel_ja"],
        }
    return Results(frame=frame, exact=exact, shown=shown)


def _number(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def _share_text(cell: dict | None) -> str:
    if cell is None:
        return "–"
    share = format_value(cell["andel_ja"], "share")
    return f"{share} (ja {format_value(cell['ja'], 'int')}, nej {format_value(cell['nej'], 'int')})"


def _note(exact: bool) -> str:
    base = " Andel ja = ja / (ja + nej); ej aktuellt och obesvarade räknas inte."
    return base if exact else base + MASK_NOTE


def area_table(res: Results, template: Template, district_names: dict[str, str]) -> Table:
    """Districts (rows) × quality areas (columns): andel ja, with the counts behind it."""
    areas = template.areas()
    table = Table(
        id="omraden",
        caption="Andel ja per distrikt och kvalitetsområde",
        columns=[Column("district", "Distrikt"), *(Column(a, QUALITY_AREAS[a], "share") for a in areas)],
        note=_note(res.exact),
    )
    for district in _districts(res):
        table.add({
            "district": district_names.get(district, district) if district != ALL_DISTRICTS else ALL_LABEL,
            **{a: _share_text(res.cell(district, "area", a, "alla")) for a in areas},
        })
    return table


def question_table(res: Results, template: Template) -> Table:
    """Every question, all districts together: the counts and andel ja."""
    table = Table(
        id="fragor",
        caption="Svar per fråga, alla distrikt",
        columns=[
            Column("question", "Fråga"), Column("area", "Kvalitetsområde"), Column("ja", "Ja", "int"),
            Column("nej", "Nej", "int"), Column("ej_aktuellt", "Ej aktuellt", "int"),
            Column("obesvarade", "Obesvarade", "int"), Column("andel_ja", "Andel ja", "share"),
        ],
        note=_note(res.exact),
    )
    for q in template.questions:
        cell = res.cell(ALL_DISTRICTS, "question", q.id, "alla") or {}
        table.add({"question": q.text, "area": QUALITY_AREAS[q.area], **{c: cell.get(c) for c in (*COUNTS, "andel_ja")}})
    return table


def gender_table(res: Results, template: Template) -> Table:
    """Quality areas (rows) × flickor/pojkar, all districts together."""
    table = Table(
        id="kon",
        caption="Andel ja per kvalitetsområde för flickor och pojkar, alla distrikt",
        columns=[
            Column("area", "Kvalitetsområde"), Column("flicka", "Flickor", "share"), Column("pojke", "Pojkar", "share"),
            Column("alla", "Alla", "share"),
        ],
        note=_note(res.exact),
    )
    for area in template.areas():
        table.add({
            "area": QUALITY_AREAS[area],
            **{g: _share_text(res.cell(ALL_DISTRICTS, "area", area, g)) for g in ("flicka", "pojke", "alla")},
        })
    return table


def results_table(res: Results, template: Template, district_names: dict[str, str]) -> Table:
    """Every row of the results, long form: the download "resultat"."""
    titles = {**QUALITY_AREAS, **{q.id: q.text for q in template.questions}}
    table = Table(
        id="resultat",
        caption="Resultat per distrikt, område, fråga och kön",
        columns=[
            Column("district_id", "Distrikt-id", "id"), Column("district", "Distrikt"), Column("scope", "Nivå"),
            Column("key", "Id", "id"), Column("title", "Område eller fråga"), Column("gender", "Kön"),
            Column("ja", "Ja", "int"), Column("nej", "Nej", "int"), Column("ej_aktuellt", "Ej aktuellt", "int"),
            Column("obesvarade", "Obesvarade", "int"), Column("andel_ja", "Andel ja", "share"),
        ],
        note=_note(res.exact),
    )
    for row in res.frame.select("district_id", "scope", "key", "gender").iter_rows(named=True):
        cell = res.cell(row["district_id"], row["scope"], row["key"], row["gender"])
        if cell is None:
            continue
        district = row["district_id"]
        table.add({
            "district_id": district,
            "district": ALL_LABEL if district == ALL_DISTRICTS else district_names.get(district, district),
            "scope": SCOPE_LABELS[row["scope"]],
            "key": row["key"],
            "title": titles.get(row["key"], row["key"]),
            "gender": GENDER_LABELS[row["gender"]],
            **{c: cell[c] for c in (*COUNTS, "andel_ja")},
        })
    return table


def _districts(res: Results) -> list[str]:
    ids = sorted({d for d, _, _, _ in res.shown if d != ALL_DISTRICTS})
    return [*ids, ALL_DISTRICTS]


def progress(audit: Audit) -> pl.DataFrame:
    """district_id, urval, klara (every question answered), paborjade (saved, not complete), ej_paborjade."""
    rows = AuditCase.objects.filter(audit=audit).values_list("district_id", "reviewed_at", "complete")
    frame = pl.DataFrame(
        [(d, at is not None, done) for d, at, done in rows],
        schema={"district_id": pl.Utf8, "saved": pl.Boolean, "complete": pl.Boolean},
        orient="row",
    )
    return (
        frame.group_by("district_id")
        .agg(
            pl.len().cast(pl.Int64).alias("urval"),
            pl.col("complete").sum().cast(pl.Int64).alias("klara"),
            (pl.col("saved") & ~pl.col("complete")).sum().cast(pl.Int64).alias("paborjade"),
            (~pl.col("saved")).sum().cast(pl.Int64).alias("ej_paborjade"),
        )
        .sort("district_id")
    )


def progress_table(frame: pl.DataFrame, exact: bool, district_names: dict[str, str]) -> Table:
    table = Table(
        id="framsteg",
        caption="Hur långt granskningen har kommit per distrikt",
        columns=[
            Column("district", "Distrikt"), Column("klara", "Klara", "int"), Column("paborjade", "Påbörjade", "int"),
            Column("ej_paborjade", "Ej påbörjade", "int"), Column("urval", "Urval", "int"),
        ],
        note="" if exact else MASK_NOTE.strip(),
    )
    if frame.is_empty():
        return table
    if exact:
        totals = frame.select(pl.lit(smallnumbers.TOTAL_LABEL).alias("district_id"), pl.exclude("district_id").sum())
        shown = pl.concat([frame, totals]).with_columns(pl.exclude("district_id").cast(pl.Int64))
    else:
        shown = smallnumbers.mask_frame(frame.select("district_id", *PROGRESS), "district_id").rename(
            {smallnumbers.TOTAL_LABEL: "urval"}
        )
    for row in shown.iter_rows(named=True):
        district = row["district_id"]
        label = ALL_LABEL if district == smallnumbers.TOTAL_LABEL else district_names.get(district, district)
        table.add({"district": label, **{c: _maybe_int(row[c]) for c in ("klara", "paborjade", "ej_paborjade", "urval")}})
    return table


def _maybe_int(value):
    return _number(value) if isinstance(value, str) else value


def findings_table(findings: list[AuditFinding], district_names: dict[str, str], free_text: bool = True) -> Table:
    """The findings and their follow-up: the download "fynd" (without the staff's text for the nämnd)."""
    text_columns = [Column("text", "Fynd"), Column("action", "Åtgärd")] if free_text else []
    table = Table(
        id="fynd",
        caption="Fynd och åtgärder",
        columns=[
            Column("area", "Kvalitetsområde"), Column("district", "Distrikt"), *text_columns,
            Column("unit", "Ansvarig enhet"), Column("owner", "Ägare"),
            Column("question", "Fråga", "id"), Column("due_date", "Klart senast", "date"),
            Column("status", "Status"), Column("closed_at", "Åtgärdad", "date"),
        ],
    )
    for f in findings:
        table.add({
            "area": QUALITY_AREAS.get(f.area, f.area),
            "district": district_names.get(f.district_id, f.district_id) if f.district_id else "Hela granskningen",
            **({"text": f.text, "action": f.action} if free_text else {}),
            "unit": district_names.get(f.responsible_unit_id, f.responsible_unit_id) if f.responsible_unit_id else "",
            "owner": OWNER_ROLES.get(f.owner_role, f.owner_role),
            "question": f.question_id,
            "due_date": f.due_date,
            "status": FINDING_STATUSES.get(f.status, f.status),
            "closed_at": f.closed_at.date() if f.closed_at else None,
        })
    return table
