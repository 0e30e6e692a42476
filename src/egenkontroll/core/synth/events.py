"""Turn the settled case timelines of a batch into interchange-v1 event rows.

Why a separate step: the feedback rounds in cases.py only need dates that shape caseload; the
events file needs everything a case system records — protection assessments, care and
implementation plans, visits, 6-monthly reviews, custody considerations, caseworker handovers —
with `ref` links, units and caseworkers. Each kind of event is built as one block of arrays;
follow-up chains (visits every ~3 months, reviews every ~6) are expanded with np.repeat and their
gaps stretched by the responsible group's delay multiplier, so misses rise with workload.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from egenkontroll.core import schema
from egenkontroll.core.synth import cases as C
from egenkontroll.core.synth import params as P
from egenkontroll.core.synth import staff as S
from egenkontroll.core.synth import workdays as W
from egenkontroll.core.synth.population import YEAR, Population

T = {name: i for i, name in enumerate(schema.EVENT_TYPES)}
_ORDER = ("anmalan", "skyddsbedomning", "forhandsbedomning", "handlaggare", "utredning_inledd",
          "lvu6_beslut", "utredning_forlangd", "lvu_ansokan", "utredning_avslutad", "vardplan", "insats_start",
          "lvu6_understallt", "genomforandeplan", "umgangesbegransning", "besok", "overvagande", "omprovning",
          "umgangesbegransning_overvagd", "vardnadsoverflyttning_overvagd", "umgangesbegransning_upphord",
          "insats_slut", "arende_avslutat")
RANK = np.array([_ORDER.index(t) for t in schema.EVENT_TYPES])
OUTCOMES = ("inleda", "ej_inleda", "tillfors_utredning", "akut", "ej_akut", "insats", "ingen_insats")
OUTCOME = {name: i for i, name in enumerate(OUTCOMES)}
REPORT_KIND = {name: i for i, name in enumerate(schema.REPORT_KINDS)}
_FHB_OUTCOME = np.array([OUTCOME["ej_inleda"], OUTCOME["inleda"], OUTCOME["tillfors_utredning"]])  # by C.EJ_INLEDA..
AUTO = -1


@dataclass
class Blocks:
    """Event columns collected block by block; `local` index = position in the concatenation."""

    cols: dict[str, list[np.ndarray]] = field(default_factory=dict)
    size: int = 0

    def add(self, case, etype, date, *, phase=AUTO, ref=None, outcome=None, intervention=None,
            basis=None, until=None, source=None, occupant=None, kind=None, regi=None) -> np.ndarray:
        n = case.size
        values = {"case": case, "type": np.full(n, T[etype]), "date": date, "phase": phase, "ref": ref,
                  "outcome": outcome, "intervention": intervention, "basis": basis, "until": until,
                  "source": source, "occupant": occupant, "kind": kind, "regi": regi}
        for key, value in values.items():
            arr = np.full(n, -1, np.int64) if value is None else np.broadcast_to(np.asarray(value, np.int64), (n,))
            self.cols.setdefault(key, []).append(arr)
        local = np.arange(self.size, self.size + n)
        self.size += n
        return local

    def array(self, key: str) -> np.ndarray:
        return np.concatenate(self.cols[key]) if self.cols else np.zeros(0, np.int64)


def build(rng: np.random.Generator, pop: Population, tl: C.Timeline, case_of: np.ndarray,
          ex: C.Extras, staff: S.Staff, mult: C.Grid, h0: int, h1: int, p0: int,
          law_rng: np.random.Generator | None = None,
          regi_rng: np.random.Generator | None = None) -> tuple[Blocks, dict]:
    """All events of the cases still open on or after the period start `p0`.

    `law_rng` draws what issue 11 added (the kind of each report, the LVU events) from its own
    stream, so that every earlier draw of `rng` stays what it was; `regi_rng` likewise draws
    whether each placement is the municipality's own or bought (issue 16).
    """
    law_rng = law_rng if law_rng is not None else np.random.default_rng(0)
    regi_rng = regi_rng if regi_rng is not None else np.random.default_rng(1)
    openers = np.flatnonzero(case_of == np.arange(case_of.size))
    close = tl.close.copy()
    np.maximum.at(close, ex.case, np.where(close[ex.case] > h1, close[ex.case], ex.fhb_date))
    keep_case = np.zeros(case_of.size, bool)
    keep_case[openers] = close[openers] >= p0
    kept = openers[keep_case[openers]]
    tl.close = close
    b = Blocks()
    _reports(rng, b, pop, tl, ex, keep_case, law_rng)
    _investigation(b, tl, kept)
    _interventions(rng, b, tl, kept, mult, h1, law_rng, regi_rng)
    st = C.stints(tl, kept, h1)
    seg = S.segments(staff, rng, st.dk, st.start, st.end, h0, h1)
    _handovers(b, st, seg, h1)
    _closures(b, close, kept, h1)
    return b, {"stints": st, "segments": seg}


def _reports(rng, b: Blocks, pop, tl, ex, keep_case, law_rng) -> None:
    """anmalan, skyddsbedomning and forhandsbedomning for every report of a kept case.

    A report is an anmälan, an ansökan (by the guardian or the young person: no skyddsbedömning,
    no förhandsbedömning, the investigation opens directly) or other information.
    """
    case = np.arange(pop.r_date.size)
    case[ex.index] = ex.case
    kept = np.flatnonzero(keep_case[case])
    opener = case[kept] == kept
    u_kind = law_rng.random(kept.size)
    kind = np.where(u_kind < P.P_ANSOKAN, REPORT_KIND["ansokan"],
                    np.where(u_kind < P.P_ANSOKAN + P.P_INFORMATION, REPORT_KIND["information"], REPORT_KIND["anmalan"]))
    ansokan = kind == REPORT_KIND["ansokan"]
    source = np.where(ansokan, schema.SOURCES.index("enskild"), pop.r_source[kept])
    anm = b.add(case[kept], "anmalan", pop.r_date[kept], phase=np.where(opener, 0, AUTO),
                source=source, kind=kind)
    has = (rng.random(kept.size) < P.SKYDD_SHARE) & ~ansokan
    akut = rng.random(kept.size) < P.SKYDD_AKUT
    delay = np.where(akut, 0, rng.choice([0, 1, 2, 3, 5], kept.size, p=[0.6, 0.3, 0.05, 0.03, 0.02]))
    b.add(case[kept][has], "skyddsbedomning", pop.r_date[kept][has] + delay[has],
          phase=np.where(opener, 0, AUTO)[has], outcome=np.where(akut, OUTCOME["akut"], OUTCOME["ej_akut"])[has])
    fhb_date = tl.f.copy()
    outcome = np.where(tl.inleda, C.INLEDA, C.EJ_INLEDA)
    fhb_date[ex.index] = ex.fhb_date
    outcome[ex.index] = ex.outcome
    decided = ~ansokan
    b.add(case[kept][decided], "forhandsbedomning", fhb_date[kept][decided], phase=np.where(opener, 0, AUTO)[decided],
          ref=anm[decided], outcome=_FHB_OUTCOME[outcome[kept]][decided])


def _investigation(b: Blocks, tl: C.Timeline, kept: np.ndarray) -> None:
    inv = kept[tl.inleda[kept]]
    b.add(inv, "utredning_inledd", tl.f[inv], phase=1)
    b.add(inv, "handlaggare", tl.f[inv], phase=1)
    ext = inv[tl.ext[inv]]
    b.add(ext, "utredning_forlangd", tl.ext_date[ext], phase=1, until=tl.until[ext])
    b.add(inv, "utredning_avslutad", tl.i1[inv], phase=1,
          outcome=np.where(tl.insats[inv], OUTCOME["insats"], OUTCOME["ingen_insats"]))
    fv = kept[tl.fv_start[kept] < C.OPEN]
    b.add(fv, "handlaggare", tl.fv_start[fv], phase=2)


def _interventions(rng, b: Blocks, tl: C.Timeline, kept: np.ndarray, mult: C.Grid, h1: int, law_rng,
                   regi_rng) -> None:
    rows, slot = np.nonzero(tl.ins_valid[kept])
    case = kept[rows]
    itype, basis = tl.ins_type[case, slot], tl.ins_basis[case, slot]
    start, end = tl.ins_start[case, slot], tl.ins_end[case, slot]
    is_fv = np.isin(itype, C.FV_TYPES)
    phase = np.where(is_fv, 2, 1)
    dk = tl.dist[case] * 5 + np.where(is_fv, P.FV, tl.inv_kind[case])
    own_ref = rng.random(case.size) < 0.5
    ins = b.add(case, "insats_start", start, phase=phase, intervention=itype, basis=basis,
                regi=_regi(regi_rng, itype))
    b.cols["ref"][-1] = np.where(own_ref, ins, -1)
    ended = end <= h1
    b.add(case[ended], "insats_slut", end[ended], phase=phase[ended], ref=ins[ended])
    gp = rng.random(case.size) < P.P_GENOMFORANDEPLAN
    gp_date = W.roll_forward(start + np.ceil(P.GP_MEDIAN_DAYS * np.exp(0.5 * rng.standard_normal(case.size))
                                             * mult.at(dk, start)).astype(np.int64))
    gp &= gp_date < end
    b.add(case[gp], "genomforandeplan", gp_date[gp], phase=phase[gp], ref=ins[gp])
    placed = itype >= C.FAMILJEHEM
    _care_plans(rng, b, tl, case, ins, placed, itype, basis, start, end, phase, dk, mult)
    visited = np.isin(itype, C.FV_TYPES)
    _chain(rng, b, "besok", case, ins, start, end, phase, dk, visited, mult, h1,
           P.VISIT_GAP_DAYS, P.VISIT_GAP_SD)
    # an omedelbart omhändertagande (LVU 6 §) is not considered every 6 months (LVU 13 §; issue 11)
    reviewed = placed & (basis != C.LVU3) & (basis != C.LVU6)
    _chain(rng, b, "overvagande", case, ins, start, end, phase, dk, reviewed, mult, h1,
           P.REVIEW_GAP_DAYS, P.REVIEW_GAP_SD)
    _chain(rng, b, "omprovning", case, ins, start, end, phase, dk, placed & (basis == C.LVU3), mult, h1,
           P.REVIEW_GAP_DAYS, P.REVIEW_GAP_SD)
    _custody(rng, b, case, ins, start, end, phase, (itype == C.FAMILJEHEM) | (itype == C.NATVERKSHEM), h1)
    _lvu(law_rng, b, tl, case, slot, ins, basis, start, end, phase, dk, mult, h1)


def _regi(rng, itype: np.ndarray) -> np.ndarray:
    """Per insats: 0 = egen regi, 1 = köpt, -1 = not said (öppenvård, and exports that leave it out)."""
    kopt = np.asarray(P.P_KOPT)[np.clip(itype - C.FAMILJEHEM, 0, 5)]
    u, unsaid = rng.random(itype.size), rng.random(itype.size) < P.P_REGI_UNSAID
    regi = np.where(u < kopt, schema.REGI.index("kopt"), schema.REGI.index("egen"))
    return np.where((itype >= C.FAMILJEHEM) & ~unsaid, regi, -1)


def _lvu(rng, b, tl, case, slot, ins, basis, start, end, phase, dk, mult, h1) -> None:
    """LVU 6 § decisions with their underställning (7 §) and ansökan (8 §; for care decided by
    the court straight away, the ansökan before the placement), and 14 § decisions on contact
    with their 3-monthly considerations and, for some, their lifting."""
    n = case.size
    lvu6 = basis == C.LVU6
    beslut_date = start - (rng.random(n) < P.P_LVU6_DECIDED_DAY_BEFORE)
    beslut = b.add(case[lvu6], "lvu6_beslut", beslut_date[lvu6], phase=phase[lvu6])
    k = int(lvu6.sum())
    delay = rng.choice(P.UNDERSTALLNING_DAYS, k, p=np.asarray(P.UNDERSTALLNING_WEIGHTS))
    delay = np.where(rng.random(k) < P.P_UNDERSTALLNING_LATE, rng.integers(8, 13, k), delay)
    named = rng.random(k) < P.P_UNDERSTALLNING_REF
    b.add(case[lvu6], "lvu6_understallt", beslut_date[lvu6] + delay, phase=phase[lvu6],
          ref=np.where(named, beslut, -1))
    # the care that followed: the case's next placement under LVU 2 § or 3 §, starting the day it ended
    cared = lvu6 & (slot == 0) & tl.ins_valid[case, 1] & np.isin(tl.ins_basis[case, 1], (C.LVU2, C.LVU3))
    on_time = start + rng.integers(10, 28, n)
    late = start + rng.integers(29, 36, n)
    when = np.where(rng.random(n) < P.P_LVU_ANSOKAN_LATE, late, on_time)
    when = np.minimum(when, end - 3)  # the court decides on care after the ansökan
    applied = lvu6 & (cared | (rng.random(n) < P.P_ANSOKAN_WHEN_ENDED)) & (when > start)
    direct = (slot == 0) & np.isin(basis, (C.LVU2, C.LVU3))
    before = np.maximum(start - rng.integers(20, 46, n), tl.f[case])
    date = np.where(direct, before, when)
    ok = (applied | direct) & (date <= h1)
    b.add(case[ok], "lvu_ansokan", date[ok], phase=phase[ok])
    # 14 § decisions on LVU placements, considered again every ~3 months until lifted or ended
    restricted = np.isin(basis, (C.LVU2, C.LVU3, C.LVU6)) & (rng.random(n) < P.P_UMGANGESBEGRANSNING)
    decided = start + rng.integers(0, 61, n)
    restricted &= (decided < end) & (decided <= h1)
    lifted = restricted & (rng.random(n) < P.P_UMGANGE_LIFTED)
    lift_date = decided + rng.integers(60, 400, n)
    lifted &= (lift_date < end) & (lift_date <= h1)
    until = np.where(lifted, lift_date, end)
    b.add(case[restricted], "umgangesbegransning", decided[restricted], phase=phase[restricted], ref=ins[restricted])
    _chain(rng, b, "umgangesbegransning_overvagd", case, ins, decided, until, phase, dk, restricted, mult, h1,
           P.UMGANGE_GAP_DAYS, P.UMGANGE_GAP_SD)
    b.add(case[lifted], "umgangesbegransning_upphord", lift_date[lifted], phase=phase[lifted], ref=ins[lifted])


def _care_plans(rng, b, tl, case, ins, placed, itype, basis, start, end, phase, dk, mult) -> None:
    """vardplan: before the start when planned; after it (late) for emergencies or overload."""
    n = case.size
    acute = (basis == C.LVU6) | (itype == C.JOURHEM)
    on_time = ~acute & (rng.random(n) * mult.at(dk, start) < P.P_VARDPLAN_BEFORE)
    before = W.roll_backward(np.maximum(start - rng.integers(0, 15, n), tl.f[case]))
    after = W.roll_forward(start + np.ceil(10 * np.exp(0.6 * rng.standard_normal(n)) * mult.at(dk, start))
                           .astype(np.int64))
    date = np.where(on_time, np.minimum(before, start), after)
    has = placed & (date < end)
    b.add(case[has], "vardplan", date[has], phase=phase[has], ref=ins[has])


def _chain(rng, b, etype, case, ins, start, end, phase, dk, which, mult, h1, gap_mean, gap_sd) -> None:
    """Visits or reviews every `gap_mean` days, stretched by the group's delay multiplier."""
    idx = np.flatnonzero(which)
    last = np.minimum(end[idx], h1 + 1)
    count = np.maximum((last - start[idx]) // int(gap_mean - 3 * gap_sd) + 1, 0)
    owner = np.repeat(idx, count)
    if not owner.size:
        return
    gap = np.maximum(rng.normal(gap_mean, gap_sd, owner.size), gap_mean / 2)
    base = _cumsum_within(gap, count)
    gap = gap * mult.at(dk[owner], start[owner] + base.astype(np.int64))
    date = W.roll_forward(start[owner] + np.floor(_cumsum_within(gap, count)).astype(np.int64))
    ok = (date < end[owner]) & (date <= h1)
    b.add(case[owner][ok], etype, date[ok], phase=phase[owner][ok], ref=ins[owner][ok])


def _cumsum_within(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Running sums restarting at each group of `counts` consecutive values."""
    total = np.cumsum(values)
    first = np.cumsum(counts) - counts
    before = np.where(first > 0, total[np.maximum(first - 1, 0)], 0.0)
    return total - np.repeat(before, counts)


def _custody(rng, b, case, ins, start, end, phase, which, h1) -> None:
    """Considering custody transfer to the foster parents after two years, then yearly."""
    idx = np.flatnonzero(which & (end - start > 2 * YEAR - 60))
    years = np.maximum((np.minimum(end[idx], h1) - start[idx]) // 365 - 1, 0)
    owner = np.repeat(idx, years)
    k = np.arange(owner.size) - np.repeat(np.r_[0, np.cumsum(years)[:-1]], years)
    due = W.add_months(start[owner], 12 * (P.CUSTODY_FIRST_YEARS + k))
    late = rng.random(owner.size) < 0.15
    date = W.roll_forward(due + np.where(late, rng.integers(1, 90, owner.size), -rng.integers(0, 45, owner.size)))
    ok = (date < end[owner]) & (date <= h1)
    b.add(case[owner][ok], "vardnadsoverflyttning_overvagd", date[ok], phase=phase[owner][ok], ref=ins[owner][ok])


def _handovers(b: Blocks, st: C.Stints, seg: S.Segments, h1: int) -> None:
    rows, r = np.nonzero(seg.since[:, 1:] != S.NONE)
    date = seg.since[rows, r + 1]
    ok = date <= h1
    ok &= seg.occupant[rows, r + 1] != S.NONE
    b.add(st.case[rows[ok]], "handlaggare", date[ok], phase=st.phase[rows[ok]],
          occupant=seg.occupant[rows[ok], r[ok] + 1])


def _closures(b: Blocks, close: np.ndarray, kept: np.ndarray, h1: int) -> None:
    """arende_avslutat on or after the case's last event, when that is within the horizon."""
    last = np.full(close.size, np.iinfo(np.int64).min)
    np.maximum.at(last, b.array("case"), b.array("date"))
    when = np.maximum(close[kept], last[kept])
    closed = close[kept] <= h1
    when = W.roll_forward(when)
    ok = closed & (when <= h1)
    b.add(kept[ok], "arende_avslutat", when[ok])
