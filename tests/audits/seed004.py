"""The city inspectors' published tables (seed 004, copied by hand) and an answer file that yields them.

The expected tables below are typed from the report, not computed. `answer_rows` spreads each
district's "ja" over its cases (by a fixed permutation, so no case answers "ja" to everything)
to make one answer file per audit; the tests then rebuild the published tables from that file.
docs/examples/seed004_svar.csv is this file as written by `write_answer_file`.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

FAMILJEVARD = {
    "districts": {"Hägersten-Liljeholmen": 15, "Farsta": 15, "Norrmalm-Östermalm": 12},
    "girls": {"Hägersten-Liljeholmen": 7, "Farsta": 7, "Norrmalm-Östermalm": 5},  # 19 flickor, 23 pojkar
    "rows": {
        "Hälsokort utskickat": (6, 5, 8),
        "Fysisk hälsa uppföljt i senaste övervägandet": (9, 3, 5),
        "Psykisk hälsa uppföljt i senaste övervägandet": (6, 5, 7),
        "Tandvård uppföljt i senaste övervägandet": (5, 2, 0),
        "Skriftlig umgängesplan finns": (9, 10, 6),
        "Konkreta uppgifter kring umgänget finns": (13, 12, 10),
        "Barnets vilja belyses": (14, 15, 9),
    },
}
TILLFALLIGT_BOENDE = {
    "districts": {"Hässelby-Vällingby": 20, "Skarpnäck": 20, "Skärholmen": 20, "Södermalm": 20},
    "girls": {"Hässelby-Vällingby": 11, "Skarpnäck": 10, "Skärholmen": 10, "Södermalm": 10},  # 51 % kvinnor
    "rows": {
        "Psykosociala problem": (9, 15, 16, 19),
        "Hälsoproblem": (4, 9, 5, 8),
        "Funktionsnedsättning": (7, 7, 3, 8),
        "Plan finns för boendesituationen": (13, 2, 10, 13),
        "Får stödinsatser för boendesituationen": (6, 10, 11, 14),
        "Barn i hushållet": (7, 2, 7, 2),
    },
    # asked only where there are children: ja of the (n=7, 2, 7, 2) cases with children
    "conditional": {
        "Barnkonsekvensanalys": (1, 0, 3, 2),
        "Pratat med barnen": (2, 0, 0, 0),
    },
}
AUDITS = {"familjevard": FAMILJEVARD, "tillfalligt_boende": TILLFALLIGT_BOENDE}
CONDITION = "Barn i hushållet"


def _yes(index: int, size: int, ja: int, shift: int) -> bool:
    """Whether case `index` of `size` answers ja when `ja` of them do: a fixed permutation per question."""
    step = next(s for s in (7, 11, 13, 17, 19, 23) if math.gcd(s, size) == 1)
    return ((index * step + shift) % size) < ja


def answer_rows(spellings: bool = False) -> list[dict[str, str]]:
    """One row per case and question for both audits. spellings=True writes Ja/NEJ/"Ej aktuell" as people do."""
    words = {"ja": "Ja", "nej": "NEJ", "ej_aktuellt": "Ej aktuell"} if spellings else {}
    rows = []
    for audit, spec in AUDITS.items():
        for d_index, (district, size) in enumerate(spec["districts"].items()):
            for i in range(size):
                case_id = f"{audit[:2].upper()}-{d_index + 1}-{i + 1:02d}"
                gender = "F" if _yes(i, size, spec["girls"][district], 9) else "M"
                given = {}
                for q_index, (criterion, counts) in enumerate(spec["rows"].items()):
                    given[criterion] = "ja" if _yes(i, size, counts[d_index], q_index) else "nej"
                with_children = [j for j in range(size) if _yes(j, size, spec["rows"].get(CONDITION, [0] * 4)[d_index], 5)]
                for q_index, (criterion, counts) in enumerate(spec.get("conditional", {}).items()):
                    if i not in with_children:
                        given[criterion] = "ej_aktuellt"
                        continue
                    # the first question "ja" for the first children's cases, the second for the last ones
                    k, m = with_children.index(i), len(with_children)
                    given[criterion] = "ja" if (k < counts[d_index] if q_index == 0 else k >= m - counts[d_index]) else "nej"
                for criterion, answer in given.items():
                    rows.append({"audit": audit, "case_id": case_id, "district": district, "gender": gender,
                                 "criterion": criterion, "answer": words.get(answer, answer)})
    return rows


def write_answer_file(path: Path, spellings: bool = False) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=["audit", "case_id", "district", "gender", "criterion", "answer"])
        writer.writeheader()
        writer.writerows(answer_rows(spellings))
    return path
