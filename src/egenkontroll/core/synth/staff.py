"""Groups, caseworkers and the capacity they give, sized from the workload and worn by turnover.

Why: delays in the seeds come from caseload per caseworker (40 cases in the crisis, 18–20 when
staffed, seed 003) and from vacancies and turnover. So each district's groups are sized from the
planned workload (caseload norm at 90 %), every post is held by a chain of caseworkers with
vacancies between them, staff are added — two to four months late — when the need rises well
above the plan (as after the 2015 influx, seeds 000–002), and the summer thins capacity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from egenkontroll.core.synth import params as P
from egenkontroll.core.synth import workdays as W
from egenkontroll.core.synth.org import District, person_names

NONE = -1
_HIRED_BEFORE_YEARS = 6.0


@dataclass
class Staff:
    """Everything about the people of a batch; `dk` = district position in batch × 5 + kind."""

    group_unit: list[str]  # unit_id per group
    group_rows: list[dict]  # org_units rows of the groups
    base_first_group: np.ndarray  # per dk
    base_groups: np.ndarray  # per dk
    base_slots: np.ndarray  # per dk
    first_slot: np.ndarray  # per dk, global slot index of its first base slot
    extra_first_group: np.ndarray  # per dk
    extra_first_occupant: np.ndarray  # per dk, occupant index of extra slot 0
    extra_slots: np.ndarray  # per dk
    occ_slot: np.ndarray  # per occupant (extra occupants: NONE)
    occ_start: np.ndarray
    occ_end: np.ndarray
    occ_group: np.ndarray
    caseworker_rows: list[dict]
    base_active: np.ndarray  # (dk, day) active base caseworkers
    extra_active: np.ndarray  # (dk, day)
    capacity: np.ndarray  # (dk, day) caseload the group can carry at the norm
    staffing_rows: list[dict] | None = None  # staffing.csv: the base posts of each group (issue 16)


def build(rng: np.random.Generator, districts: list[District], planned_load: np.ndarray, load: np.ndarray,
          h0: int, h1: int, planned: tuple[int, int]) -> Staff:
    n_dk = len(districts) * len(P.KINDS)
    norm = np.tile(np.asarray(P.NORM), len(districts))
    window = planned_load[:, planned[0] - h0:planned[1] - h0]
    need = np.maximum(window.mean(axis=1) / (norm * P.STAFFING_UTILISATION), 0.05)
    base = np.maximum(1, np.round(need)).astype(np.int64)
    tenure = rng.uniform(*P.TENURE_YEARS, len(districts)) * 365.25
    vacancy = rng.uniform(*P.VACANCY_DAYS, len(districts))
    slot_dk = np.repeat(np.arange(n_dk), base)
    occ = _chains(rng, slot_dk, tenure[slot_dk // 5], vacancy[slot_dk // 5], h0, h1)
    n_groups = -(-base // P.GROUP_MAX)
    first_slot = np.r_[0, np.cumsum(base)[:-1]]
    extra = _extra_slots(load, need, norm, h0, h1)
    span = h1 - h0 + 1
    base_active = _active(occ["dk"], occ["start"], occ["end"], n_dk, h0, span)
    extra_active = _active(extra["dk"], extra["start"], extra["end"], n_dk, h0, span)
    # Posts are whole people, the plan is not: a post's share of time on its kind of work makes the
    # planned staff carry exactly the planned need (a lone caseworker for a few unaccompanied
    # children also does other work), so overload means the same at every size.
    # When posts stand empty, colleagues and the manager cover part of the work (COVER of plan).
    share = need / base
    present = np.maximum(base_active * share[:, None] + extra_active, P.COVER * need[:, None])
    capacity = _capacity(present, norm, h0, h1)
    staff = _assemble(rng, districts, base, n_groups, first_slot, occ, extra, h1)
    staff.base_active, staff.extra_active, staff.capacity = base_active, extra_active, capacity
    staff.staffing_rows = _staffing_rows(staff, h0)
    return staff


def _staffing_rows(staff: Staff, h0: int) -> list[dict]:
    """Each base group's posts (its chains of occupants) from the first day on; reinforcement
    groups have none: their staff come on top of the posts, as consultants and vikarier do."""
    rows = []
    for dk in range(staff.base_slots.size):
        n, first = int(staff.base_groups[dk]), int(staff.base_first_group[dk])
        posts = np.bincount(np.arange(int(staff.base_slots[dk])) % n, minlength=n)
        rows += [{"unit_id": staff.group_unit[first + g], "start_date": h0, "end_date": None, "posts": int(posts[g])}
                 for g in range(n)]
    return rows


def _chains(rng, slot_dk, tenure, vacancy, h0, h1) -> dict:
    """Successive holders of each post, with vacancies between them."""
    n = slot_dk.size
    start = h0 - np.floor(rng.random(n) * _HIRED_BEFORE_YEARS * 365.25).astype(np.int64)
    slots, starts, ends = [], [], []
    current = np.arange(n)
    while current.size:
        end = start + np.maximum(60, rng.exponential(tenure[current])).astype(np.int64)
        slots.append(current)
        starts.append(start)
        ends.append(end)
        gap = np.where(rng.random(current.size) < 0.3, 0, rng.exponential(vacancy[current])).astype(np.int64)
        start = end + 1 + gap
        more = start <= h1
        current, start = current[more], start[more]
    slot, s, e = np.concatenate(slots), np.concatenate(starts), np.concatenate(ends)
    keep = e >= h0
    order = np.lexsort((s[keep], slot[keep]))
    slot, s, e = slot[keep][order], s[keep][order], e[keep][order]
    return {"slot": slot, "dk": slot_dk[slot], "start": s, "end": e}


def _extra_slots(load, planned, norm, h0, h1) -> dict:
    """Posts added for the largest rise of need above plan: post k while the need stays at or
    above 110 % of plan + ½ + k around its peak, starting late (recruitment) and ending a little
    after the need has fallen (notice)."""
    kernel = np.ones(60) / 60
    dks, starts, ends, ranks = [], [], [], []
    settled = min(365, load.shape[1] - 1)
    for dk in range(load.shape[0]):
        need = np.convolve(load[dk], kernel)[: load.shape[1]] / (norm[dk] * P.STAFFING_UTILISATION)
        need[:settled] = 0.0
        lowest = planned[dk] * P.RECRUIT_THRESHOLD + 0.5
        threshold = lowest + np.arange(int(max(0, np.ceil(need.max() - lowest))))
        if not threshold.size:
            continue
        peak = int(np.argmax(need))
        below = need[None, :] < threshold[:, None]
        rise = peak - np.argmax(below[:, peak::-1], axis=1) + 1
        fall = peak + np.where(below[:, peak:].any(axis=1), np.argmax(below[:, peak:], axis=1), need.size)
        k = np.arange(threshold.size)
        start = h0 + rise + P.RECRUIT_LAG_DAYS + 10 * k
        end = h0 + fall + 45
        used = start < np.minimum(end, h1)
        dks.append(np.full(int(used.sum()), dk))
        starts.append(start[used])
        ends.append(end[used])
        ranks.append(k[used])
    return {"dk": _cat(dks), "start": _cat(starts), "end": _cat(ends), "rank": _cat(ranks)}


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _active(dk, start, end, n_dk, h0, span) -> np.ndarray:
    """Number of intervals covering each (dk, day) of the horizon."""
    s = np.clip(start - h0, 0, span)
    e = np.clip(end - h0 + 1, 0, span)
    diff = np.bincount(dk * (span + 1) + s, minlength=n_dk * (span + 1))
    diff -= np.bincount(dk * (span + 1) + e, minlength=n_dk * (span + 1))
    return np.cumsum(diff.reshape(n_dk, span + 1), axis=1)[:, :span]


def _capacity(active, norm, h0, h1) -> np.ndarray:
    """Caseload each (district × kind) carries at the norm per day, thinned in the summer."""
    months = W.month_of(np.arange(h0, h1 + 1))
    summer = np.ones(months.size)
    for month, factor in P.SUMMER_CAPACITY.items():
        summer[months == month] = factor
    return np.maximum(active * summer[None, :], 0.05) * norm[:, None]


def _assemble(rng, districts, base, n_groups, first_slot, occ, extra, h1) -> Staff:
    group_unit, group_rows = [], []
    n_dk = base.size
    base_first_group = np.zeros(n_dk, np.int64)
    extra_first_group = np.zeros(n_dk, np.int64)
    extra_slots = np.bincount(extra["dk"], minlength=n_dk)
    for dk in range(n_dk):
        district, kind = districts[dk // 5], dk % 5
        base_first_group[dk] = len(group_unit)
        _add_groups(group_unit, group_rows, district, kind, int(n_groups[dk]), extra=False)
        extra_first_group[dk] = len(group_unit)
        _add_groups(group_unit, group_rows, district, kind, -(-int(extra_slots[dk]) // P.GROUP_MAX), extra=True)
    local = occ["slot"] - first_slot[occ["dk"]]
    occ_group = base_first_group[occ["dk"]] + local % n_groups[occ["dk"]]
    order = np.lexsort((extra["rank"], extra["dk"]))
    e_dk, e_start, e_end, e_rank = (extra[c][order] for c in ("dk", "start", "end", "rank"))
    e_group = extra_first_group[e_dk] + e_rank // P.GROUP_MAX
    n_base = occ["slot"].size
    extra_first_occupant = n_base + np.r_[0, np.cumsum(extra_slots)[:-1]]
    starts = np.r_[occ["start"], e_start]
    ends = np.r_[occ["end"], e_end]
    groups = np.r_[occ_group, e_group]
    # Reinforcements alternate between consultants (the first, hired fastest: seed 003) and vikarier
    # (visstid), by their rank: no draw, so issue 16 left every other generated value as it was.
    titles = np.r_[np.where(local < n_groups[occ["dk"]], 1, 0), np.where(e_rank % 2 == 0, 3, 2)]
    rows = _caseworker_rows(rng, districts, groups, group_unit, starts, ends, titles, h1)
    return Staff(group_unit, group_rows, base_first_group, n_groups, base, first_slot, extra_first_group,
                 extra_first_occupant, extra_slots, np.r_[occ["slot"], np.full(e_start.size, NONE)],
                 starts, ends, groups, rows, None, None, None)


def _add_groups(units, rows, district, kind, count, *, extra) -> None:
    for g in range(count):
        suffix = f"{P.KINDS[kind]}{'-F' if extra else ''}{g + 1}"
        label = P.KIND_NAMES[kind] + (f", förstärkning {g + 1}" if extra else (f" {g + 1}" if count > 1 else ""))
        unit_id = f"{district.code}-{suffix}"
        units.append(unit_id)
        rows.append({"unit_id": unit_id, "parent_id": f"{district.code}-{P.KIND_UNIT[kind]}",
                     "name": label, "level": "grupp"})


_TITLES = ("socialsekreterare", "samordnare", "socialsekreterare (visstid)", "socialsekreterare (konsult)")
_EMPLOYMENT = ("tillsvidare", "tillsvidare", "visstid", "konsult")  # caseworkers.csv `employment` per title


def _caseworker_rows(rng, districts, groups, group_unit, starts, ends, titles, h1) -> list[dict]:
    names = person_names(rng, starts.size)
    counters: dict[str, int] = {}
    rows = []
    for i in range(starts.size):
        unit = group_unit[groups[i]]
        code = unit.split("-")[0]
        counters[code] = counters.get(code, 0) + 1
        rows.append({
            "caseworker_id": f"{code}-H{counters[code]:05d}", "name": names[i], "unit_id": unit,
            "title": _TITLES[titles[i]], "start_date": int(starts[i]),
            "end_date": int(ends[i]) if ends[i] <= h1 else None, "employment": _EMPLOYMENT[titles[i]],
        })
    return rows


# ---------------------------------------------------------------- who handles a case


@dataclass
class Segments:
    """Per stint: up to ROUNDS+1 periods with one group and main caseworker each."""

    since: np.ndarray  # (n, k) first day of each segment; NONE for unused
    group: np.ndarray  # (n, k)
    occupant: np.ndarray  # (n, k), NONE when the post was vacant


ROUNDS = 3
_BIG = 1 << 40


def pick_base(staff: Staff, rng: np.random.Generator, dk: np.ndarray, group: np.ndarray,
              day: np.ndarray) -> np.ndarray:
    """An active caseworker of a base group on `day`, or NONE when every tried post is vacant."""
    n_base = int(np.count_nonzero(staff.occ_slot != NONE))
    keys = staff.occ_slot[:n_base] * _BIG + staff.occ_start[:n_base]
    local = group - staff.base_first_group[dk]
    n_g = staff.base_groups[dk]
    per_group = -(-(staff.base_slots[dk] - local) // n_g)
    found = np.full(dk.size, NONE)
    todo = np.arange(dk.size)
    for _ in range(6):
        q = np.floor(rng.random(todo.size) * per_group[todo]).astype(np.int64)
        slot = staff.first_slot[dk[todo]] + local[todo] + n_g[todo] * q
        c = np.searchsorted(keys, slot * _BIG + day[todo], side="right") - 1
        c = np.maximum(c, 0)
        ok = (staff.occ_slot[c] == slot) & (staff.occ_end[c] >= day[todo]) & (staff.occ_start[c] <= day[todo])
        found[todo[ok]] = c[ok]
        todo = todo[~ok]
        if not todo.size:
            break
    return found


def start(staff: Staff, rng: np.random.Generator, dk: np.ndarray, day: np.ndarray, h0: int) -> tuple:
    """Group and main caseworker for stints starting on `day` (förstärkning groups when staffed)."""
    t = np.clip(day - h0, 0, staff.base_active.shape[1] - 1)
    extra_n = staff.extra_slots[dk]
    ext, base = staff.extra_active[dk, t], staff.base_active[dk, t]
    want_extra = rng.random(dk.size) * (ext + base) < ext
    k = np.floor(rng.random(dk.size) * np.maximum(extra_n, 1)).astype(np.int64)
    occupant = np.where(extra_n > 0, staff.extra_first_occupant[dk] + k, 0)
    use_extra = want_extra & (extra_n > 0) & (staff.occ_start[occupant] <= day) & (staff.occ_end[occupant] >= day)
    group = staff.base_first_group[dk] + np.floor(rng.random(dk.size) * staff.base_groups[dk]).astype(np.int64)
    chosen = pick_base(staff, rng, dk, group, day)
    return np.where(use_extra, staff.occ_group[occupant], group), np.where(use_extra, occupant, chosen)


def segments(staff: Staff, rng: np.random.Generator, dk: np.ndarray, begin: np.ndarray, end: np.ndarray,
             h0: int, h1: int) -> Segments:
    """Handovers: when a caseworker leaves during a stint, a colleague takes over a few days later."""
    n = dk.size
    since = np.full((n, ROUNDS + 1), NONE)
    group = np.full((n, ROUNDS + 1), NONE)
    occupant = np.full((n, ROUNDS + 1), NONE)
    since[:, 0] = begin
    group[:, 0], occupant[:, 0] = start(staff, rng, dk, begin, h0)
    last = np.minimum(end, h1)
    for r in range(1, ROUNDS + 1):
        cur = occupant[:, r - 1]
        leaves = (cur != NONE) & (staff.occ_end[np.maximum(cur, 0)] < last)
        idx = np.flatnonzero(leaves)
        change = W.roll_forward(staff.occ_end[cur[idx]] + 1 + rng.integers(0, 11, idx.size))
        idx, change = idx[change <= last[idx]], change[change <= last[idx]]
        prev = group[idx, r - 1]
        is_extra = prev >= staff.extra_first_group[dk[idx]]
        redrawn = staff.base_first_group[dk[idx]] + np.floor(
            rng.random(idx.size) * staff.base_groups[dk[idx]]).astype(np.int64)
        new_group = np.where(is_extra, redrawn, prev)
        since[idx, r] = change
        group[idx, r] = new_group
        occupant[idx, r] = pick_base(staff, rng, dk[idx], new_group, change)
    return Segments(since, group, occupant)
