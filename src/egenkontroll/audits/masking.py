"""The audit results as shown to a masked viewer: one linked table per question, areas as sums.

Why it exists: the results show, per district and for all districts, counts for girls, boys
and everyone ("alla" = flickor + pojkar + children with gender X or U), per question and per
quality area (an area = the sum of its questions). Masking each of those tables on its own
lets a reader add and subtract them: alla − pojkar gives a hidden count for girls, alla −
flickor − pojkar the number of X/U children, an area minus its other questions a hidden
question. So, per question, the counts form one linked table

    district (and "alla distrikt") × gender (flicka, pojke, övrigt = X/U, and "alla") ×
    answer (ja, nej, ej aktuellt, obesvarade, and the number of cases)

whose every line has its total. Counts 1–4 are "<5" anywhere in it, and each one gets a hidden
*box* — eight cells (d|d', g|g', a|a') that can all change by ±1 without changing any line's
total, so the shown cells never pin it down (the hypercube rule of statistical disclosure
control; the övrigt column is never shown, but a zero there counts as known, since a reader
seeing no X/U children assumes none). The numbers of cases per district and gender are the
same in every question, so a small one (two X/U children in a district) is protected once for
all questions by a rectangle of such numbers carried into every question. The number of cases
per district ("alla") is taken as known: the progress table shows it.

A quality area's count is the sum of its questions' counts and is shown only when every one of
them is shown, so an area adds nothing a reader could not add up from the questions.
"""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl

from egenkontroll.core import smallnumbers
from egenkontroll.core.audits import ALL_DISTRICTS, GENDER_COLUMNS, Template

ANSWER_COUNTS = ("ja", "nej", "ej_aktuellt", "obesvarade")
# Index of each gender part in the linked table; the last index of every axis is its total.
GENDER_PARTS = ("flicka", "pojke", "ovrigt")
SHOWN_GENDERS = {"flicka": 0, "pojke": 1, "alla": 3}
_OVRIGT, _ALLA, _CASES = GENDER_PARTS.index("ovrigt"), len(GENDER_PARTS), len(ANSWER_COUNTS)
_NEVER = 2**40  # the cost of a cell not to hide (a sum of eight stays far from overflow)


def masked_cells(answers: pl.DataFrame, template: Template) -> dict[tuple[str, str, str, str], dict]:
    """(district or ALL_DISTRICTS, 'question' | 'area', key, gender) → counts ("<5", "x" or int) and andel_ja."""
    districts = sorted(set(answers["district_id"].drop_nulls().to_list()))
    if not districts:
        return {}
    counts = _question_tables(answers, template, districts)
    hidden_of = _protected_all(counts)
    shown = {q: np.where(hidden_of[q], -1, table) for q, table in counts.items()}
    out: dict[tuple[str, str, str, str], dict] = {}
    rows = [*districts, ALL_DISTRICTS]
    primary = {q: (t >= smallnumbers.SMALL_MIN) & (t <= smallnumbers.SMALL_MAX) for q, t in counts.items()}
    for q in template.questions:
        _emit(out, rows, "question", q.id, shown[q.id], primary[q.id])
    for area in template.areas():
        ids = [q.id for q in template.questions if q.area == area]
        total = sum(counts[i] for i in ids)
        hidden = np.logical_or.reduce([shown[i] < 0 for i in ids])
        _emit(out, rows, "area", area, np.where(hidden, -1, total), (total >= 1) & (total <= smallnumbers.SMALL_MAX))
    return out


def _question_tables(answers: pl.DataFrame, template: Template, districts: list[str]) -> dict[str, np.ndarray]:
    """question id → counts[district (+ total), gender part (+ alla), answer (+ cases)]."""
    d_index = {d: i for i, d in enumerate(districts)}
    a_index = {a: i for i, a in enumerate(ANSWER_COUNTS)}
    g_index = {code: GENDER_PARTS.index(part) for code, part in GENDER_COLUMNS.items()}
    tables = {q.id: np.zeros((len(districts) + 1, _ALLA + 1, _CASES + 1), dtype=np.int64) for q in template.questions}
    grouped = (
        answers.filter(pl.col("question_id").is_in(list(tables)))
        .with_columns(pl.col("answer").fill_null("obesvarade"))
        .group_by("question_id", "district_id", "gender", "answer")
        .len()
    )
    for question_id, district, gender, answer, n in grouped.iter_rows():
        if district not in d_index or answer not in a_index:
            continue
        tables[question_id][d_index[district], g_index.get(gender, GENDER_PARTS.index("ovrigt")), a_index[answer]] += n
    for t in tables.values():
        t[-1, :, :] = t[:-1, :, :].sum(axis=0)
        t[:, -1, :] = t[:, :-1, :].sum(axis=1)
        t[:, :, -1] = t[:, :, :-1].sum(axis=2)
    return tables


def _protected_all(counts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """question id → which cells of its linked table are hidden (see the module docstring)."""
    hidden = {}
    for question_id, table in counts.items():
        hidden[question_id] = (table >= smallnumbers.SMALL_MIN) & (table <= smallnumbers.SMALL_MAX)
    protected = _protect_case_numbers(counts, hidden)
    for question_id, table in counts.items():
        _protect_answers(table, hidden[question_id], protected[question_id])
    return hidden


def _usable(table: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Hidden cells a reader cannot fill in: not a zero of the övrigt column (a reader who sees no
    X/U children assumes there are none)."""
    usable = hidden.copy()
    usable[:, _OVRIGT, :] &= table[:, _OVRIGT, :] != 0
    return usable


def _protect_answers(table: np.ndarray, hidden: np.ndarray, protected: set[tuple[int, int, int]]) -> None:
    """Every small answer count gets a hidden box: no line's total can pin it down.

    A box is the 8 cells (d|d', g|g', a|a'); adding +1/-1 on them with signs flipping between
    two inner indices (and not towards a total) keeps every line total, so a value of the
    hidden cell is never fixed by the shown ones. Answers a, a' are inner, so the numbers of
    cases (shared by every question) never change.
    """
    small = (table >= smallnumbers.SMALL_MIN) & (table <= smallnumbers.SMALL_MAX)
    cost = _cost(table)
    for d, g, a in zip(*np.nonzero(small[:, :, :_CASES]), strict=True):
        if (d, g, a) not in protected and not _has_box(_usable(table, hidden), d, g, a):
            if not _hide_box(hidden, _usable(table, hidden), cost, d, g, a):
                hidden[:] = True  # no box at all (not seen in practice): show nothing of the question
                return


def _cost(table: np.ndarray) -> np.ndarray:
    """What hiding a cell costs: its value; a zero much more (a reader may take a hidden zero for
    a small number), and a zero of the övrigt column (never shown) almost never — a reader
    who sees no X/U children assumes there are none, so hiding it protects nothing."""
    zero = 4 * int(table.max()) + 1
    cost = np.where(table == 0, zero, table).astype(np.int64)
    cost[:, _OVRIGT, :] = np.where(table[:, _OVRIGT, :] == 0, _NEVER, cost[:, _OVRIGT, :])
    return cost


def _boxes(d: int, g: int, a: int, shape) -> tuple[np.ndarray, ...]:
    """Index grids of the other seven corners for every (d', g', a') with a' inner."""
    dd, gg, aa = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), np.arange(_CASES), indexing="ij")
    corners = [(dd, g, a), (d, gg, a), (d, g, aa), (dd, gg, a), (dd, g, aa), (d, gg, aa), (dd, gg, aa)]
    return dd, gg, aa, corners


def _has_box(hidden: np.ndarray, d: int, g: int, a: int) -> bool:
    dd, gg, aa, corners = _boxes(d, g, a, hidden.shape)
    ok = (dd != d) & (gg != g) & (aa != a)
    for corner in corners:
        ok &= hidden[corner]
    return bool(ok.any())


def _hide_box(hidden: np.ndarray, usable: np.ndarray, cost: np.ndarray, d: int, g: int, a: int) -> bool:
    """Hides the cheapest box through (d, g, a); False if every box needs a cell a reader knows."""
    dd, gg, aa, corners = _boxes(d, g, a, hidden.shape)
    open_cost = np.where(usable, 0, cost)
    total = sum(open_cost[corner] for corner in corners)
    total = np.where((dd != d) & (gg != g) & (aa != a), total, _NEVER)
    best = np.unravel_index(np.argmin(total), total.shape)
    if total[best] >= _NEVER:
        return False
    d2, g2, a2 = (int(i) for i in best)
    for x, y, z in itertools.product((d, d2), (g, g2), (a, a2)):
        hidden[x, y, z] = True
    return True


def _protect_case_numbers(counts: dict[str, np.ndarray], hidden: dict[str, np.ndarray]) -> None:
    """A small number of girls, boys or X/U children of a district cannot be worked out.

    The numbers of cases per district and gender are the same in every question's table, so
    each is protected once for all: a rectangle of such numbers (districts d, d', genders g, g'
    among flicka, pojke, övrigt — never "alla", which the progress table shows), extended in
    every question by one answer a* whose four cells are hidden, changes them alike in every
    question while keeping every total.
    """
    some = next(iter(counts.values()))
    cases = some[:, :_ALLA, _CASES]
    small = (cases >= smallnumbers.SMALL_MIN) & (cases <= smallnumbers.SMALL_MAX)
    protected: dict[str, set[tuple[int, int, int]]] = {q: set() for q in counts}
    done: set[tuple[int, int]] = set()
    for d, g in zip(*np.nonzero(small), strict=True):
        d, g = int(d), int(g)
        if (d, g) in done:
            continue
        d2, g2 = _cheapest_rectangle(cases, d, g)
        corners = [(d, g), (d2, g), (d, g2), (d2, g2)]
        done.update(corners)
        for question_id, table in counts.items():
            h, c = hidden[question_id], _cost(table)
            usable = _usable(table, h)
            price = [sum(0 if usable[x, y, a] else int(c[x, y, a]) for x, y in corners) for a in range(_CASES)]
            a_star = int(np.argmin(price))
            for x, y in corners:
                h[x, y, a_star] = h[x, y, _CASES] = True
                protected[question_id].add((x, y, a_star))
    return protected


def _cheapest_rectangle(cases: np.ndarray, d: int, g: int) -> tuple[int, int]:
    """(d', g') closing the rectangle through a small number of cases (d, g), g' flicka or pojke.

    For the X/U column d' is "alla distrikt", whose X/U count holds d's (so no zero a reader
    would fill in); otherwise the district with the fewest such cases.
    """
    flicka, pojke = GENDER_PARTS.index("flicka"), GENDER_PARTS.index("pojke")
    others = [x for x in (flicka, pojke) if x != g]
    g2 = min(others, key=lambda x: int(cases[d, x]))
    if g == _OVRIGT:
        return cases.shape[0] - 1, g2
    zero = 4 * int(cases.max()) + 1
    price = [int(cases[x, g] + cases[x, g2]) or zero for x in range(cases.shape[0])]
    price[d] = _NEVER
    return int(np.argmin(price)), g2


def _emit(out: dict, rows: list[str], scope: str, key: str, shown: np.ndarray, primary: np.ndarray) -> None:
    for d, district in enumerate(rows):
        for gender, g in SHOWN_GENDERS.items():
            counts = {
                a: _text(int(shown[d, g, i]), bool(primary[d, g, i])) for i, a in enumerate(ANSWER_COUNTS)
            }
            ja, nej = counts["ja"], counts["nej"]
            share = ja / (ja + nej) if isinstance(ja, int) and isinstance(nej, int) and ja + nej else None
            out[(district, scope, key, gender)] = {**counts, "andel_ja": share}


def _text(value: int, small: bool) -> int | str:
    if small:
        return smallnumbers.PRIMARY_TEXT
    return smallnumbers.SECONDARY_TEXT if value < 0 else value
