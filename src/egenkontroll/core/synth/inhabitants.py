"""The children who live in each synthetic district: population.csv, the denominator of the per-1,000 figures.

Why: the figures a nämnd compares with other municipalities are per 1,000 children 0–17
(issue 16), and a demo without a population would show them empty. A district's children are
sized from its reports, so the rate comes out near the national one: about 422,000
aktualiseringar (2021, ages 0–20) against about 2.2 million children 0–17 in Sweden (SCB,
rounded; antagande: the 18–20-year-olds' share of the reports is left out, so the rate is a
little high). They are spread over one-year classes and by gender with a little noise, and grow
by half a per cent a year, as SCB's table BE0101N1 gives them: the population on 31 December.
Years are those before the data's last year, as published figures would be.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from egenkontroll.core.synth.org import District

CHILDREN_0_17 = 2_200_000  # Sweden, SCB, rounded
REPORTS = 422_000  # 2021 (params.REPORTS_2021)
SHARE_BOYS = 0.513  # boys among children 0–17 (SCB, rounded)
GROWTH = 1.005  # a year
AGES = range(18)


def table(rng: np.random.Generator, districts: list[District], first_year: int, last_year: int) -> pl.DataFrame:
    """One row per district, year (first_year – 1 … last_year – 1), age 0–17 and gender."""
    rows: dict[str, list] = {"unit_id": [], "year": [], "age": [], "gender": [], "count": []}
    years = list(range(first_year - 1, last_year))
    for district in districts:
        children = district.reports_per_year * CHILDREN_0_17 / REPORTS
        for k, year in enumerate(years):
            per_class = children * GROWTH ** (k - len(years) + 1) / len(AGES)
            for gender, share in (("M", SHARE_BOYS), ("F", 1 - SHARE_BOYS)):
                counts = rng.normal(per_class * share, per_class * share * 0.03, len(AGES)).round().clip(0)
                rows["unit_id"] += [district.code] * len(AGES)
                rows["year"] += [year] * len(AGES)
                rows["age"] += list(AGES)
                rows["gender"] += [gender] * len(AGES)
                rows["count"] += counts.astype(np.int64).tolist()
    return pl.DataFrame(rows, schema={"unit_id": pl.Utf8, "year": pl.Int32, "age": pl.Int32, "gender": pl.Utf8,
                                      "count": pl.Int64})
