"""Placement demand: how many children in each kind of placement, week by week, and how sure.

Why it exists: in 2015 what broke first was placements and caseworkers (seeds 000–002). The
queue model (core.planning) says when the 14-day and 4-month limits break; this module says how
many jourhem, familjehem, nätverkshem, HVB, stödboende and SiS places a surge needs, with a band
that shows how uncertain that is.

The model is a discrete-time Markov chain with one step a week:

    states   age band × placement type (the `PLACEMENTS` interventions of core.schema, as the
             events name them), plus "not placed" as the source and sink outside the chain
    entries  new placements (not a move from another placement) per week and state, per stream:
             unaccompanied children (any event of the child marked `unaccompanied`) and the
             others, each with its own mix over the states; a Poisson number each week
    moves    a placement that ends and is followed within `FOLLOW_ON_DAYS` by another placement
             of the same child (jourhem → familjehem) moves the child between states
    exits    a placement that ends without a follow-on returns the child to "not placed"
    ageing   a child moves to the next age band, or from the top band ages out (counted apart
             from other exits), with a weekly probability calibrated from the children's birth
             dates: birthdays that end a band while the child is placed, ÷ the placement-weeks in
             the band (occurrence ÷ exposure, as the other rates), shrunk towards the even
             spread 1 ÷ (band width in weeks) by `AGEING_PRIOR_WEEKS` (see `_ageing`). A
             placement that ends on the birthday ending the top band has aged out, not exited.
             The top band ends at 18, or at 21 when the data continue: when any placement in
             the reference window runs past an 18th birthday
    rates    occurrences ÷ exposure: exits (or moves to a state) in the reference window ÷ the
             placement-weeks spent in the state inside the window, used as the weekly
             probability (close to 1 − e^−rate for the small rates of placements). When the
             probabilities leaving a state add up to more than 1 they are scaled down to 1.

Edge cases, said plainly (each also appears as a warning in `Calibration.warnings`):
- An empty state (no placement-weeks in the window) has no rates of its own: it takes its
  placement type's rates pooled over all age bands; a type never seen at all keeps its children
  until they age out. Entries into it are zero unless the stream's mix has them.
- A state with stock but no exit observed in the window gets exit probability 0: the honest
  estimate from the data, but the stock then only falls by moves and ageing. Choose a longer
  window when this is reported.
- Zero stock on as_of is fine: the projection starts from zero and fills from the entries.
- A child without a birth date is put in the band "okänd ålder", which does not age.
- A band with no birthday in the window, or few placement-weeks, ages near the even spread
  1 ÷ (band width in weeks) rather than not at all (`_ageing`).
- Placements still open at the end of the window have no exit: they count as exposure only.

Lag: a surge of unaccompanied children is placed when its investigations are done, not the
week the children come. `lagged` spreads the unaccompanied stream's extra entries (its
multiplier minus 1) over the weeks after, by a lag distribution in whole weeks: a fixed number
of weeks, or `Calibration.lag` — for the unaccompanied children newly placed in the reference
window, the weeks from the latest report (aktualisering: any `anmalan` row, whatever its kind)
in the placement's case on or before the start, to the start (`MAX_LAG_WEEKS` and more lumped
together; a placement without a report before it in its case left out).

Uncertainty: `simulate` draws each week's entries (Poisson) and each state's movements
(multinomial over stay / move / exit / age) for N seeded runs; the band is the 2.5 and 97.5
percentiles per week and state, the mean the runs' mean. The band covers the randomness of who
comes and goes under the calibrated rates, not the error in the rates themselves nor a change
of behaviour; so it is a lower bound of the real uncertainty (docs/planning.md, the backtest).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from egenkontroll.core.schema import PLACEMENTS

FOLLOW_ON_DAYS = 14
WEEKS_PER_YEAR = 52.18
# (label, first age, first age of the next band)
BANDS = (("0–5", 0, 6), ("6–12", 6, 13), ("13–17", 13, 18), ("18–20", 18, 21))
UNKNOWN_AGE = "okänd ålder"
STREAMS = ("ovriga", "ensamkommande")
MAX_RUNS = 2000
MAX_WEEKS = 156
MAX_LAG_WEEKS = 52  # a lag of this many weeks or more counts as this many
# Ageing rates borrow this many placement-weeks of the even spread (1 ÷ band width): one child-year.
AGEING_PRIOR_WEEKS = 52.0


@dataclass(frozen=True)
class Chain:
    """The calibrated weekly chain: every array is indexed by `states` (and the stream)."""

    states: tuple[tuple[str, str], ...]  # (age band, placement type)
    stock: np.ndarray  # children in each state on as_of
    move: np.ndarray  # move[i, j]: weekly probability to go from state i to state j
    exit: np.ndarray  # weekly probability to leave placement (not ageing out)
    age_out: np.ndarray  # weekly probability to age out (top band only)
    entries: np.ndarray  # entries[s, i]: new placements a week into state i from stream s (STREAMS order)
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self):
        leave = self.move.sum(axis=1) + self.exit + self.age_out
        if (leave > 1 + 1e-9).any() or (self.move < 0).any() or (self.exit < 0).any() or (self.entries < 0).any():
            raise ValueError("sannolikheterna i kedjan måste vara icke-negativa och högst 1 tillsammans")

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for _, t in self.states))


@dataclass(frozen=True)
class Demand:
    """Multipliers of the entries, week 1 … weeks: one array per stream."""

    weeks: int
    other: np.ndarray
    unaccompanied: np.ndarray

    @classmethod
    def flat(cls, weeks: int, other: float = 1.0, unaccompanied: float = 1.0) -> Demand:
        return cls(weeks, np.full(weeks, other, dtype=float), np.full(weeks, unaccompanied, dtype=float))


# ---------------------------------------------------------------- the projection


def expected(chain: Chain, demand: Demand) -> np.ndarray:
    """The expected stock (weeks × states), exactly: x_t = x_{t−1}·(stay + moves) + entries_t.

    Also the leaving flows `flows(...)` need; week 1 is the first week after as_of.
    """
    stay = 1 - chain.move.sum(axis=1) - chain.exit - chain.age_out
    transition = chain.move + np.diag(stay)
    x = chain.stock.astype(float)
    out = np.zeros((demand.weeks, len(chain.states)))
    for t in range(demand.weeks):
        x = x @ transition + _entries(chain, demand, t)
        out[t] = x
    return out


def lagged(multiplier: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """The stream's multiplier with its extra entries placed later: 1 + Σ_L weights[L] × (m_{t−L} − 1).

    `weights[L]` is the share placed L weeks after they come (L = 0 … len − 1, summing to 1);
    before week 1 the multiplier is taken as 1 (no surge yet), and what would be placed after the
    last week falls outside the projection. None: everyone at once (the multiplier unchanged).
    """
    if weights is None:
        return multiplier
    extra = np.asarray(multiplier, dtype=float) - 1
    out = np.ones(len(extra))
    for lag, share in enumerate(weights):
        if share and lag < len(extra):
            out[lag:] += share * extra[: len(extra) - lag]
    return out


def fixed_lag(weeks: int) -> np.ndarray:
    """Everyone placed exactly `weeks` weeks after coming."""
    if not 0 <= weeks <= MAX_LAG_WEEKS:
        raise ValueError(f"fördröjningen ska vara mellan 0 och {MAX_LAG_WEEKS} veckor")
    out = np.zeros(weeks + 1)
    out[weeks] = 1.0
    return out


def _entries(chain: Chain, demand: Demand, t: int) -> np.ndarray:
    return chain.entries[0] * demand.other[t] + chain.entries[1] * demand.unaccompanied[t]


def simulate(chain: Chain, demand: Demand, runs: int = 500, seed: int = 1) -> dict[str, np.ndarray]:
    """N seeded runs of the chain; returns stock (runs × weeks × states), aged_out and exits
    (runs × weeks, counts that week). The same seed gives the same runs."""
    if not 1 <= runs <= MAX_RUNS:
        raise ValueError(f"antalet körningar ska vara mellan 1 och {MAX_RUNS}")
    if not 1 <= demand.weeks <= MAX_WEEKS:
        raise ValueError(f"antalet veckor ska vara mellan 1 och {MAX_WEEKS}")
    rng = np.random.default_rng(seed)
    k = len(chain.states)
    # Outcomes of one state a week: stay, move to each state, exit, age out.
    outcome_p = np.zeros((k, k + 3))
    outcome_p[:, 1 : k + 1] = chain.move
    outcome_p[:, k + 1] = chain.exit
    outcome_p[:, k + 2] = chain.age_out
    outcome_p[:, 0] = np.clip(1 - outcome_p[:, 1:].sum(axis=1), 0, 1)
    outcome_p /= outcome_p.sum(axis=1, keepdims=True)
    stock = np.zeros((runs, demand.weeks, k), dtype=np.int64)
    exits = np.zeros((runs, demand.weeks), dtype=np.int64)
    aged = np.zeros((runs, demand.weeks), dtype=np.int64)
    x = np.tile(np.rint(chain.stock).astype(np.int64), (runs, 1))
    for t in range(demand.weeks):
        nxt = rng.poisson(np.broadcast_to(_entries(chain, demand, t), (runs, k)))
        for i in range(k):
            if not x[:, i].any():
                continue
            drawn = rng.multinomial(x[:, i], outcome_p[i])
            nxt[:, i] += drawn[:, 0]
            nxt += drawn[:, 1 : k + 1]
            exits[:, t] += drawn[:, k + 1]
            aged[:, t] += drawn[:, k + 2]
        x = nxt
        stock[:, t] = x
    return {"stock": stock, "exits": exits, "aged_out": aged}


def band(values: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, 2.5 % and 97.5 % percentile over the runs (axis 0)."""
    return values.mean(axis=axis), np.percentile(values, 2.5, axis=axis), np.percentile(values, 97.5, axis=axis)


def by_type(chain: Chain, stock: np.ndarray) -> dict[str, np.ndarray]:
    """Sum the last axis (states) per placement type."""
    return {t: stock[..., [i for i, (_, s) in enumerate(chain.states) if s == t]].sum(axis=-1) for t in chain.types}


def projection_frame(chain: Chain, runs: dict[str, np.ndarray], means: np.ndarray, week_starts: list) -> pl.DataFrame:
    """Long table: week, week_start, placement type, expected (exact mean), simulated mean, low, high.

    One row per week and placement type, plus the type "alla" (every placement) — the table the
    CLI, the page and the downloads show.
    """
    per_type = by_type(chain, runs["stock"])
    exact = by_type(chain, means)
    per_type["alla"] = runs["stock"].sum(axis=-1)
    exact["alla"] = means.sum(axis=-1)
    rows = []
    for kind, values in per_type.items():
        mean, low, high = band(values)
        for t in range(values.shape[1]):
            rows.append((t + 1, week_starts[t], kind, float(exact[kind][t]), float(mean[t]), float(low[t]), float(high[t])))
    return pl.DataFrame(
        rows, schema={"week": pl.Int32, "week_start": pl.Date, "placement": pl.Utf8, "expected": pl.Float64,
                      "mean": pl.Float64, "low": pl.Float64, "high": pl.Float64}, orient="row",
    )


# ---------------------------------------------------------------- calibration


@dataclass(frozen=True)
class Calibration:
    """What the reference window said: the chain and the counts behind it."""

    chain: Chain
    window_start: dt.date
    as_of: dt.date
    top_age: int
    episodes: int
    entries: int
    exits: int
    moves: int
    aged_up: int = 0  # birthdays in the window that moved a placed child to the next band
    aged_out: int = 0  # birthdays in the window that ended the top band of a placed child
    # Share of the unaccompanied children's new placements made L weeks after their report
    # (L = 0 … MAX_LAG_WEEKS); empty when no such placement had a report before it.
    lag: tuple[float, ...] = ()
    lag_placements: int = 0  # the placements behind `lag`

    @property
    def lag_weights(self) -> np.ndarray | None:
        return np.array(self.lag) if self.lag else None

    @property
    def lag_median(self) -> int | None:
        """The median lag in weeks (the first week by which half are placed)."""
        if not self.lag:
            return None
        return int(np.searchsorted(np.cumsum(self.lag), 0.5 - 1e-12))

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.chain.warnings


def placement_episodes(links_placements: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """One row per placement (core.linking's placements of a PLACEMENTS intervention) with the
    child's person_key, birth date, unaccompanied flag and the unit of its start, and whether it
    follows on from another placement of the same child (`follows`) or is followed by one
    (`next_type`, `next_start`)."""
    people = (
        events.group_by("person_key")
        .agg(pl.col("birth_date").drop_nulls().first(), pl.col("unaccompanied").fill_null(False).any())
    )
    starts = events.select(pl.col("event_id").alias("start_id"), "person_key", "unit_id")
    eps = (
        links_placements.filter(pl.col("intervention").is_in(PLACEMENTS))
        .join(starts, on="start_id", how="left")
        .join(people, on="person_key", how="left")
        .with_columns(pl.col("unaccompanied").fill_null(False))
        .sort("person_key", "start", "start_id")
    )
    nxt = eps.select(
        "person_key", pl.col("start_id").alias("next_id"), pl.col("start").alias("next_start"),
        pl.col("intervention").alias("next_type"),
    )
    follow = (
        eps.filter(pl.col("end").is_not_null())
        .select("start_id", "person_key", "end")
        .join(nxt, on="person_key")
        .filter(
            (pl.col("next_id") != pl.col("start_id"))
            & pl.col("next_start").is_between(pl.col("end") - dt.timedelta(days=1), pl.col("end") + dt.timedelta(days=FOLLOW_ON_DAYS))
        )
        .sort("next_start", "next_id")
        .group_by("start_id", maintain_order=True)
        .first()
    )
    eps = eps.join(follow.select("start_id", "next_id", "next_start", "next_type"), on="start_id", how="left")
    followed_ids = follow["next_id"].unique().implode()
    return eps.with_columns(follows=pl.col("start_id").is_in(followed_ids))


def _band_at(day: pl.Expr, top_age: int) -> pl.Expr:
    """The age band label of the child on `day` (null at or past top_age)."""
    expr = pl.when(pl.col("birth_date").is_null()).then(pl.lit(UNKNOWN_AGE))
    for label, _lo, hi in BANDS:
        if hi > top_age:
            break
        expr = expr.when(day < pl.col("birth_date").dt.offset_by(f"{hi}y")).then(pl.lit(label))
    return expr.otherwise(pl.lit(None, pl.Utf8))


def _bands(top_age: int) -> list[tuple[str, int, int]]:
    return [b for b in BANDS if b[2] <= top_age]


def calibrate(
    links_placements: pl.DataFrame,
    events: pl.DataFrame,
    window_start: dt.date,
    as_of: dt.date,
    unit_filter: pl.Expr | None = None,
) -> Calibration:
    """The chain from the reference window [window_start, as_of] (both days in), stock on as_of.

    `links_placements` is core.linking's `Links.placements`; `events` the accepted events (for the
    child's birth date, unaccompanied flag and the unit of the start); `unit_filter` an
    expression on `unit_id` selecting the placements of a subtree (core.planning._unit_filter).
    """
    if window_start > as_of:
        raise ValueError("referensperioden måste börja före avstämningsdagen")
    eps = placement_episodes(links_placements, events.filter(pl.col("date") <= as_of))
    if unit_filter is not None:
        eps = eps.filter(unit_filter)
    eps = eps.filter(pl.col("start") <= as_of)
    # The data continue past 18 when any placement in the window runs past an 18th birthday.
    last_day = pl.min_horizontal(pl.col("end").fill_null(as_of), pl.lit(as_of))
    past18 = eps.filter(
        (last_day >= window_start) & (last_day > pl.col("birth_date").dt.offset_by("18y"))
    ).height
    top_age = 21 if past18 else 18
    bands = _bands(top_age)
    labels = [b[0] for b in bands] + [UNKNOWN_AGE]
    types = list(PLACEMENTS)
    states = [(b, t) for b in labels for t in types]
    index = {s: i for i, s in enumerate(states)}
    k, weeks = len(states), ((as_of - window_start).days + 1) / 7

    # Exposure: placement-days inside the window (the end day is not in placement), per band.
    lo = pl.max_horizontal(pl.col("start"), pl.lit(window_start))
    hi = pl.min_horizontal(pl.col("end").fill_null(as_of + dt.timedelta(days=1)) - dt.timedelta(days=1), pl.lit(as_of))
    exposure = np.zeros(k)
    for label, a, b in bands:
        b_lo = pl.max_horizontal(lo, pl.col("birth_date").dt.offset_by(f"{a}y"))
        b_hi = pl.min_horizontal(hi, pl.col("birth_date").dt.offset_by(f"{b}y") - dt.timedelta(days=1))
        _add(exposure, index, eps.filter(pl.col("birth_date").is_not_null()), label,
             ((b_hi - b_lo).dt.total_days() + 1).clip(lower_bound=0))
    _add(exposure, index, eps.filter(pl.col("birth_date").is_null()), UNKNOWN_AGE,
         ((hi - lo).dt.total_days() + 1).clip(lower_bound=0))
    exposure /= 7

    top_birthday = pl.col("birth_date").dt.offset_by(f"{top_age}y")
    ended = eps.filter(pl.col("end").is_between(window_start, as_of)).with_columns(
        from_band=_band_at(pl.col("end") - dt.timedelta(days=1), top_age),
        to_band=_band_at(pl.col("next_start"), top_age),
    ).filter(pl.col("from_band").is_not_null() & (pl.col("end") != top_birthday).fill_null(True))
    moved = ended.filter(pl.col("next_type").is_not_null() & pl.col("to_band").is_not_null())
    left = ended.join(moved.select("start_id"), on="start_id", how="anti")
    exits = np.zeros(k)
    for row in left.group_by("from_band", "intervention").len().iter_rows():
        exits[index[(row[0], row[1])]] += row[2]
    moves = np.zeros((k, k))
    for fb, ft, tb, tt, n in moved.group_by("from_band", "intervention", "to_band", "next_type").len().iter_rows():
        moves[index[(fb, ft)], index[(tb, tt)]] += n

    new = eps.filter(pl.col("start").is_between(window_start, as_of) & ~pl.col("follows")).with_columns(
        b=_band_at(pl.col("start"), top_age)
    ).filter(pl.col("b").is_not_null())
    entries = np.zeros((2, k))
    for b, t, unacc, n in new.group_by("b", "intervention", "unaccompanied").len().iter_rows():
        entries[int(bool(unacc)), index[(b, t)]] += n / weeks

    lag, lag_n = _lag(new.filter(pl.col("unaccompanied")), events.filter(pl.col("date") <= as_of))

    open_now = eps.filter(pl.col("end").is_null() | (pl.col("end") > as_of)).with_columns(
        b=_band_at(pl.lit(as_of), top_age)
    ).filter(pl.col("b").is_not_null())
    stock = np.zeros(k)
    for b, t, n in open_now.group_by("b", "intervention").len().iter_rows():
        stock[index[(b, t)]] += n

    crossed = np.zeros(k)
    for label, _a, b in bands:
        birthday = pl.col("birth_date").dt.offset_by(f"{b}y")
        placed_on_it = pl.col("end").is_null() | (pl.col("end") > birthday)
        if b == top_age:  # a placement ending on the birthday ending the top band has aged out
            placed_on_it |= pl.col("end") == birthday
        rows = eps.filter(pl.col("birth_date").is_not_null() & birthday.is_between(window_start, as_of)
                          & (pl.col("start") < birthday) & placed_on_it)
        for kind, n in rows.group_by("intervention").len().iter_rows():
            crossed[index[(label, kind)]] += n

    move_p, exit_p, warnings = _rates(states, exposure, exits, moves, stock)
    ageing = _ageing(states, bands, exposure, crossed)
    age_out = np.zeros(k)
    for i, (b, kind) in enumerate(states):
        if b == bands[-1][0]:
            age_out[i] = ageing[i]
        elif b != UNKNOWN_AGE:
            move_p[i, index[(labels[labels.index(b) + 1], kind)]] += ageing[i]
    leave = move_p.sum(axis=1) + exit_p + age_out
    scale = np.where(leave > 1, 1 / np.where(leave > 0, leave, 1), 1.0)
    chain = Chain(
        states=tuple(states), stock=stock, move=move_p * scale[:, None], exit=exit_p * scale,
        age_out=age_out * scale, entries=entries, warnings=tuple(warnings),
    )
    return Calibration(
        chain=chain, window_start=window_start, as_of=as_of, top_age=top_age, episodes=eps.height,
        entries=new.height, exits=left.height, moves=moved.height,
        aged_up=int(sum(crossed[i] for i, (b, _) in enumerate(states) if b not in (bands[-1][0], UNKNOWN_AGE))),
        aged_out=int(sum(crossed[i] for i, (b, _) in enumerate(states) if b == bands[-1][0])),
        lag=lag, lag_placements=lag_n,
    )


def _lag(placed: pl.DataFrame, events: pl.DataFrame) -> tuple[tuple[float, ...], int]:
    """The lag distribution of `placed` (new placements): whole weeks from the latest report in
    the placement's case on or before its start; MAX_LAG_WEEKS and more lumped together."""
    reports = events.filter(pl.col("event_type") == "anmalan").select("case_id", pl.col("date").alias("reported"))
    lags = (
        placed.select("start_id", "case_id", "start")
        .join(reports, on="case_id")
        .filter(pl.col("reported") <= pl.col("start"))
        .group_by("start_id")
        .agg(pl.col("start").first(), pl.col("reported").max())
        .select(weeks=(pl.col("start") - pl.col("reported")).dt.total_days() // 7)
    )
    if lags.is_empty():
        return (), 0
    counts = np.bincount(np.minimum(lags["weeks"].to_numpy(), MAX_LAG_WEEKS), minlength=MAX_LAG_WEEKS + 1)
    return tuple(float(v) for v in counts / counts.sum()), lags.height


def _ageing(states, bands, exposure: np.ndarray, crossed: np.ndarray) -> np.ndarray:
    """Weekly probability to leave each state's age band by a birthday (up a band or out at the top).

    Occurrence ÷ exposure, shrunk twice by AGEING_PRIOR_WEEKS placement-weeks (w): the band's
    rate r_b = (birthdays in the band + w × u) ÷ (placement-weeks in the band + w), with u = 1 ÷
    (band width × 52.18) the even spread; each state's rate = (its birthdays + w × r_b) ÷ (its
    placement-weeks + w). A city's thousands of placement-weeks speak for themselves (HVB 13–17
    holds older children than familjehem 13–17, so it ages out sooner); a unit with a few
    children, or a window without a birthday, stays near the even spread rather than at 0.
    "okänd ålder" does not age.
    """
    w = AGEING_PRIOR_WEEKS
    out = np.zeros(len(states))
    for label, lo, hi in bands:
        idx = [i for i, (b, _) in enumerate(states) if b == label]
        even = 1 / ((hi - lo) * WEEKS_PER_YEAR)
        band_rate = (crossed[idx].sum() + w * even) / (exposure[idx].sum() + w)
        out[idx] = (crossed[idx] + w * band_rate) / (exposure[idx] + w)
    return out


def _add(target: np.ndarray, index: dict, frame: pl.DataFrame, label: str, days: pl.Expr) -> None:
    sums = frame.group_by("intervention").agg(days.sum().alias("days"))
    for kind, value in sums.iter_rows():
        if (label, kind) in index and value:
            target[index[(label, kind)]] += value


def _rates(states, exposure, exits, moves, stock):
    """Occurrence ÷ exposure per state; empty states take their type's pooled rates (see module).

    Pooled moves keep the age band: a pooled jourhem → familjehem rate moves an empty state's
    children to familjehem in their own band.
    """
    k = len(states)
    index = {s: i for i, s in enumerate(states)}
    kinds = list(dict.fromkeys(t for _, t in states))
    move_p, exit_p, warnings = np.zeros((k, k)), np.zeros(k), []
    pooled = {}
    for kind in kinds:
        idx = [i for i, (_, t) in enumerate(states) if t == kind]
        weeks = exposure[idx].sum()
        to_type = {
            other: moves[np.ix_(idx, [j for j, (_, t) in enumerate(states) if t == other])].sum() / weeks if weeks else 0.0
            for other in kinds
        }
        pooled[kind] = (exits[idx].sum() / weeks if weeks else 0.0, to_type)
    for i, (b, t) in enumerate(states):
        if exposure[i] > 0:
            exit_p[i], move_p[i] = exits[i] / exposure[i], moves[i] / exposure[i]
            if exits[i] == 0 and moves[i].sum() == 0 and stock[i] > 0:
                warnings.append(f"{t} {b}: inga avslut under referensperioden, placeringarna antas bestå.")
        else:
            exit_p[i], to_type = pooled[t]
            for other, rate in to_type.items():
                move_p[i, index[(b, other)]] += rate
            if stock[i] > 0:
                warnings.append(f"{t} {b}: ingen placeringstid under referensperioden, typens takt används.")
    return move_p, exit_p, warnings
