"""Column contracts between the core modules.

Every module in the pipeline hands the next one a polars DataFrame with exactly these
columns and dtypes. They are written down once here so the reader, the generator, the
obligations engine, the key figures and the database import cannot drift apart.
"""

from __future__ import annotations

import polars as pl

LEVELS = ("stad", "forvaltning", "avdelning", "enhet", "grupp")

ORG_UNITS = {
    "unit_id": pl.Utf8,
    "parent_id": pl.Utf8,
    "name": pl.Utf8,
    "level": pl.Utf8,
}

CASEWORKERS = {
    "caseworker_id": pl.Utf8,
    "name": pl.Utf8,
    "unit_id": pl.Utf8,
    "title": pl.Utf8,
    "start_date": pl.Date,
    "end_date": pl.Date,
    "employment": pl.Utf8,  # optional: tillsvidare | visstid | konsult (docs/interchange.md, issue 16)
}

# How a caseworker is engaged (caseworkers.csv `employment`, optional): a permanent or a
# fixed-term employee of the municipality, or a consultant hired from a staffing company.
EMPLOYMENT_FORMS = ("tillsvidare", "visstid", "konsult")

# The optional staffing table (staffing.csv): how many posts (tjänster) a unit has from
# start_date to end_date (open end: until further notice). Issue 16, docs/interchange.md.
STAFFING = {
    "unit_id": pl.Utf8,
    "start_date": pl.Date,
    "end_date": pl.Date,
    "posts": pl.Int64,
}

# Events after reading: the identity number is gone; `person_key` is the keyed pseudonym.
# `birth_date` is derived from the identity number before pseudonymisation (null for R: numbers).
# `row` is the 1-based data row number in its source file (header = row 1, first data row = 2).
EVENTS = {
    "event_id": pl.Utf8,
    "case_id": pl.Utf8,
    "person_key": pl.Utf8,
    "gender": pl.Utf8,
    "birth_date": pl.Date,
    "event_type": pl.Utf8,
    "date": pl.Date,
    "unit_id": pl.Utf8,
    "caseworker_id": pl.Utf8,
    "ref": pl.Utf8,
    "outcome": pl.Utf8,
    "intervention": pl.Utf8,
    "legal_basis": pl.Utf8,
    "until": pl.Date,
    "source": pl.Utf8,
    "unaccompanied": pl.Boolean,
    "kind": pl.Utf8,  # anmalan rows only: anmalan | ansokan | information (docs/interchange.md)
    "regi": pl.Utf8,  # insats_start rows only: egen | kopt, empty when unknown (issue 16)
    "row": pl.Int64,
}

# One row per obligation; the CLI prints the first eleven columns in this order.
OBLIGATIONS = {
    "case_id": pl.Utf8,
    "rule": pl.Utf8,
    "trigger_event_id": pl.Utf8,
    "trigger_date": pl.Date,
    "due_date": pl.Date,
    "fulfilled_date": pl.Date,
    "status": pl.Utf8,
    "days_late": pl.Int64,
    "extended": pl.Boolean,
    "unit_id": pl.Utf8,
    "caseworker_id": pl.Utf8,
    "fulfilled_event_id": pl.Utf8,
    "person_key": pl.Utf8,
}
OBLIGATION_CSV_COLUMNS = list(OBLIGATIONS)[:11]

STATUSES = ("fulfilled_on_time", "fulfilled_late", "pending", "overdue", "void", "marked")

# An obligation marked by staff as registreringsfel or ej tillämplig (core/marks.py): the
# identity of the obligation it names and the dates it was marked with. Never from the rules
# engine itself; `marks.apply_marks` turns a matching open obligation's status into `marked`.
MARKS = {
    "case_id": pl.Utf8,
    "rule": pl.Utf8,
    "trigger_event_id": pl.Utf8,
    "trigger_date": pl.Date,
    "due_date": pl.Date,
    "kind": pl.Utf8,
}

EVENT_TYPES = (
    "anmalan", "skyddsbedomning", "forhandsbedomning", "utredning_inledd", "utredning_forlangd",
    "utredning_avslutad", "insats_start", "insats_slut", "vardplan", "genomforandeplan", "besok",
    "overvagande", "omprovning", "vardnadsoverflyttning_overvagd", "handlaggare", "arende_avslutat",
    "lvu6_beslut", "lvu6_understallt", "lvu_ansokan", "umgangesbegransning", "umgangesbegransning_overvagd",
    "umgangesbegransning_upphord",
)
OUTCOMES = {
    "skyddsbedomning": ("akut", "ej_akut"),
    "forhandsbedomning": ("inleda", "ej_inleda", "tillfors_utredning"),
    "utredning_avslutad": ("insats", "ingen_insats"),
}
INTERVENTIONS = (
    "oppenvard_intern", "oppenvard_extern", "kontaktperson", "kontaktfamilj",
    "familjehem", "natverkshem", "jourhem", "hvb", "stodboende", "sis",
)
PLACEMENTS = ("familjehem", "natverkshem", "jourhem", "hvb", "stodboende", "sis")
# Who provides an insats (the `regi` of an insats_start row): the municipality's own (egen regi)
# or bought from another provider (köpt: a private HVB, a consulent-supported familjehem, SiS).
REGI = ("egen", "kopt")
LEGAL_BASES = ("SoL", "LVU2", "LVU3", "LVU6")
SOURCES = ("polis", "skola", "forskola", "halso_sjukvard", "socialtjanst", "anhorig", "enskild", "annan")
GENDERS = ("F", "M", "X", "U")
# How the committee learned of the child (the `kind` of an anmalan row; empty means anmalan):
# a report (orosanmälan), an application by the guardian or the young person, other information.
REPORT_KINDS = ("anmalan", "ansokan", "information")
DEFAULT_REPORT_KIND = "anmalan"
# Event types whose `ref` names an insats_start (or, without ref, the only open placement).
PLACEMENT_FOLLOWUPS = (
    "insats_slut", "overvagande", "omprovning", "besok", "vardplan", "genomforandeplan",
    "vardnadsoverflyttning_overvagd", "umgangesbegransning", "umgangesbegransning_overvagd",
    "umgangesbegransning_upphord",
)


def empty(schema: dict) -> pl.DataFrame:
    """An empty frame with the given column contract."""
    return pl.DataFrame(schema=schema)


def conform(df: pl.DataFrame, schema: dict) -> pl.DataFrame:
    """Select and cast to a contract, adding missing columns as nulls."""
    return df.select(
        [
            (pl.col(c) if c in df.columns else pl.lit(None)).cast(t).alias(c)
            for c, t in schema.items()
        ]
    )

# A rejected input row: never stops the good rows. `value` is masked for identity numbers.
REJECTS = {
    "file": pl.Utf8,
    "row": pl.Int64,
    "event_id": pl.Utf8,
    "column": pl.Utf8,
    "value": pl.Utf8,
    "reason": pl.Utf8,
}

# How many people live in an area (an org unit, usually a district) on 31 December of a year, by
# age (age_from = age_to) or age band, and optionally gender (null = everyone): the denominator
# of the figures per 1,000 children (issue 16; interchange file population.csv, docs/interchange.md).
POPULATION = {
    "unit_id": pl.Utf8,
    "year": pl.Int32,
    "age_from": pl.Int32,
    "age_to": pl.Int32,
    "gender": pl.Utf8,
    "count": pl.Int64,
}
