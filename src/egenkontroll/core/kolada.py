"""The figures that have a national definition, in the layout Kolada publishes its data in.

Why it exists: a nämnd compares its figures with other municipalities' in Kolada (RKA) and in
Öppna jämförelser. Kolada's data is one value per indicator (`kpi`), municipality (its
four-digit code), period (a year) and gender (`T` total, `K` women/girls, `M` men/boys). Writing
ours the same way lets them be put beside the published ones in a spreadsheet or BI tool
without retyping. Only figures whose catalogue entry names a national id are written; every id
not verified against the publisher and every stated difference of definition comes back as a
warning, so a number is never reported under a national id without the reader seeing why it
may not be the same number.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from egenkontroll.core.kpi_catalogue import Kpi

COLUMNS = {"kpi": pl.Utf8, "municipality": pl.Utf8, "period": pl.Int32, "gender": pl.Utf8, "value": pl.Float64}
# Our genders as Kolada's: girls are K (kvinnor), boys M; X and U are in T only, as in Kolada.
KOLADA_GENDER = {"F": "K", "M": "M"}


def national_figures(catalogue: Mapping[str, Kpi]) -> list[Kpi]:
    """The figures with a national id, in catalogue order."""
    return [k for k in catalogue.values() if k.national is not None and k.national.id]


def value(kpi: Kpi, ours: float | None) -> float | None:
    """Our value in Kolada's unit: a share in per cent (100 minus ours where `complement`), else as is, 1 decimal."""
    if ours is None:
        return None
    if kpi.unit == "andel":
        percent = 100 * ours
        return round(100 - percent if kpi.national.complement else percent, 1)
    return round(float(ours), 1)


def rows(
    totals: pl.DataFrame,
    by_gender: pl.DataFrame | None,
    catalogue: Mapping[str, Kpi],
    municipality: str,
    period: int,
    node_id: str,
) -> pl.DataFrame:
    """COLUMNS rows for `node_id` (the municipality's root unit) from `kpis.compute` frames.

    `totals` is computed without a breakdown, `by_gender` with breakdown "gender" (or None):
    figures offering that breakdown get a K and an M row beside T.
    """
    out: list[dict] = []
    for kpi in national_figures(catalogue):
        found = _values(totals, kpi.id, node_id)
        out.append(_row(kpi, municipality, period, "T", found.get(None)))
        if by_gender is not None and "gender" in kpi.breakdowns:
            split = _values(by_gender, kpi.id, node_id)
            for ours, theirs in KOLADA_GENDER.items():
                out.append(_row(kpi, municipality, period, theirs, split.get(ours)))
    return pl.DataFrame(out, schema=COLUMNS)


def warnings(catalogue: Mapping[str, Kpi]) -> list[str]:
    """One line per written figure whose id is unverified or whose definition differs (Swedish)."""
    lines = []
    for kpi in national_figures(catalogue):
        national = kpi.national
        if not national.verified:
            lines.append(f"{kpi.id} → {national.id}: id:t är inte verifierat mot {national.source}")
        if national.differs:
            lines.append(f"{kpi.id} → {national.id}: definitionen skiljer sig: {national.differs}")
    return lines


def _values(frame: pl.DataFrame, kpi_id: str, node_id: str) -> dict[str | None, float | None]:
    picked = frame.filter(
        (pl.col("node_type") == "unit") & (pl.col("node_id") == node_id) & (pl.col("kpi") == kpi_id)
    )
    return dict(zip(picked["category"].to_list(), picked["value"].to_list(), strict=True))


def _row(kpi: Kpi, municipality: str, period: int, gender: str, ours: float | None) -> dict:
    return {
        "kpi": kpi.national.id, "municipality": municipality, "period": period, "gender": gender,
        "value": value(kpi, ours),
    }
