"""Surge planning: week by week, when would the 14-day and 4-month limits break under a scenario?

Why it exists: in the autumn of 2015, 5,519 unaccompanied children came to Stockholm county
against 888 planned (seeds 000, 001). Units recruited, reorganised and hired consultants, but
nobody saw the backlog grow until lex Sarah reports followed. This module turns the unit's own
recent history into a simple queue model and answers "if inflow rises by F from week A, and we
add N caseworkers from week W, in which week does the förhandsbedömning wait pass 14 days, or
the investigation time pass four months?" — so a manager can ask before it happens.

It is a planning aid, not a forecast. The model (a deterministic fluid queue, one step a week):

    inflow a_t      = reports_per_week × inflow factor × surge factor (in the surge weeks)
    caseworkers N_t = caseworkers on as_of + every staffing change from its week on (≥ 0)
    capacity        μd_t = N_t × decisions per caseworker-week × (1 − s) / (1 − s₀)
                    μc_t = N_t × conclusions per caseworker-week × s / s₀
                    (s = the scenario's share of staff time on investigations, s₀ the baseline's;
                    with s = s₀ both factors are 1)
    decisions       d_t = min(B_{t−1}, μd_t)      a report is decided at the earliest the week
    backlog         B_t = B_{t−1} − d_t + a_t     after it came in; the rest carries over
    investigations  i_t = d_t × share of decisions that open an investigation
    conclusions     c_t = min(U_{t−1}, μc_t);  U_t = U_{t−1} − c_t + i_t
    expected wait   7 × B_t / μd_t days (Little's law: a report arriving now waits until the
                    backlog ahead of it is cleared at this week's capacity)
    expected investigation time   7 × U_t / μc_t days
    caseload        (other open cases + B_t + U_t) / N_t, against the norm (arenden_per_handlaggare)

Limits, said plainly:
- Capacity is the throughput *observed* in the calibration window. A unit that had spare
  capacity then is assumed to have none, so the model is pessimistic about absorbing a surge;
  a unit already overloaded then is modelled as it was.
- New staff are average staff of the subtree from their first week: no recruitment lead time,
  no introduction, no consultants' different pace. Put the change in the week they are productive.
- Everything is an average: no seasonality, no priority between urgent and other reports, no
  variation from week to week (a real queue with the same averages waits longer). A wait under
  the limit is not a promise that every report is decided in time.
- Reports and investigations are counted, not cases (a case with two open reports counts twice);
  open cases other than those (ongoing insatser) are held constant.
- No minimum handling time beyond one week: with much spare capacity, queues drain faster than
  real investigations can be done, so times far below the observed ones are optimistic.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import numpy as np
import polars as pl

from egenkontroll.core import orgtree
from egenkontroll.core.dates_sv import week_text, weeks_ahead
from egenkontroll.core.linking import report_kind
from egenkontroll.core.obligations import Evaluation, evaluate
from egenkontroll.core.schema import CASEWORKERS, conform

FB_LIMIT_DAYS = 14  # forhandsbedomning_14d
UTR_LIMIT_DAYS = 122  # utredning_4m: four months ≈ 122 days
DEFAULT_NORM = 20.0  # arenden_per_handlaggare, seed 003
NORM_KPI = "arenden_per_handlaggare"
BACKLOG_RULES = ("forhandsbedomning_14d", "utredning_4m")
OPEN = ("pending", "overdue")
FLAGS = ("fb_14d_bryts", "utr_4m_bryts", "caseload_over_norm")
LAG_FROM_DATA = "data"  # Scenario.unaccompanied_lag: the lag distribution of the reference window
STAFF_CHANGE = re.compile(r"^\s*([+-]?\d+)\s*@\s*(\d+)\s*$")


@dataclass(frozen=True)
class Baseline:
    """What the unit's last `weeks` weeks before as_of say (see `calibrate` for each estimate)."""

    unit_id: str
    as_of: dt.date
    weeks: int
    reports: int
    decisions: int
    assessments: int
    opened_by_decision: int
    concluded: int
    undecided: int
    open_investigations: int
    other_open_cases: int
    caseworkers: int
    caseworker_weeks: float
    investigation_share: float
    unaccompanied_reports: int = 0  # of `reports`: those about a child marked unaccompanied

    @property
    def unaccompanied_share(self) -> float:
        return self.unaccompanied_reports / self.reports if self.reports else 0.0

    @property
    def reports_per_week(self) -> float:
        return self.reports / self.weeks

    @property
    def inleda_share(self) -> float:
        return self.opened_by_decision / self.assessments if self.assessments else 0.0

    @property
    def decisions_per_caseworker_week(self) -> float:
        return self.decisions / self.caseworker_weeks if self.caseworker_weeks else 0.0

    @property
    def conclusions_per_caseworker_week(self) -> float:
        return self.concluded / self.caseworker_weeks if self.caseworker_weeks else 0.0

    def warnings(self) -> list[str]:
        """What makes this baseline a weak ground for planning, in words for the user."""
        out = []
        if not self.caseworkers:
            out.append("Enheten har inga aktiva handläggare på avstämningsdagen.")
        if not self.decisions:
            out.append("Enheten fattade inga beslut om förhandsbedömning under perioden.")
        if not self.concluded:
            out.append(
                "Enheten avslutade inga utredningar under perioden: välj en enhet som både tar emot "
                "och utreder (till exempel hela enheten eller förvaltningen)."
            )
        return out

    def to_frame(self) -> pl.DataFrame:
        """One row, so a page can keep it in the snapshot's frame cache."""
        return pl.DataFrame([asdict(self)])

    @classmethod
    def from_frame(cls, frame: pl.DataFrame) -> Baseline:
        return cls(**frame.row(0, named=True))


@dataclass(frozen=True)
class Surge:
    """Inflow × factor in weeks from_week … from_week + weeks − 1."""

    factor: float
    from_week: int
    weeks: int


@dataclass(frozen=True)
class StaffChange:
    """`change` caseworkers more (or fewer, negative) from week `from_week` on."""

    change: int
    from_week: int


@dataclass(frozen=True)
class Scenario:
    weeks: int = 26
    inflow: float = 1.0
    surge: Surge | None = None
    staffing: tuple[StaffChange, ...] = field(default_factory=tuple)
    investigation_share: float | None = None  # None: the baseline's
    caseload_norm: float = DEFAULT_NORM
    unaccompanied: Surge | None = None  # inflow of unaccompanied children × factor in its weeks
    # When the unaccompanied surge's children are placed (core.placements.lagged): None at once,
    # a number of weeks after they come, or LAG_FROM_DATA (the reference window's distribution).
    # Reports come at once whatever the lag: it only moves the placements.
    unaccompanied_lag: int | str | None = None

    def __post_init__(self):
        if self.weeks < 1:
            raise ValueError("scenariot behöver minst en vecka")
        if self.inflow < 0 or (self.surge and self.surge.factor < 0):
            raise ValueError("inflödet kan inte vara negativt")
        if self.surge and (self.surge.from_week < 1 or self.surge.weeks < 0):
            raise ValueError("toppen börjar tidigast vecka 1 och varar minst 0 veckor")
        u = self.unaccompanied
        if u and (u.factor < 0 or u.from_week < 1 or u.weeks < 0):
            raise ValueError("inflödet av ensamkommande: faktor minst 0, från vecka 1, minst 0 veckor")
        lag = self.unaccompanied_lag
        if lag is not None and lag != LAG_FROM_DATA and not (isinstance(lag, int) and 0 <= lag <= 52):
            raise ValueError(f"fördröjningen till placering: 0–52 veckor eller ”{LAG_FROM_DATA}”")
        if any(c.from_week < 1 for c in self.staffing):
            raise ValueError("en personalförändring gäller tidigast från vecka 1")
        if self.investigation_share is not None and not 0 <= self.investigation_share <= 1:
            raise ValueError("andelen tid på utredningar ska vara mellan 0 och 1")


def parse_staffing(text: str | None) -> tuple[StaffChange, ...]:
    """"+3@4,-2@10" → 3 more caseworkers from week 4, 2 fewer from week 10 (the CLI's and the page's notation)."""
    out = []
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        match = STAFF_CHANGE.match(part)
        if not match:
            raise ValueError(f"”{part}”: skriv ändring@vecka, till exempel +3@4")
        out.append(StaffChange(int(match[1]), int(match[2])))
    return tuple(out)


def norm_from(catalogue: Mapping) -> float:
    """The caseload norm: the target of arenden_per_handlaggare in the (configured) catalogue."""
    kpi = catalogue.get(NORM_KPI)
    return float(kpi.target) if kpi is not None and kpi.target is not None else DEFAULT_NORM


# ---------------------------------------------------------------- calibration


def calibrate(
    events: pl.DataFrame,
    caseworkers: pl.DataFrame,
    org_units: pl.DataFrame,
    unit_id: str,
    as_of: dt.date,
    weeks: int = 26,
    evaluation: Evaluation | None = None,
    obligations: pl.DataFrame | None = None,
) -> Baseline:
    """The baseline of `unit_id`'s subtree from the `weeks` weeks ending on as_of (both days in).

    Each estimate, from the linked events (core.linking, through the obligations engine):
    - reports: `anmalan` events of kind anmalan in the window at a unit of the subtree; per week = ÷ weeks.
    - decisions: reports decided in the window (`Links.decisions`), counted at the unit of the
      deciding förhandsbedömning — the unit that did the work.
    - share opening an investigation: `forhandsbedomning` events in the window with outcome
      `inleda` ÷ all of them (the key figure anmalan_inledd_andel).
    - concluded: investigations (`Links.investigations`) concluded in the window, at the unit of
      the concluding event.
    - undecided and open investigations on as_of: the `forhandsbedomning_14d` and `utredning_4m`
      obligations still pending or overdue, at the unit responsible on as_of (as every figure
      attributes open obligations); reports whose case closed undecided are not counted.
    - other open cases: open cases on as_of (oppna_arenden) with neither of those, e.g. ongoing
      insatser — part of the caseload, held constant by the model.
    - caseworkers: rows of caseworkers.csv in the subtree active on as_of; caseworker-weeks: the
      days each was employed inside the window ÷ 7. Throughput per caseworker-week = observed
      completions ÷ caseworker-weeks (every caseworker counted, whatever their group's work).
    - share of staff time on investigations: assumed to follow the work in progress — the
      investigation-days ÷ (investigation-days + undecided-report-days) inside the window. It only
      matters when a scenario moves staff time between assessments and investigations.
    `evaluation` may be the obligations evaluation of the same as_of (any rules including the
    two above), to avoid evaluating again. `obligations` may be its obligations with staff's marks
    applied (core.marks.apply_marks): a report or investigation marked registreringsfel or ej
    tillämplig has status `marked`, so it is neither in the backlog nor waiting — as every key
    figure leaves it out of pending and overdue.
    """
    if weeks < 1:
        raise ValueError("kalibreringen behöver minst en vecka")
    if evaluation is None or evaluation.as_of != as_of:
        evaluation = evaluate(events, as_of, list(BACKLOG_RULES))
    links = evaluation.links
    if obligations is None:
        obligations = evaluation.obligations
    start = as_of - dt.timedelta(days=7 * weeks - 1)
    inside = _unit_filter(org_units, unit_id)
    ev = links.events.filter(pl.col("date") <= as_of)
    in_window = pl.col("date").is_between(start, as_of)
    units = ev.select("event_id", "unit_id", "outcome")

    # anmälningar only: an ansökan or other information waits for no förhandsbedömning (issue 11)
    reports = ev.filter((pl.col("event_type") == "anmalan") & (report_kind() == "anmalan") & in_window & inside)
    assessed = ev.filter((pl.col("event_type") == "forhandsbedomning") & in_window & inside)
    decided = (
        links.decisions.filter(pl.col("decision_date").is_between(start, as_of))
        .join(units.rename({"event_id": "decision_id"}), on="decision_id", how="left")
        .filter(inside)
    )
    concluded = (
        links.investigations.filter(pl.col("concluded").is_between(start, as_of))
        .join(units.rename({"event_id": "concluded_id"}).drop("outcome"), on="concluded_id", how="left")
        .filter(inside)
    )
    backlog = obligations.filter(
        pl.col("rule").is_in(BACKLOG_RULES) & pl.col("status").is_in(OPEN) & inside
    )
    staff = conform(caseworkers, CASEWORKERS).filter(inside)
    return Baseline(
        unit_id=unit_id,
        as_of=as_of,
        weeks=weeks,
        reports=reports.height,
        decisions=decided.height,
        assessments=assessed.height,
        opened_by_decision=assessed.filter(pl.col("outcome") == "inleda").height,
        concluded=concluded.height,
        undecided=backlog.filter(pl.col("rule") == "forhandsbedomning_14d").height,
        open_investigations=backlog.filter(pl.col("rule") == "utredning_4m").height,
        other_open_cases=_other_open_cases(events, evaluation, obligations, org_units, caseworkers, unit_id, backlog,
                                           start),
        caseworkers=staff.filter(_active_on(as_of)).height,
        caseworker_weeks=_days_inside(staff, "start_date", "end_date", start, as_of) / 7,
        investigation_share=_investigation_share(links, ev, inside, start, as_of),
        unaccompanied_reports=reports.filter(pl.col("unaccompanied").fill_null(False)).height,
    )


def _unit_filter(org_units: pl.DataFrame, unit_id: str) -> pl.Expr:
    """`unit_id` column inside the subtree; at the root also units missing from the tree."""
    flat = orgtree.flatten(org_units)
    ids = orgtree.subtree(flat, unit_id)["unit_id"].to_list()
    inside = pl.col("unit_id").is_in(ids)
    if unit_id in orgtree.roots(flat):
        inside |= pl.col("unit_id").is_null() | ~pl.col("unit_id").is_in(flat["unit_id"].to_list())
    return inside


def _active_on(day: dt.date) -> pl.Expr:
    return (pl.col("start_date").is_null() | (pl.col("start_date") <= day)) & (
        pl.col("end_date").is_null() | (pl.col("end_date") >= day)
    )


def _days_inside(frame: pl.DataFrame, begin: str, end: str, start: dt.date, as_of: dt.date) -> float:
    """Sum over rows of the days of [begin, end] (open ends: the window's) inside [start, as_of]."""
    if frame.is_empty():
        return 0.0
    lo = pl.max_horizontal(pl.col(begin).fill_null(start), pl.lit(start))
    hi = pl.min_horizontal(pl.col(end).fill_null(as_of), pl.lit(as_of))
    days = ((hi - lo).dt.total_days() + 1).clip(lower_bound=0)
    return float(frame.select(days.sum()).item() or 0)


def _investigation_share(links, ev: pl.DataFrame, inside: pl.Expr, start: dt.date, as_of: dt.date) -> float:
    """Investigation-days ÷ (investigation-days + undecided-report-days) in the window.

    A report is undecided from its date until the day before its decision; an investigation is
    open from its opening until the day before its conclusion (attributed to the unit of the
    report or the opening event).
    """
    at_unit = ev.select("event_id", "unit_id")
    reports = (
        ev.filter((pl.col("event_type") == "anmalan") & (report_kind() == "anmalan"))
        .select(pl.col("event_id").alias("report_id"), "date", "unit_id")
        .join(links.decisions, on="report_id", how="left")
        .filter(inside)
        .with_columns(last=(pl.col("decision_date") - dt.timedelta(days=1)))
    )
    investigations = (
        links.investigations.join(at_unit.rename({"event_id": "inv_id"}), on="inv_id", how="left")
        .filter(inside)
        .with_columns(last=(pl.col("concluded") - dt.timedelta(days=1)))
    )
    undecided_days = _days_inside(reports, "date", "last", start, as_of)
    investigation_days = _days_inside(investigations, "opened", "last", start, as_of)
    total = undecided_days + investigation_days
    return investigation_days / total if total else 0.5


def _other_open_cases(events, evaluation, obligations, org_units, caseworkers, unit_id, backlog, start) -> int:
    """Open cases on as_of in the subtree with no undecided report and no open investigation."""
    from egenkontroll.core import kpis

    open_cases = kpis.items(
        events, obligations, org_units, caseworkers, "oppna_arenden", start, evaluation.as_of,
        evaluation.as_of, unit_id=unit_id, links=evaluation.links,
    )
    return open_cases.join(backlog.select("case_id").unique(), on="case_id", how="anti").height


# ---------------------------------------------------------------- the simulation


def week_start(as_of: dt.date, week: int) -> dt.date:
    """Monday of simulated week `week` (week 1 = the week after the one as_of falls in)."""
    return as_of - dt.timedelta(days=as_of.weekday()) + dt.timedelta(weeks=week)


def week_label(day: dt.date) -> str:
    """ISO year and week, as Swedish calendars print it: 2027-03."""
    iso = day.isocalendar()
    return f"{iso.year}-{iso.week:02d}"


def inflow_factors(scenario: Scenario, unaccompanied_share: float = 0.0) -> np.ndarray:
    """The inflow multiplier of each week 1 … weeks.

    The unaccompanied surge multiplies only the unaccompanied share u of the reports: the
    total then is × (1 − u + u × factor) in its weeks (on top of `inflow` and `surge`).
    """
    week = np.arange(1, scenario.weeks + 1)
    factors = np.full(scenario.weeks, scenario.inflow, dtype=float)
    if scenario.surge is not None:
        s = scenario.surge
        factors[(week >= s.from_week) & (week < s.from_week + s.weeks)] *= s.factor
    factors *= 1 - unaccompanied_share + unaccompanied_share * stream_factors(scenario.unaccompanied, scenario.weeks)
    return factors


def stream_factors(surge: Surge | None, weeks: int) -> np.ndarray:
    """1 every week, `surge.factor` in the surge's weeks (the unaccompanied stream's multiplier)."""
    week = np.arange(1, weeks + 1)
    out = np.ones(weeks)
    if surge is not None:
        out[(week >= surge.from_week) & (week < surge.from_week + surge.weeks)] = surge.factor
    return out


def staffing(baseline: Baseline, scenario: Scenario) -> np.ndarray:
    """Caseworkers in each week 1 … weeks (never below zero)."""
    week = np.arange(1, scenario.weeks + 1)
    staff = np.full(scenario.weeks, float(baseline.caseworkers))
    for change in scenario.staffing:
        staff += np.where(week >= change.from_week, change.change, 0)
    return np.maximum(staff, 0.0)


def _time_factors(baseline: Baseline, scenario: Scenario) -> tuple[float, float]:
    """How the scenario's split of staff time scales assessment and investigation capacity."""
    s0, s = baseline.investigation_share, scenario.investigation_share
    if s is None or s == s0:
        return 1.0, 1.0
    assess = (1 - s) / (1 - s0) if s0 < 1 else 1.0
    investigate = s / s0 if s0 > 0 else 1.0
    return assess, investigate


def simulate(baseline: Baseline, scenario: Scenario) -> pl.DataFrame:
    """One row per simulated week: flows, queues, expected times and the three flags.

    The recursion runs over weeks (each week's backlog depends on the last); all per-week inputs
    are whole arrays.
    """
    n = scenario.weeks
    inflow = baseline.reports_per_week * inflow_factors(scenario, baseline.unaccompanied_share)
    staff = staffing(baseline, scenario)
    assess, investigate = _time_factors(baseline, scenario)
    decision_cap = staff * baseline.decisions_per_caseworker_week * assess
    conclusion_cap = staff * baseline.conclusions_per_caseworker_week * investigate
    decisions, undecided, opened, concluded, open_inv = (np.zeros(n) for _ in range(5))
    backlog, investigations = float(baseline.undecided), float(baseline.open_investigations)
    for t in range(n):
        decisions[t], opened[t], concluded[t], backlog, investigations = _step(
            backlog, investigations, inflow[t], decision_cap[t], conclusion_cap[t], baseline.inleda_share
        )
        undecided[t], open_inv[t] = backlog, investigations
    wait = _days_to_clear(undecided, decision_cap)
    duration = _days_to_clear(open_inv, conclusion_cap)
    with np.errstate(divide="ignore", invalid="ignore"):
        caseload = np.where(
            staff > 0, (baseline.other_open_cases + undecided + open_inv) / np.where(staff > 0, staff, 1), math.inf
        )
    starts = [week_start(baseline.as_of, w) for w in range(1, n + 1)]
    return pl.DataFrame(
        {
            "week": np.arange(1, n + 1),
            "week_start": starts,
            "iso_week": [week_label(d) for d in starts],
            "inflow": inflow,
            "decisions": decisions,
            "undecided": undecided,
            "new_investigations": opened,
            "concluded": concluded,
            "open_investigations": open_inv,
            "caseworkers": staff,
            "decision_capacity": decision_cap,
            "conclusion_capacity": conclusion_cap,
            "wait_days": wait,
            "investigation_days": duration,
            "cases_per_caseworker": caseload,
        },
        schema_overrides={"week": pl.Int32, "week_start": pl.Date},
    ).with_columns(
        fb_14d_bryts=pl.col("wait_days") > FB_LIMIT_DAYS,
        utr_4m_bryts=pl.col("investigation_days") > UTR_LIMIT_DAYS,
        caseload_over_norm=pl.col("cases_per_caseworker") > scenario.caseload_norm,
    )


def _step(backlog, investigations, inflow, decision_cap, conclusion_cap, inleda_share):
    """One week of the fluid queue: (decisions, opened, concluded, backlog, open investigations)."""
    decided = min(backlog, decision_cap)
    backlog += inflow - decided
    opened = decided * inleda_share
    concluded = min(investigations, conclusion_cap)
    return decided, opened, concluded, backlog, investigations + opened - concluded


MAX_STAFF = 100_000


def staff_needed(baseline: Baseline, scenario: Scenario) -> pl.DataFrame:
    """Caseworkers needed each week: by the limits (queue model) and by the caseload norm.

    `by_limits`: week by week, the smallest whole number of caseworkers that keeps that week's
    expected wait ≤ 14 days and expected investigation time ≤ 122 days, given the queues left by
    the weeks before staffed the same way (a greedy search: more staff never lengthens either
    time, so a binary search finds the smallest). Null when no number will do — the baseline
    shows no throughput per caseworker. It starts from today's queues, so an existing backlog may
    need many caseworkers in week 1.
    `by_norm`: (other open cases + undecided + open investigations) ÷ the norm, rounded up, with the
    queues of the scenario's own staffing plan (`simulate`); `planned` is that plan.
    """
    inflow = baseline.reports_per_week * inflow_factors(scenario, baseline.unaccompanied_share)
    assess, investigate = _time_factors(baseline, scenario)
    per_decide = baseline.decisions_per_caseworker_week * assess
    per_conclude = baseline.conclusions_per_caseworker_week * investigate
    backlog, investigations = float(baseline.undecided), float(baseline.open_investigations)
    needed: list[int | None] = []

    def keeps(staff: int, arriving: float) -> tuple[bool, tuple]:
        out = _step(backlog, investigations, arriving, staff * per_decide, staff * per_conclude, baseline.inleda_share)
        wait = _days_to_clear(np.array([out[3]]), np.array([staff * per_decide]))[0]
        duration = _days_to_clear(np.array([out[4]]), np.array([staff * per_conclude]))[0]
        return wait <= FB_LIMIT_DAYS and duration <= UTR_LIMIT_DAYS, out

    for arriving in inflow:
        hi = max(1, baseline.caseworkers)
        while not keeps(hi, arriving)[0] and hi < MAX_STAFF:
            hi *= 2
        ok, out = keeps(hi, arriving)
        if not ok:
            needed.append(None)
            backlog, investigations = out[3], out[4]
            continue
        lo = -1  # keeps(lo) is false or lo is below zero
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if keeps(mid, arriving)[0]:
                hi = mid
            else:
                lo = mid
        needed.append(hi)
        backlog, investigations = keeps(hi, arriving)[1][3:5]
    plan = simulate(baseline, scenario)
    by_norm = np.ceil(
        (baseline.other_open_cases + plan["undecided"].to_numpy() + plan["open_investigations"].to_numpy())
        / scenario.caseload_norm
    )
    return pl.DataFrame(
        {
            "week": plan["week"], "week_start": plan["week_start"], "iso_week": plan["iso_week"],
            "planned": plan["caseworkers"], "by_limits": pl.Series(needed, dtype=pl.Int64),
            "by_norm": by_norm.astype(np.int64),
        }
    )


def simulate_bands(baseline: Baseline, scenario: Scenario, runs: int = 300, seed: int = 1) -> dict:
    """The queue model with chance in the inflow: N seeded runs with a Poisson number of reports a
    week (mean as in `simulate`), capacity as in `simulate`. Returns per week the 2.5 and 97.5
    percentiles of the expected wait and investigation time (`wait_low`, `wait_high`,
    `investigation_low`, `investigation_high`, days; a queue nobody works on is inf) and, per limit,
    the 2.5/97.5 % points of the first week it breaks over the runs (None = holds in that share of
    runs): `breaks = {"fb_14d_bryts": (early, late), "utr_4m_bryts": (early, late)}`.

    Only the arrivals are random; the band says how much the break week moves with the chance of
    who reports when, not with the error of the calibrated rates.
    """
    if not 1 <= runs <= 2000:
        raise ValueError("antalet körningar ska vara mellan 1 och 2000")
    n = scenario.weeks
    rng = np.random.default_rng(seed)
    inflow = rng.poisson(baseline.reports_per_week * inflow_factors(scenario, baseline.unaccompanied_share), (runs, n))
    staff = staffing(baseline, scenario)
    assess, investigate = _time_factors(baseline, scenario)
    decision_cap = staff * baseline.decisions_per_caseworker_week * assess
    conclusion_cap = staff * baseline.conclusions_per_caseworker_week * investigate
    backlog = np.full(runs, float(baseline.undecided))
    investigations = np.full(runs, float(baseline.open_investigations))
    undecided, open_inv = np.zeros((runs, n)), np.zeros((runs, n))
    for t in range(n):
        decided = np.minimum(backlog, decision_cap[t])
        backlog = backlog + inflow[:, t] - decided
        concluded = np.minimum(investigations, conclusion_cap[t])
        investigations = investigations + decided * baseline.inleda_share - concluded
        undecided[:, t], open_inv[:, t] = backlog, investigations
    wait = np.vstack([_days_to_clear(undecided[r], decision_cap) for r in range(runs)])
    duration = np.vstack([_days_to_clear(open_inv[r], conclusion_cap) for r in range(runs)])
    # "nearest": a run's value, never an interpolation between two infinite waits (NaN)
    out = {
        "wait_low": np.percentile(wait, 2.5, axis=0, method="nearest"),
        "wait_high": np.percentile(wait, 97.5, axis=0, method="nearest"),
        "investigation_low": np.percentile(duration, 2.5, axis=0, method="nearest"),
        "investigation_high": np.percentile(duration, 97.5, axis=0, method="nearest"),
    }
    breaks = {}
    for flag, days, limit in (("fb_14d_bryts", wait, FB_LIMIT_DAYS), ("utr_4m_bryts", duration, UTR_LIMIT_DAYS)):
        over = days > limit
        first = np.where(over.any(axis=1), over.argmax(axis=1) + 1, n + 1)  # n + 1: holds
        early, late = (int(v) for v in np.percentile(first, [2.5, 97.5], method="nearest"))
        breaks[flag] = (early if early <= n else None, late if late <= n else None)
    out["breaks"] = breaks
    return out


def describe_break_bands(breaks: dict, weeks: int) -> list[str]:
    """One sentence per limit on how the break week moves with chance (simulate_bands)."""
    subjects = {"fb_14d_bryts": "14-dagarsfristen", "utr_4m_bryts": "4-månadersfristen"}
    lines = []
    for flag, subject in subjects.items():
        early, late = breaks[flag]
        if early is None:
            lines.append(f"Med slumpen i inflödet håller {subject} hela perioden i minst 97,5 % av simuleringarna.")
        elif late is None:
            lines.append(f"Med slumpen i inflödet bryts {subject} tidigast v. {early} (2,5 %); i minst 2,5 % av "
                         f"simuleringarna håller den hela perioden ({weeks} veckor).")
        else:
            lines.append(f"Med slumpen i inflödet bryts {subject} i 95 av 100 simuleringar mellan v. {early} och v. {late}.")
    return lines


def _days_to_clear(queue: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """7 × queue ÷ weekly capacity; an empty queue waits 0 days, a queue nobody works on forever."""
    with np.errstate(divide="ignore", invalid="ignore"):
        days = 7 * queue / np.where(capacity > 0, capacity, 1)
    return np.where(queue <= 0, 0.0, np.where(capacity > 0, days, math.inf))


def describe_breaks(frame: pl.DataFrame, norm: float) -> list[str]:
    """One sentence per limit: the week it breaks (ISO week and weeks from now) or that it holds."""
    breaks = first_breaks(frame)
    subjects = {
        "fb_14d_bryts": ("Fristen för förhandsbedömning (14 dagar)", "bryts"),
        "utr_4m_bryts": ("Fristen för utredning (4 månader)", "bryts"),
        "caseload_over_norm": (f"Riktmärket {norm:g} ärenden per handläggare", "överskrids"),
    }
    lines = []
    for flag, (subject, verb) in subjects.items():
        week = breaks[flag]
        if week is None:
            lines.append(f"{subject} håller hela perioden ({frame.height} veckor).")
        else:
            start = frame.filter(pl.col("week") == week)["week_start"][0]
            lines.append(f"{subject} {verb} {week_text(start)} ({weeks_ahead(week)}).")
    return lines


def first_breaks(frame: pl.DataFrame) -> dict[str, int | None]:
    """For each flag, the first simulated week it is true (None: it holds the whole period)."""
    out: dict[str, int | None] = {}
    for flag in FLAGS:
        hits = frame.filter(pl.col(flag))["week"]
        out[flag] = int(hits[0]) if hits.len() else None
    return out
