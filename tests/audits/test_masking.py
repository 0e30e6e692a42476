"""Masked audit results cannot be combined to recover a hidden count.

The oracle here is independent of `audits.masking`: the unknowns are the counts per question
× district × gender (F, M, X/U) × answer and the numbers of cases per district and gender
(the same in every question); every number the viewer sees ("alla", flickor, pojkar, each
district and "Alla distrikt") is one linear equation, and so are the number of cases per
district (the progress table) and every X/U count that is zero (a reader assumes none). A
count is recoverable exactly when those equations fix it.
"""

from __future__ import annotations

import itertools
import random

import numpy as np
import polars as pl
import pytest

from egenkontroll.audits.masking import masked_cells
from egenkontroll.core.audits import ALL_DISTRICTS, Question, Template

TEMPLATE = Template(
    id="t", title="T", purpose="P", population="utredning_avslutad",
    questions=(Question("q1", "trygghet_sakerhet", "Fråga 1?"), Question("q2", "trygghet_sakerhet", "Fråga 2?"),
               Question("q3", "effektivitet", "Fråga 3?")),
)
ANSWERS = ("ja", "nej", "ej_aktuellt", None)
COUNT_OF = {"ja": "ja", "nej": "nej", "ej_aktuellt": "ej_aktuellt", None: "obesvarade"}
GENDERS = ("F", "M", "X")


def frame(cases: list[tuple[str, str, dict[str, str | None]]]) -> pl.DataFrame:
    """cases: (district, gender, {question: answer}) → the answers frame of `tables.answers_frame`."""
    rows = [
        (f"K{i}", district, gender, q.id, given.get(q.id))
        for i, (district, gender, given) in enumerate(cases)
        for q in TEMPLATE.questions
    ]
    return pl.DataFrame(rows, schema=["case_id", "district_id", "gender", "question_id", "answer"], orient="row")


def same(n: int, district: str, gender: str, **given) -> list:
    return [(district, gender, given)] * n


def recoverable(answers: pl.DataFrame, shown: dict) -> set[tuple]:
    """The (question, district, gender, answer) counts — and the numbers of cases per district and
    gender, answer "*" — that what is shown fixes, over all questions at once."""
    districts = sorted(set(answers["district_id"]))
    questions = [q.id for q in TEMPLATE.questions]
    answer_ids = ("ja", "nej", "ej_aktuellt", "obesvarade")
    cells = [*itertools.product(questions, districts, ("F", "M", "O"), answer_ids),
             *(("*", d, g, "*") for d in districts for g in ("F", "M", "O"))]
    index = {c: i for i, c in enumerate(cells)}
    truth = {q: true_counts(answers, q) for q in questions}
    rows, values = [], []

    def equation(plus, value, minus=()):
        row = np.zeros(len(cells))
        for c in plus:
            row[index[c]] += 1
        for c in minus:
            row[index[c]] -= 1
        rows.append(row)
        values.append(value)

    for (district, scope, key, gender), counts in shown.items():
        if scope != "question":
            continue
        ds = districts if district == ALL_DISTRICTS else [district]
        gs = {"flicka": ("F",), "pojke": ("M",), "alla": ("F", "M", "O")}[gender]
        for answer, value in counts.items():
            if answer != "andel_ja" and isinstance(value, int):
                equation([(key, d, g, answer) for d in ds for g in gs], value)
    for d in districts:
        # Each question's answers add up to the same number of cases per gender (shared unknowns) …
        for q, g in itertools.product(questions, ("F", "M", "O")):
            equation([(q, d, g, a) for a in answer_ids], 0, minus=[("*", d, g, "*")])
        # … whose sum per district the progress table shows; a reader assumes no X/U where there are none.
        equation([("*", d, g, "*") for g in ("F", "M", "O")], sum(truth[questions[0]].get((d, g, "*"), 0)
                                                               for g in ("F", "M", "O")))
        if truth[questions[0]].get((d, "O", "*"), 0) == 0:
            equation([("*", d, "O", "*")], 0)
        for q, a in itertools.product(questions, answer_ids):
            if truth[q].get((d, "O", a), 0) == 0:
                equation([(q, d, "O", a)], 0)
    _, singular, vt = np.linalg.svd(np.array(rows))
    null = vt[int((singular > 1e-9).sum()):]
    return {c for c, i in index.items() if null.shape[0] == 0 or np.abs(null[:, i]).max() < 1e-9}


def true_counts(answers: pl.DataFrame, question_id: str) -> dict[tuple, int]:
    """(district, gender F/M/O, answer) → count for one question, and (district, gender, "*") → cases."""
    q = answers.filter(pl.col("question_id") == question_id).with_columns(
        pl.col("gender").replace({"X": "O", "U": "O"}), pl.col("answer").fill_null("obesvarade")
    )
    counts = {(d, g, a): n for d, g, a, n in q.group_by("district_id", "gender", "answer").len().iter_rows()}
    for d, g in itertools.product(set(q["district_id"]), ("F", "M", "O")):
        counts[(d, g, "*")] = sum(n for (dd, gg, _), n in counts.items() if (dd, gg) == (d, g))
    return counts


def assert_no_small_count_recoverable(answers: pl.DataFrame, shown: dict) -> None:
    truth = {(q.id, *c): n for q in TEMPLATE.questions for c, n in true_counts(answers, q.id).items()}
    truth.update({("*", d, g, "*"): n for (q, d, g, a), n in truth.items() if a == "*"})
    leaked = {c: truth[c] for c in recoverable(answers, shown) if 1 <= truth.get(c, 0) <= 4}
    assert not leaked, f"recoverable small counts {leaked}"


def test_a_hidden_count_for_girls_is_not_alla_minus_boys():
    # District A, question q1: nej for 3 girls and 6 boys (alla nej 9), ja for 10 girls and 10 boys.
    cases = [
        *same(3, "A", "F", q1="nej", q2="ja", q3="ja"), *same(6, "A", "M", q1="nej", q2="ja", q3="ja"),
        *same(10, "A", "F", q1="ja", q2="ja", q3="ja"), *same(10, "A", "M", q1="ja", q2="ja", q3="ja"),
        *same(12, "B", "F", q1="ja", q2="nej", q3="ja"), *same(12, "B", "M", q1="nej", q2="ja", q3="nej"),
    ]
    answers = frame(cases)
    shown = masked_cells(answers, TEMPLATE)
    girls, boys, alla = (shown[("A", "question", "q1", g)] for g in ("flicka", "pojke", "alla"))
    assert girls["nej"] == "<5"
    assert not (isinstance(alla["nej"], int) and isinstance(boys["nej"], int))
    # The area (q1 + q2) cannot give it away either: its count shows only when q1's and q2's do.
    area = shown[("A", "area", "trygghet_sakerhet", "flicka")]
    assert not isinstance(area["nej"], int)
    assert_no_small_count_recoverable(answers, shown)


def test_the_number_of_x_and_u_children_is_not_revealed():
    cases = [
        *same(2, "A", "X", q1="ja", q2="ja", q3="nej"),
        *same(8, "A", "F", q1="ja", q2="ja", q3="nej"), *same(9, "A", "M", q1="ja", q2="nej", q3="ja"),
        *same(7, "B", "F", q1="nej", q2="ja", q3="ja"), *same(6, "B", "M", q1="ja", q2="ja", q3="ja"),
    ]
    answers = frame(cases)
    shown = masked_cells(answers, TEMPLATE)
    for q in ("q1", "q2", "q3"):
        for answer in ("ja", "nej", "ej_aktuellt", "obesvarade"):
            cells = [shown[("A", "question", q, g)][answer] for g in ("alla", "flicka", "pojke")]
            alla, girls, boys = cells
            if all(isinstance(c, int) for c in cells):
                assert alla - girls - boys not in range(1, 5), (q, answer, cells)
    assert_no_small_count_recoverable(answers, shown)


@pytest.mark.parametrize("seed", range(12))
def test_random_audits_leak_no_small_count(seed):
    rng = random.Random(seed)
    districts = [f"D{i}" for i in range(rng.randint(1, 4))]
    cases = [
        (rng.choice(districts), rng.choices(GENDERS, weights=(10, 10, 1))[0],
         {q.id: rng.choices(ANSWERS, weights=(6, 3, 1, 1))[0] for q in TEMPLATE.questions})
        for _ in range(rng.randint(5, 60))
    ]
    answers = frame(cases)
    shown = masked_cells(answers, TEMPLATE)
    assert_no_small_count_recoverable(answers, shown)
    for (district, scope, key, gender), counts in shown.items():
        if scope != "area":
            continue
        parts = [shown[(district, "question", q.id, gender)] for q in TEMPLATE.questions if q.area == key]
        for answer in ("ja", "nej", "ej_aktuellt", "obesvarade"):
            if isinstance(counts[answer], int):
                assert all(isinstance(p[answer], int) for p in parts)
                assert counts[answer] == sum(p[answer] for p in parts)
