"""From reports to cases: decisions, investigations, interventions — and the workload they make.

Why this shape: workload drives delay (seeds 000–003), and delay drives workload (a case that
waits stays open longer). So every report is given, once, the random draws for the case it would
open; a timeline is then computed from those draws and a delay multiplier per group and day;
reports that arrive while the child's case is open join that case instead of opening one; the
open cases give each group's caseload per day; and the multiplier is recomputed from the caseload
against the staff's capacity. Two rounds of that settle the feedback. Everything is whole-array
numpy; the only loops run over the rank of a report within its child's reports (a handful).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from egenkontroll.core.synth import params as P
from egenkontroll.core.synth import workdays as W
from egenkontroll.core.synth.population import YEAR, Population

OPEN = 1 << 40  # close date of a case still open after the horizon
SOL, LVU2, LVU3, LVU6 = range(4)
FAMILJEHEM, NATVERKSHEM, JOURHEM, HVB, STODBOENDE, SIS = range(4, 10)
FV_TYPES = (FAMILJEHEM, NATVERKSHEM, JOURHEM)
EJ_INLEDA, INLEDA, TILLFORS = range(3)


@dataclass
class Draws:
    """The random parts of the case each report would open, drawn once per report."""

    fhb: np.ndarray
    u_inleda: np.ndarray
    u_tillfors: np.ndarray
    inv: np.ndarray
    u_ext: np.ndarray
    ext_before: np.ndarray
    u_insats: np.ndarray
    u_place: np.ndarray
    u_ptype: np.ndarray
    np_type: np.ndarray
    np_len: np.ndarray
    u_lvu6: np.ndarray
    u_lvu: np.ndarray
    u_lvu3: np.ndarray
    u_chain: np.ndarray
    u_to18: np.ndarray
    len0: np.ndarray
    len1: np.ndarray
    lvu6_lag: np.ndarray
    lvu6_len: np.ndarray
    start_lag: np.ndarray
    close_small: np.ndarray
    close_lag: np.ndarray
    u_spill: np.ndarray
    u_chain_type: np.ndarray
    u_jour_early: np.ndarray
    jour_after: np.ndarray


def draw(rngs: tuple[np.random.Generator, ...], pop: Population) -> Draws:
    """Draws per report, each block of the population from its own stream (see population.py)."""
    parts = [_draw_block(rng, pop, np.flatnonzero(pop.r_block == b)) for b, rng in enumerate(rngs)]
    fields = {}
    for name in Draws.__dataclass_fields__:
        column = np.empty(pop.r_date.size, dtype=parts[0][name].dtype)
        for b, part in enumerate(parts):
            column[pop.r_block == b] = part[name]
        fields[name] = column
    return Draws(**fields)


def _draw_block(rng: np.random.Generator, pop: Population, idx: np.ndarray) -> dict:
    n = idx.size
    unacc = pop.p_unaccompanied[pop.r_person[idx]]

    def lognormal(median, sigma):
        return median * np.exp(sigma * rng.standard_normal(n))

    def u():
        return rng.random(n)

    return dict(
        fhb=lognormal(np.where(unacc, P.FHB_MEDIAN_UNACCOMPANIED, P.FHB_MEDIAN_DAYS), P.FHB_SIGMA),
        u_inleda=u(), u_tillfors=u(),
        inv=lognormal(np.where(unacc, P.INV_MEDIAN_UNACCOMPANIED, P.INV_MEDIAN_DAYS), P.INV_SIGMA),
        u_ext=u(), ext_before=rng.integers(0, 21, n), u_insats=u(), u_place=u(), u_ptype=u(),
        np_type=rng.choice(len(P.NON_PLACEMENTS), n, p=np.asarray(P.NON_PLACEMENT_WEIGHTS)),
        np_len=lognormal(P.NON_PLACEMENT_MEDIAN_DAYS, 0.6),
        u_lvu6=u(), u_lvu=u(), u_lvu3=u(), u_chain=u(), u_to18=u(),
        len0=rng.standard_normal(n), len1=rng.standard_normal(n),
        lvu6_lag=rng.integers(0, 8, n), lvu6_len=rng.integers(20, 46, n), start_lag=rng.integers(0, 22, n),
        close_small=rng.integers(0, 3, n), close_lag=rng.integers(0, 21, n), u_spill=u(), u_chain_type=u(),
        # drawn last, so that every draw above is the same as before they were added
        u_jour_early=u(), jour_after=lognormal(P.JOURHEM_AFTER_MEDIAN_DAYS, P.JOURHEM_AFTER_SIGMA),
    )


@dataclass
class Timeline:
    """Per report: the case it would open. Interventions: column 0 first, column 1 the follow-on."""

    t0: np.ndarray
    dist: np.ndarray
    unacc: np.ndarray
    birth: np.ndarray
    mot_kind: np.ndarray
    inv_kind: np.ndarray
    f: np.ndarray
    inleda: np.ndarray
    i1: np.ndarray
    ext: np.ndarray
    ext_date: np.ndarray
    until: np.ndarray
    insats: np.ndarray
    ins_valid: np.ndarray  # (n, 2)
    ins_type: np.ndarray
    ins_basis: np.ndarray
    ins_start: np.ndarray
    ins_end: np.ndarray
    fv_start: np.ndarray
    close: np.ndarray


class Grid:
    """A value per (district × kind, day of the horizon), looked up by arrays."""

    def __init__(self, values: np.ndarray, h0: int):
        self.values, self.h0 = values, h0

    def at(self, dk: np.ndarray, day: np.ndarray) -> np.ndarray:
        t = np.clip(np.asarray(day) - self.h0, 0, self.values.shape[1] - 1)
        return self.values[dk, t]


def timeline(d: Draws, pop: Population, mult: Grid, spill: Grid) -> Timeline:
    person = pop.r_person
    t0 = pop.r_date
    dist = pop.p_district[person]
    unacc = pop.p_unaccompanied[person]
    birth = pop.p_birth[person]
    spilled = unacc & (d.u_spill < spill.at(dist * 5 + P.EKB, t0))
    mot_kind = np.where(unacc & ~spilled, P.EKB, P.MOT)
    f = W.roll_forward(t0 + np.ceil(d.fhb * mult.at(dist * 5 + mot_kind, t0)).astype(np.int64))
    inleda = d.u_inleda < np.where(unacc, P.P_INLEDA_UNACCOMPANIED, P.P_INLEDA_FIRST)
    young = (f - birth) / YEAR < P.UB_MAX_AGE + 1
    inv_kind = np.where(unacc, np.where(spilled, P.UU, P.EKB), np.where(young, P.UB, P.UU))
    m_inv = mult.at(dist * 5 + inv_kind, f)
    i1 = W.roll_forward(f + np.ceil(d.inv * m_inv).astype(np.int64))
    due = W.statutory_due(f, months=4)
    ext = inleda & (i1 > due) & (d.u_ext * m_inv < P.P_EXTENSION)
    ext_date = W.roll_backward(np.maximum(due - d.ext_before, f + 60))
    insats = inleda & (d.u_insats < np.where(unacc, P.P_INSATS_UNACCOMPANIED, P.P_INSATS))
    tl = Timeline(t0, dist, unacc, birth, mot_kind, inv_kind, f, inleda, i1, ext, ext_date,
                  W.add_months(f, 6), insats, *_interventions(d, f, i1, insats, unacc, birth), None, None)
    tl.fv_start = _fv_start(tl)
    tl.close = _close(d, tl)
    return tl


def _interventions(d: Draws, i0, i1, insats, unacc, birth) -> tuple:
    n = i0.size
    place = insats & (unacc | (d.u_place < P.P_PLACEMENT))
    lvu6 = place & ~unacc & (d.u_lvu6 < P.LVU6_SHARE)
    youth = (i1 - birth) / YEAR >= 13
    weights = np.where(unacc[:, None], np.asarray(P.PLACEMENT_WEIGHTS_UNACCOMPANIED)[None, :],
                       np.where(youth[:, None], np.asarray(P.PLACEMENT_WEIGHTS_YOUTH)[None, :],
                                np.asarray(P.PLACEMENT_WEIGHTS_CHILD)[None, :]))
    cdf = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    ptype = FAMILJEHEM + np.minimum((d.u_ptype[:, None] > cdf).sum(axis=1), 5)
    type0 = np.where(place, np.where(lvu6, np.where(youth, HVB, JOURHEM), ptype), d.np_type)
    basis0 = np.where(lvu6, LVU6, _basis(d.u_lvu, d.u_lvu3, youth, type0, unacc | ~place))
    # An emergency jourhem placement during the investigation, ending some weeks after it
    # (SoL 6 kap. 6 §: at most two months after the conclusion, some stay longer).
    early_jour = place & ~lvu6 & (type0 == JOURHEM) & (d.u_jour_early < P.JOURHEM_DURING_INVESTIGATION)
    start0 = np.where(lvu6, i0 + d.lvu6_lag,
                      np.where(early_jour, i0 + np.minimum(d.start_lag, np.maximum(i1 - i0 - 1, 0)), i1 + d.start_lag))
    basis0 = np.where((basis0 == LVU2) & ((start0 - birth) / YEAR >= 17.5), SOL, basis0)
    raw0 = np.where(place, _placement_length(type0, d.len0), d.np_len)
    end0 = np.where(lvu6, start0 + d.lvu6_len, start0 + np.ceil(raw0).astype(np.int64))
    end0 = np.where(early_jour, i1 + np.ceil(d.jour_after).astype(np.int64), end0)
    end0 = np.maximum(start0 + 14, np.minimum(end0, _age_cap(basis0, d.u_to18, birth)))
    chain_lvu6 = lvu6 & (d.u_chain < 0.8)
    chain_jour = place & ~lvu6 & (type0 == JOURHEM) & (d.u_chain < P.FOLLOWED_BY_FAMILJEHEM)
    type1 = np.where(chain_lvu6 & youth, np.where(d.u_chain_type < 0.3, SIS, HVB), FAMILJEHEM)
    basis1 = np.where(chain_lvu6, _basis(np.zeros(n), d.u_lvu3, youth, type1, np.zeros(n, bool)), basis0)
    basis1 = np.where((basis1 == LVU2) & ((end0 - birth) / YEAR >= 17.5), SOL, basis1)
    end1 = end0 + np.ceil(_placement_length(type1, d.len1)).astype(np.int64)
    end1 = np.minimum(end1, _age_cap(basis1, d.u_to18, birth))
    valid = np.stack([insats, (chain_lvu6 | chain_jour) & (end1 > end0 + 14)], axis=1)
    return (valid, np.stack([type0, type1], axis=1), np.stack([basis0, basis1], axis=1),
            np.stack([start0, end0], axis=1), np.stack([end0, end1], axis=1))


def _age_cap(basis, u_to18, birth) -> np.ndarray:
    """Care ends by 18 under LVU 2 § and for most SoL placements, by 21 otherwise."""
    years = np.where((basis == LVU2) | (basis == LVU6) | (u_to18 < 0.7), 18, 21)
    return birth + np.round(years * YEAR).astype(np.int64)


def _basis(u_lvu, u_lvu3, youth, itype, voluntary) -> np.ndarray:
    lvu = (u_lvu < P.LVU_SHARE) | (itype == SIS)
    lvu3 = (itype == SIS) | (youth & (u_lvu3 < P.LVU3_SHARE_YOUTH))
    return np.where(voluntary | ~lvu, SOL, np.where(lvu3 & youth, LVU3, LVU2))


def _placement_length(itype: np.ndarray, z: np.ndarray) -> np.ndarray:
    k = np.clip(itype - FAMILJEHEM, 0, 5)
    return np.asarray(P.PLACEMENT_MEDIAN_DAYS)[k] * np.exp(np.asarray(P.PLACEMENT_SIGMA)[k] * z)


def _fv_start(tl: Timeline) -> np.ndarray:
    is_fv = tl.ins_valid & np.isin(tl.ins_type, FV_TYPES)
    return np.where(is_fv, tl.ins_start, OPEN).min(axis=1)


def _close(d: Draws, tl: Timeline) -> np.ndarray:
    last_end = np.where(tl.ins_valid, tl.ins_end, 0).max(axis=1)
    close = np.where(~tl.inleda, tl.f + d.close_small,
                     np.where(~tl.insats, tl.i1 + d.close_small * 2, last_end + d.close_lag))
    return W.roll_forward(close)


# ---------------------------------------------------------------- reports join open cases


def merge(pop: Population, tl: Timeline, h1: int) -> np.ndarray:
    """The opening report of each report's case (itself when it opens a new case)."""
    person = pop.r_person
    n = person.size
    first = np.r_[True, person[1:] != person[:-1]] if n else np.zeros(0, bool)
    rank = np.arange(n) - np.maximum.accumulate(np.where(first, np.arange(n), 0))
    close = np.where(tl.close > h1, OPEN, tl.close)
    case_of = np.arange(n)
    cur_case = np.full(pop.p_birth.size, -1)
    cur_close = np.full(pop.p_birth.size, -1, dtype=np.int64)
    order = np.argsort(rank, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(rank))] if n else np.zeros(1, np.int64)
    for k in range(bounds.size - 1):
        idx = order[bounds[k]:bounds[k + 1]]
        p = person[idx]
        joins = tl.t0[idx] <= cur_close[p]
        case_of[idx[joins]] = cur_case[p[joins]]
        opens = idx[~joins]
        cur_case[person[opens]] = opens
        cur_close[person[opens]] = close[opens]
    return case_of


@dataclass
class Extras:
    """Reports joining an open case: their decision date and outcome; the phase they fall in."""

    index: np.ndarray  # report index
    case: np.ndarray  # opening report index
    fhb_date: np.ndarray
    outcome: np.ndarray


def extras(d: Draws, tl: Timeline, case_of: np.ndarray, mult: Grid) -> Extras:
    idx = np.flatnonzero(case_of != np.arange(case_of.size))
    c = case_of[idx]
    t = tl.t0[idx]
    in_mot = t <= tl.f[c]
    in_inv = ~in_mot & tl.inleda[c] & (t < tl.i1[c])
    kind = np.where(in_mot, tl.mot_kind[c], np.where(t >= tl.fv_start[c], P.FV, tl.inv_kind[c]))
    m = mult.at(tl.dist[c] * 5 + kind, t)
    date = W.roll_forward(t + np.ceil(d.fhb[idx] * m * np.where(in_inv, 0.6, 1.0)).astype(np.int64))
    date = np.where(in_mot, np.maximum(date, tl.f[c]), date)
    outcome = np.where(in_mot, np.where(tl.inleda[c], TILLFORS, EJ_INLEDA),
                       np.where(in_inv & (d.u_tillfors[idx] < P.P_TILLFORS), TILLFORS, EJ_INLEDA))
    return Extras(idx, c, date, outcome)


# ---------------------------------------------------------------- caseload


@dataclass
class Stints:
    """Periods in which one group kind is responsible for a case (case = opening report)."""

    case: np.ndarray
    phase: np.ndarray  # 0 mottagning, 1 utredning (and interventions kept there), 2 familjevård
    dk: np.ndarray
    start: np.ndarray
    end: np.ndarray


def stints(tl: Timeline, openers: np.ndarray, h1: int) -> Stints:
    c = openers
    close = np.minimum(tl.close[c], h1)
    inv = c[tl.inleda[c]]
    fv = c[tl.fv_start[c] <= h1]
    parts = [
        (c, 0, tl.mot_kind[c], tl.t0[c], np.minimum(tl.f[c], close)),
        (inv, 1, tl.inv_kind[inv], tl.f[inv], np.minimum(np.minimum(tl.fv_start[inv], tl.close[inv]), h1)),
        (fv, 2, np.full(fv.size, P.FV), tl.fv_start[fv], np.minimum(tl.close[fv], h1)),
    ]
    case = np.concatenate([p[0] for p in parts])
    return Stints(
        case=case, phase=np.concatenate([np.full(p[0].size, p[1]) for p in parts]),
        dk=tl.dist[case] * 5 + np.concatenate([p[2] for p in parts]),
        start=np.concatenate([p[3] for p in parts]), end=np.concatenate([p[4] for p in parts]),
    )


def caseload(s: Stints, n_dk: int, h0: int, h1: int, mask: np.ndarray | None = None) -> np.ndarray:
    """Open cases per (district × kind, day)."""
    span = h1 - h0 + 1
    keep = (s.end >= s.start) & (s.end >= h0) if mask is None else (s.end >= s.start) & (s.end >= h0) & mask
    first = np.clip(s.start[keep] - h0, 0, span)
    after = np.clip(s.end[keep] - h0 + 1, 0, span)
    width = span + 1
    diff = np.bincount(s.dk[keep] * width + first, minlength=n_dk * width)
    diff -= np.bincount(s.dk[keep] * width + after, minlength=n_dk * width)
    return np.cumsum(diff.reshape(n_dk, width), axis=1)[:, :span]


def multipliers(load: np.ndarray, capacity: np.ndarray, h0: int) -> tuple[Grid, Grid]:
    """Delay multiplier per group kind and day, and the share of unaccompanied cases spilling over."""
    ratio = np.minimum(load / capacity, P.MAX_LOAD_RATIO)
    alpha = np.tile(np.asarray(P.ALPHA), load.shape[0] // 5)[:, None]
    beta = np.tile(np.asarray(P.BETA), load.shape[0] // 5)[:, None]
    over = np.maximum(ratio - 1.0, 0.0)
    mult = 1.0 + alpha * over + beta * over**2
    spill = np.clip((ratio - P.SPILL_FROM) * 0.5, 0.0, P.SPILL_MAX)
    spill_by_dk = np.repeat(spill[P.EKB::5], 5, axis=0)
    return Grid(mult.astype(np.float32), h0), Grid(spill_by_dk.astype(np.float32), h0)


def neutral(n_dk: int, h0: int, h1: int) -> tuple[Grid, Grid]:
    span = h1 - h0 + 1
    return Grid(np.ones((n_dk, span), np.float32), h0), Grid(np.zeros((n_dk, span), np.float32), h0)
