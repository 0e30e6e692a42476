"""Assemble a batch's event blocks into the events table of interchange v1.

Why separate from events.py: building rows and naming them are different concerns. Here each
event gets its unit and main caseworker (from the stint it belongs to and the handovers in it),
events after the horizon and events whose reference fell outside it are dropped, rows are put in
a stable order (district, date, case, a natural same-day order) and get their ids — a handover to
a vacant post is no handover and is left out — and integer
codes become the strings of the vocabulary — all as whole-column operations.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from egenkontroll.core import schema
from egenkontroll.core.synth import cases as C
from egenkontroll.core.synth import events as E
from egenkontroll.core.synth import identity as I
from egenkontroll.core.synth import staff as S
from egenkontroll.core.synth.org import District
from egenkontroll.core.synth.population import Population

EVENT_COLUMNS = ("event_id", "case_id", "person", "gender", "event_type", "date", "unit_id", "caseworker_id",
                 "ref", "outcome", "intervention", "legal_basis", "until", "source", "unaccompanied", "kind",
                 "regi")
_BASES = ("SoL", "LVU2", "LVU3", "LVU6")


def events_frame(b: E.Blocks, parts: dict, pop: Population, tl: C.Timeline, staff: S.Staff,
                 districts: list[District], alloc: I.IdentityAllocator, h1: int) -> pl.DataFrame:
    col = {key: b.array(key) for key in b.cols}
    group, occupant = _who(col, parts, tl)
    keep = (col["date"] <= h1) & ~((col["type"] == E.T["handlaggare"]) & (occupant < 0))
    keep &= (col["ref"] < 0) | keep[np.maximum(col["ref"], 0)]
    order = np.flatnonzero(keep)
    dist = tl.dist[col["case"][order]]
    order = order[np.lexsort((order, E.RANK[col["type"][order]], col["case"][order], col["date"][order], dist))]
    position = np.full(keep.size, -1)
    position[order] = np.arange(order.size)
    dist = tl.dist[col["case"][order]]
    seq = np.arange(order.size) - np.searchsorted(dist, dist)
    codes = pl.Series([d.code for d in districts])
    ref = col["ref"][order]
    ref_pos = np.where(ref >= 0, position[np.maximum(ref, 0)], -1)
    case_label = _case_labels(col["case"][order], tl, districts)
    people = _people(pop, alloc, pop.r_person[col["case"][order]])
    frame = pl.DataFrame({
        "dist": dist, "seq": seq, "ref_dist": np.where(ref_pos >= 0, dist[np.maximum(ref_pos, 0)], 0),
        "ref_seq": np.where(ref_pos >= 0, seq[np.maximum(ref_pos, 0)], -1),
    })
    return pl.DataFrame({
        "event_id": _ids(codes, frame["dist"], frame["seq"]),
        "case_id": case_label,
        "person": people["person"],
        "gender": people["gender"],
        "event_type": _lookup(schema.EVENT_TYPES, col["type"][order]),
        "date": pl.Series(col["date"][order]).cast(pl.Int32).cast(pl.Date),
        "unit_id": _lookup(staff.group_unit, group[order]),
        "caseworker_id": _lookup([r["caseworker_id"] for r in staff.caseworker_rows], occupant[order]),
        "ref": _ids(codes, frame["ref_dist"], frame["ref_seq"]),
        "outcome": _lookup(E.OUTCOMES, col["outcome"][order]),
        "intervention": _lookup(schema.INTERVENTIONS, col["intervention"][order]),
        "legal_basis": _lookup(_BASES, col["basis"][order]),
        "until": pl.Series(np.where(col["until"][order] >= 0, col["until"][order], 0)).cast(pl.Int32)
        .cast(pl.Date).set(pl.Series(col["until"][order] < 0), None),
        "source": _lookup(schema.SOURCES, col["source"][order]),
        "unaccompanied": people["unaccompanied"],
        "kind": _lookup(schema.REPORT_KINDS, col["kind"][order]),
        "regi": _lookup(schema.REGI, col["regi"][order]),
    })


def _who(col: dict, parts: dict, tl: C.Timeline) -> tuple[np.ndarray, np.ndarray]:
    """Group and main caseworker of each event: its stint, and the handover in force that day."""
    st, seg = parts["stints"], parts["segments"]
    case, date, phase = col["case"], col["date"], col["phase"].copy()
    auto = phase < 0
    fv = tl.fv_start[case] <= date
    inv = tl.inleda[case] & (date >= tl.f[case])
    phase[auto] = np.where(fv, 2, np.where(inv, 1, 0))[auto]
    stint_of = np.full((3, tl.t0.size), -1)
    stint_of[st.phase, st.case] = np.arange(st.case.size)
    s = stint_of[phase, case]
    since = seg.since[s, 1:]
    k = ((since != S.NONE) & (since <= date[:, None])).sum(axis=1)
    occupant = np.where(col["occupant"] >= 0, col["occupant"], seg.occupant[s, k])
    return seg.group[s, k], occupant


def _lookup(labels, codes: np.ndarray) -> pl.Series:
    """Labels by integer code; -1 gives null."""
    idx = pl.Series(np.asarray(codes, dtype=np.int64))
    idx = idx.set(idx < 0, None) if idx.len() else idx
    return pl.Series(list(labels), dtype=pl.Utf8).gather(idx)


def _ids(codes: pl.Series, dist: pl.Series, seq: pl.Series) -> pl.Series:
    frame = pl.DataFrame({"code": codes.gather(dist), "seq": seq})
    return frame.select(
        pl.when(pl.col("seq") >= 0)
        .then(pl.concat_str([pl.col("code"), pl.lit("-E"), pl.col("seq").cast(pl.Utf8).str.zfill(7)]))
        .alias("id")
    ).to_series()


def _case_labels(case: np.ndarray, tl: C.Timeline, districts: list[District]) -> pl.Series:
    """`{district}-A{n:06d}`, numbered per district in order of the case's first report."""
    unique = np.unique(case)
    order = np.lexsort((unique, tl.t0[unique], tl.dist[unique]))
    ranked = unique[order]
    dist = tl.dist[ranked]
    seq = np.arange(ranked.size) - np.searchsorted(dist, dist) + 1
    codes = pl.Series([d.code for d in districts])
    labels = pl.DataFrame({"code": codes.gather(dist), "seq": seq}).select(
        pl.concat_str([pl.col("code"), pl.lit("-A"), pl.col("seq").cast(pl.Utf8).str.zfill(6)])
    ).to_series()
    where = np.searchsorted(unique, case)
    rank_of = np.empty(unique.size, np.int64)
    rank_of[order] = np.arange(unique.size)
    return labels.gather(rank_of[where])


def _people(pop: Population, alloc: I.IdentityAllocator, person: np.ndarray) -> dict:
    """Identity number, gender and unaccompanied flag per event, numbers allocated per child."""
    unique, where = np.unique(person, return_inverse=True)
    kind = pop.p_id_kind[unique]
    birth, serial = alloc.allocate(pop.p_birth[unique], pop.p_male[unique].astype(np.int64), kind)
    reserve = np.zeros(unique.size, np.int64)
    is_reserve = kind == I.RESERVE
    reserve[is_reserve] = alloc.reserve_numbers(int(is_reserve.sum()))
    numbers = I.format_numbers(birth, serial, kind, reserve)
    gender = pl.Series(np.where(pop.p_male[unique], "M", "F"))
    unacc = pl.Series(np.where(pop.p_unaccompanied[unique], "1", ""), dtype=pl.Utf8)
    unacc = unacc.set(unacc == "", None)
    w = pl.Series(where)
    return {"person": numbers.gather(w), "gender": gender.gather(w), "unaccompanied": unacc.gather(w)}
