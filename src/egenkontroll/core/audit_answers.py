"""Answers of an audit done elsewhere (on paper, in Excel): read, checked row by row, counted.

Why it exists: inspectors who reviewed case files outside Egenkontroll keep their answers in a
spreadsheet, one row per case and question. This module reads such a file (CSV or XLSX, the
same readers as the case import), accepts the spellings people actually write ("Ja", "NEJ",
"Ej aktuell", "e.a."), turns every bad row into a reject with a Swedish reason — so one typo
does not stop the other rows — and counts the tables the city's inspectors publish
(`seed_counts`: n per district, "ja" per question and district, ja + nej, gender).

File contract: columns `audit, case_id, district, gender, criterion, answer`; `answer` is ja,
nej or ej_aktuellt; `gender` F or M (K, flicka, kvinna, pojke, man are accepted; X, U or empty
count as neither). Pure Python and polars; no Django.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from egenkontroll.core import interchange
from egenkontroll.core.identity import mask

COLUMNS = ("audit", "case_id", "district", "gender", "criterion", "answer")
REQUIRED = ("audit", "case_id", "district", "criterion", "answer")
MAX_FILE_BYTES = 10 * 1024 * 1024  # an audit of 1 000 cases × 50 questions is about 3 MB as CSV
MAX_ROWS = 100_000
MAX_VALUE_CHARS = 200
TOTAL = "Total"

ACCEPTED = {
    "audit": pl.Utf8, "case_id": pl.Utf8, "district": pl.Utf8, "gender": pl.Utf8, "criterion": pl.Utf8,
    "answer": pl.Utf8, "row": pl.Int64,
}
REJECTS = {"row": pl.Int64, "column": pl.Utf8, "value": pl.Utf8, "reason": pl.Utf8}

# Spellings, after lower-casing and turning spaces, hyphens and dots into "_" (see `_key`).
ANSWER_SPELLINGS = {
    "ja": "ja", "j": "ja",
    "nej": "nej", "n": "nej",
    "ej_aktuellt": "ej_aktuellt", "ej_aktuell": "ej_aktuellt", "ejaktuellt": "ej_aktuellt", "ejaktuell": "ej_aktuellt",
    "e_a": "ej_aktuellt", "ea": "ej_aktuellt", "ej_tillampligt": "ej_aktuellt", "ej_tillämpligt": "ej_aktuellt",
    "inte_aktuellt": "ej_aktuellt", "ej_relevant": "ej_aktuellt",
}
GENDER_SPELLINGS = {
    "f": "F", "k": "F", "flicka": "F", "kvinna": "F", "flickor": "F", "kvinnor": "F",
    "m": "M", "p": "M", "pojke": "M", "man": "M", "pojkar": "M", "män": "M",
    "x": "X", "u": "U", "okänt": "U", "okänd": "U",
}


class AnswerFileError(ValueError):
    """The file as a whole cannot be used (format, size, missing column); the message is Swedish."""


@dataclass
class AnswerFile:
    """The accepted rows (schema ACCEPTED) and the rejected ones with a reason each (schema REJECTS)."""

    answers: pl.DataFrame
    rejects: pl.DataFrame
    rows_read: int


def _key(value: str) -> str:
    return re.sub(r"[\s\-.]+", "_", value.strip().lower()).strip("_")


def read_answer_bytes(raw: bytes, file_name: str) -> AnswerFile:
    """Read a CSV or XLSX answer file held in memory (the web upload, the command line)."""
    if len(raw) > MAX_FILE_BYTES:
        raise AnswerFileError(f"{file_name}: filen är för stor (högst {MAX_FILE_BYTES // (1024 * 1024)} MB)")
    suffix = Path(file_name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise AnswerFileError(f"{file_name}: okänt filformat (använd .csv eller .xlsx)")
    # Through the import's own bounded readers (zip bombs, far cells, encodings): one private file.
    with tempfile.TemporaryDirectory(prefix="egk-svar-") as directory:
        path = Path(directory) / f"svar{suffix}"
        path.write_bytes(raw)
        try:
            tables = interchange.read_tables(path)
        except interchange.InterchangeError as exc:
            raise AnswerFileError(str(exc).replace(path.name, file_name)) from None
    if not tables.tables:
        raise AnswerFileError(f"{file_name}: arbetsboken har inget kalkylblad")
    frame = next(iter(tables.tables.values()))  # the first sheet holds the answers
    return check_rows(frame, file_name)


def read_answer_file(path: str | Path) -> AnswerFile:
    path = Path(path)
    if not path.is_file():
        raise AnswerFileError(f"hittar inte svarsfilen {path.name}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise AnswerFileError(f"{path.name}: filen är för stor (högst {MAX_FILE_BYTES // (1024 * 1024)} MB)")
    return read_answer_bytes(path.read_bytes(), path.name)


def check_rows(frame: pl.DataFrame, file_name: str = "svarsfilen") -> AnswerFile:
    """Validate a table of raw strings (columns as COLUMNS, `_row` the source row) row by row."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise AnswerFileError(f"{file_name}: kolumnen {', '.join(missing)} saknas (kolumner: {', '.join(COLUMNS)})")
    if frame.height > MAX_ROWS:
        raise AnswerFileError(f"{file_name}: för många rader ({frame.height}; högst {MAX_ROWS})")
    accepted: list[dict] = []
    rejects: list[tuple[int, str, str | None, str]] = []
    seen: dict[tuple[str, str, str], int] = {}
    facts: dict[tuple[str, str], tuple[str, str]] = {}
    columns = [c for c in COLUMNS if c in frame.columns]
    for raw in frame.select(interchange.ROW, *columns).iter_rows(named=True):
        row = raw[interchange.ROW]
        problem = _row_problem(raw)
        if problem:
            column, reason = problem
            rejects.append((row, column, _shown(raw.get(column)), reason))
            continue
        answer = ANSWER_SPELLINGS[_key(raw["answer"])]
        gender = GENDER_SPELLINGS.get(_key(raw.get("gender") or "u"), "U")
        audit, case_id, criterion = raw["audit"], raw["case_id"], " ".join(raw["criterion"].split())
        key = (audit, case_id, criterion.casefold())
        if key in seen:
            rejects.append((row, "criterion", _shown(criterion), f"samma ärende och fråga finns redan på rad {seen[key]}"))
            continue
        district = raw["district"]
        known = facts.setdefault((audit, case_id), (district, gender))
        if known[0] != district:
            rejects.append((row, "district", _shown(district), f"ärendet har distriktet {known[0]} på en tidigare rad"))
            continue
        if known[1] != gender:
            rejects.append((row, "gender", _shown(raw.get("gender")), "ärendet har ett annat kön på en tidigare rad"))
            continue
        seen[key] = row
        accepted.append({"audit": audit, "case_id": case_id, "district": district, "gender": gender,
                         "criterion": criterion, "answer": answer, "row": row})
    return AnswerFile(
        answers=pl.DataFrame(accepted, schema=ACCEPTED),
        rejects=pl.DataFrame(rejects, schema=REJECTS, orient="row"),
        rows_read=frame.height,
    )


def _row_problem(raw: dict) -> tuple[str, str] | None:
    for column in REQUIRED:
        if not raw.get(column):
            return column, "obligatoriskt värde saknas"
    for column in COLUMNS:
        value = raw.get(column)
        if value is not None and len(value) > MAX_VALUE_CHARS:
            return column, f"värdet är längre än {MAX_VALUE_CHARS} tecken"
    if mask(raw["case_id"]) != raw["case_id"]:
        return "case_id", "ärende-id ser ut som ett personnummer; använd ärendets id"
    if _key(raw["answer"]) not in ANSWER_SPELLINGS:
        return "answer", "okänt svar (ska vara ja, nej eller ej aktuellt)"
    gender = raw.get("gender")
    if gender and _key(gender) not in GENDER_SPELLINGS:
        return "gender", "okänt kön (ska vara F, M, X eller U)"
    return None


def _shown(value: str | None) -> str | None:
    """A rejected value as it may be shown and logged: identity numbers masked, cut to MAX_VALUE_CHARS."""
    return None if value is None else mask(value)[:MAX_VALUE_CHARS]


# ---------------------------------------------------------------- the published tables


def seed_counts(answers: pl.DataFrame) -> dict[str, dict]:
    """The city inspectors' tables for each audit in the file, with the criteria as written.

    {audit: {"n": {district: cases, …, "Total": cases},
             "rows": {criterion: {district: ja, …, "Total": ja}},
             "answered": {criterion: {district: ja + nej, …, "Total": ja + nej}},
             "gender": {"F": cases, "M": cases}}}
    Districts and criteria in the order they first appear in the file. "answered" is the sub-n
    of a question asked only of some cases (ej aktuellt is neither ja nor nej).
    """
    out: dict[str, dict] = {}
    for audit in answers["audit"].unique(maintain_order=True).to_list():
        rows = answers.filter(pl.col("audit") == audit)
        districts = rows["district"].unique(maintain_order=True).to_list()
        criteria = rows["criterion"].unique(maintain_order=True).to_list()
        cases = rows.unique(["case_id"], keep="first", maintain_order=True)
        n = dict(cases.group_by("district").len().iter_rows())
        counts = rows.group_by("criterion", "district").agg(
            (pl.col("answer") == "ja").sum().alias("ja"),
            pl.col("answer").is_in(["ja", "nej"]).sum().alias("answered"),
        )
        ja = {(c, d): (j, a) for c, d, j, a in counts.iter_rows()}

        genders = dict(cases.group_by("gender").len().iter_rows())
        out[audit] = {
            "n": {**{d: int(n[d]) for d in districts}, TOTAL: cases.height},
            "rows": {c: _per_district(ja, c, districts, 0) for c in criteria},
            "answered": {c: _per_district(ja, c, districts, 1) for c in criteria},
            "gender": {"F": int(genders.get("F", 0)), "M": int(genders.get("M", 0))},
        }
    return out


def _per_district(counts: dict, criterion: str, districts: list[str], index: int) -> dict[str, int]:
    values = {d: int(counts.get((criterion, d), (0, 0))[index]) for d in districts}
    return {**values, TOTAL: sum(values.values())}
