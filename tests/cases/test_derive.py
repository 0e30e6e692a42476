"""From interchange frames to stored rows: hashes, org levels, persons, cases, obligations."""

from __future__ import annotations

import datetime as dt
import hashlib

import polars as pl

from egenkontroll.cases import derive
from egenkontroll.core.schema import OBLIGATIONS, ORG_UNITS, conform
from tests.core.eventtable import d, events


def test_content_hash_is_blake2b_of_the_canonical_text_without_the_row_number():
    frame = events(("e1", "C1", "anmalan", "2024-01-08", {"source": "skola", "person_key": "pk1"}))
    text = "\u241f".join(
        ["e1", "C1", "pk1", "F", "2015-03-12", "anmalan", "2024-01-08", "G1", "H1"]
        + ["\u2400"] * 5 + ["skola", "false"]
    )
    expected = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    assert derive.content_hashes(frame).to_list() == [expected]
    moved = frame.with_columns(pl.lit(99, pl.Int64).alias("row"))
    assert derive.content_hashes(moved).to_list() == [expected]
    changed = frame.with_columns(pl.lit("polis").alias("source"))
    assert derive.content_hashes(changed).to_list() != [expected]


def test_the_default_kind_keeps_the_digest_stored_before_kind_existed():
    """Issue 11 added `kind`: an anmälan (empty or `anmalan`) hashes as before, so a re-import after
    the upgrade finds nothing changed; an ansökan is different content."""
    frame = events(("e1", "C1", "anmalan", "2024-01-08", {"source": "skola", "person_key": "pk1"}))
    text = "\u241f".join(
        ["e1", "C1", "pk1", "F", "2015-03-12", "anmalan", "2024-01-08", "G1", "H1"]
        + ["\u2400"] * 5 + ["skola", "false"]
    )
    before = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    as_anmalan = frame.with_columns(pl.lit("anmalan").alias("kind"))
    as_ansokan = frame.with_columns(pl.lit("ansokan").alias("kind"))
    assert derive.content_hashes(frame).to_list() == derive.content_hashes(as_anmalan).to_list() == [before]
    assert derive.content_hashes(as_ansokan).to_list() != [before]


def test_an_insats_without_regi_keeps_the_digest_stored_before_regi_existed():
    """Issue 16 added `regi`: an insats_start that does not say it hashes as before; one that
    says egen or kopt is different content (a re-import that adds the regi updates the event)."""
    frame = events(("s1", "C1", "insats_start", "2024-01-08",
                    {"intervention": "hvb", "legal_basis": "SoL", "person_key": "pk1"}))
    text = "\u241f".join(
        ["s1", "C1", "pk1", "F", "2015-03-12", "insats_start", "2024-01-08", "G1", "H1"]
        + ["\u2400"] * 2 + ["hvb", "SoL"] + ["\u2400"] * 2 + ["false"]
    )
    before = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    egen = frame.with_columns(pl.lit("egen").alias("regi"))
    kopt = frame.with_columns(pl.lit("kopt").alias("regi"))
    assert derive.content_hashes(frame).to_list() == [before]
    assert len({before, *derive.content_hashes(egen), *derive.content_hashes(kopt)}) == 3


def test_org_units_carry_every_ancestor_by_level():
    units = conform(
        pl.DataFrame(
            {
                "unit_id": ["S", "F1", "E9", "G1"],
                "parent_id": [None, "S", "F1", "E9"],
                "name": ["Stad", "Förvaltning", "Enhet direkt under förvaltningen", "Grupp"],
                "level": ["stad", "forvaltning", "enhet", "grupp"],
            }
        ),
        ORG_UNITS,
    )
    rows = {r["unit_id"]: r for r in derive.org_unit_rows(units).to_dicts()}
    assert rows["G1"] == {
        "unit_id": "G1", "parent_id": "E9", "name": "Grupp", "level": "grupp", "depth": 3,
        "stad_id": "S", "forvaltning_id": "F1", "avdelning_id": None, "enhet_id": "E9", "grupp_id": "G1",
    }
    assert (rows["S"]["depth"], rows["S"]["stad_id"], rows["S"]["forvaltning_id"]) == (0, "S", None)


def test_person_keeps_latest_gender_birth_month_and_any_unaccompanied():
    frame = events(
        ("e1", "C1", "anmalan", "2024-01-08", {"person_key": "p", "gender": "U", "unaccompanied": True}),
        ("e2", "C2", "anmalan", "2024-03-01", {"person_key": "p", "gender": "M", "birth_date": "2010-11-30"}),
    )
    assert derive.person_rows(frame).to_dicts() == [
        {"person_key": "p", "gender": "M", "birth_year": 2015, "birth_month": 3, "unaccompanied": True}
    ]


def test_case_is_closed_only_when_nothing_follows_the_closure():
    frame = events(
        ("a1", "C1", "anmalan", "2024-01-08"),
        ("a2", "C1", "arende_avslutat", "2024-02-01"),
        ("b1", "C2", "anmalan", "2024-01-08", {"caseworker_id": "H2"}),
        ("b2", "C2", "arende_avslutat", "2024-02-01"),
        ("b3", "C2", "anmalan", "2024-03-05", {"unit_id": "G2", "caseworker_id": None}),
    )
    rows = {r["case_id"]: r for r in derive.case_rows(frame).to_dicts()}
    assert rows["C1"]["closed_date"] == dt.date(2024, 2, 1)
    assert rows["C2"] == {
        "case_id": "C2", "person_key": "p-C2", "unit_id": "G2", "caseworker_id": "H1",
        "first_date": dt.date(2024, 1, 8), "last_date": dt.date(2024, 3, 5), "closed_date": None,
        "event_count": 3,
    }


def test_open_obligations_are_stored_as_open_without_days_late():
    frame = conform(
        pl.DataFrame(
            {
                "case_id": ["C1", "C1", "C2"],
                "rule": ["forhandsbedomning_14d"] * 3,
                "status": ["overdue", "fulfilled_late", "pending"],
                "days_late": [12, 3, None],
                "due_date": [d("2024-01-22")] * 3,
                "extended": [None, False, False],
            }
        ),
        OBLIGATIONS,
    )
    stored = derive.obligation_rows(frame).select("status", "days_late", "extended").rows()
    assert stored == [("open", None, False), ("fulfilled_late", 3, False), ("open", None, False)]
