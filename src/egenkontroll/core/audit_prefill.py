"""What the events already say about an audit question, beside what the reviewer found in the file.

Why it exists: some questions (övervägande in time, a vårdplan, a genomförandeplan, four visits
a year) are also answered by the events Egenkontroll imports. Showing the system's answer
beside the reviewer's, and how often the two agree, tells the inspectors two things: where the
case system's registrations can be trusted for the key figures, and where a reviewer may have
missed a document. The system's answer is never stored as the reviewer's.

The answers, per sampled case (question `prefill` keys, core/audits.PREFILLS):
- `vardplan`, `genomforandeplan`: ja if the case has such an event on or before the period's
  end, else nej;
- `overvagande_i_tid`: over the `overvagande_6m` obligations of the case due in the period, ja
  if none was late or overdue, nej if one was, ej_aktuellt if none fell due;
- `besok_4_per_ar`: ja if the case has at least 4 `besok` events in the period per started year
  of it (a calendar year, leap or not, is one), else nej.
Pure polars; no Django.
"""

from __future__ import annotations

import datetime as dt
import math

import polars as pl

from egenkontroll.core.audits import Template

PREFILLED = {"case_id": pl.Utf8, "question_id": pl.Utf8, "answer": pl.Utf8}
LATE = ("fulfilled_late", "overdue")


def system_answers(template: Template, case_ids: list[str], events: pl.DataFrame, obligations: pl.DataFrame,
                   period_from: dt.date, period_to: dt.date) -> pl.DataFrame:
    """case_id, question_id, answer for each prefilled question of the template and each case."""
    cases = pl.DataFrame({"case_id": case_ids}, schema={"case_id": pl.Utf8})
    known = events.filter(pl.col("case_id").is_in(case_ids) & (pl.col("date") <= period_to))
    parts = []
    for q in template.questions:
        if q.prefill is None:
            continue
        answer = _answers(q.prefill, cases, known, obligations, period_from, period_to)
        parts.append(answer.with_columns(pl.lit(q.id).alias("question_id")))
    if not parts:
        return pl.DataFrame(schema=PREFILLED)
    return pl.concat(parts).select(list(PREFILLED)).cast(PREFILLED)


def _answers(kind: str, cases: pl.DataFrame, events: pl.DataFrame, obligations: pl.DataFrame,
             period_from: dt.date, period_to: dt.date) -> pl.DataFrame:
    if kind in ("vardplan", "genomforandeplan"):
        having = events.filter(pl.col("event_type") == kind).select("case_id").unique()
        return cases.with_columns(
            pl.when(pl.col("case_id").is_in(having["case_id"].implode())).then(pl.lit("ja")).otherwise(pl.lit("nej"))
            .alias("answer")
        )
    if kind == "besok_4_per_ar":
        years = max(1, math.ceil(((period_to - period_from).days + 1) / 366))  # a leap year is one year
        visits = events.filter((pl.col("event_type") == "besok") & (pl.col("date") >= period_from)).group_by(
            "case_id").len()
        return cases.join(visits, on="case_id", how="left").select(
            "case_id",
            pl.when(pl.col("len").fill_null(0) >= 4 * years).then(pl.lit("ja")).otherwise(pl.lit("nej")).alias("answer"),
        )
    if kind == "overvagande_i_tid":
        due = obligations.filter(
            (pl.col("rule") == "overvagande_6m") & pl.col("due_date").is_between(period_from, period_to)
            & (pl.col("status") != "void")
        ).group_by("case_id").agg(pl.col("status").is_in(list(LATE)).any().alias("late"))
        return cases.join(due, on="case_id", how="left").select(
            "case_id",
            pl.when(pl.col("late").is_null()).then(pl.lit("ej_aktuellt"))
            .when(pl.col("late")).then(pl.lit("nej")).otherwise(pl.lit("ja")).alias("answer"),
        )
    raise ValueError(f"okänd förifyllning {kind!r}")


def agreement(reviewer: pl.DataFrame, system: pl.DataFrame) -> pl.DataFrame:
    """Per question: cases with both answers, how many agree, the share agreeing.

    `reviewer` and `system`: case_id, question_id, answer (reviewer's null = not answered, left out).
    """
    both = reviewer.filter(pl.col("answer").is_not_null()).join(system, on=["case_id", "question_id"], suffix="_system")
    return both.group_by("question_id", maintain_order=True).agg(
        pl.len().cast(pl.Int64).alias("jamforda"),
        (pl.col("answer") == pl.col("answer_system")).sum().cast(pl.Int64).alias("overens"),
    ).with_columns((pl.col("overens") / pl.col("jamforda")).alias("andel_overens"))
