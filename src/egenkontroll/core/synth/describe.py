"""What a generated data set looks like, beside the public figures it is calibrated to.

Why: synthetic data is only useful if it behaves like a real municipality's. `egenkontroll
generate --describe DIR` reads a data set (directory, .zip or .xlsx) and prints each marginal
beside its target and source; docs/synthetic-data.md shows the same table. It reads the files
itself (all columns as text) so that it works on any interchange-v1 data set without the importer.
Deadline misses are counted as the rules count them (limits moved to the next working day).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from egenkontroll.core.synth import params as P
from egenkontroll.core.synth import workdays as W

_DATES = {"events": ("date", "until"), "caseworkers": ("start_date", "end_date"), "org_units": ()}
_INVESTIGATING = ("-UB", "-UU", "-EKB")
_FEW_VALUES = ("event_type", "unit_id", "caseworker_id", "outcome", "intervention", "legal_basis", "source",
               "gender", "unaccompanied")
PLACEMENTS = ("familjehem", "natverkshem", "jourhem", "hvb", "stodboende", "sis")


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    target: str
    source: str


def read_tables(path: Path | str) -> dict[str, pl.DataFrame]:
    """org_units, caseworkers and events of a data set, dates parsed, everything else text."""
    path = Path(path)
    if path.suffix == ".xlsx":
        raw = _read_xlsx(path)
    elif path.suffix == ".zip":
        with zipfile.ZipFile(path) as z:
            raw = {n: pl.read_csv(io.BytesIO(z.read(f"{n}.csv")), infer_schema=False) for n in _DATES}
    else:
        raw = {n: pl.read_csv(path / f"{n}.csv", infer_schema=False) for n in _DATES}
    return {n: f.with_columns([pl.col(c).str.to_date() for c in _DATES[n]]) for n, f in raw.items()}


def _compact(events: pl.DataFrame) -> pl.DataFrame:
    """Few-valued columns as categoricals: a national data set then fits in a few gigabytes."""
    return events.with_columns([pl.col(c).cast(pl.Categorical) for c in _FEW_VALUES])


def _read_xlsx(path: Path) -> dict[str, pl.DataFrame]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    tables = {}
    for name in _DATES:
        rows = book[name].iter_rows(values_only=True)
        header = [h for h in next(rows) if h is not None]
        data = [(tuple(r) + (None,) * len(header))[: len(header)] for r in rows]
        tables[name] = pl.DataFrame(data, schema=dict.fromkeys(header, pl.Utf8), orient="row")
    book.close()
    return tables


def period_start(events: pl.DataFrame) -> date:
    """The first day from which reports arrive at full rate (history before it holds only the
    reports of cases still open then): where the 30-day count first reaches 80 % of its median."""
    days = events.filter(pl.col("event_type") == "anmalan")["date"].to_physical().to_numpy()
    first, last = int(days.min()), int(days.max())
    counts = np.bincount(days - first, minlength=last - first + 1)
    window = np.convolve(counts, np.ones(30), mode="valid")
    recent = window[-min(window.size, 730):]
    full = np.flatnonzero(window >= 0.8 * np.median(recent))
    start = first + int(full[0]) if full.size else first
    return np.datetime64(start, "D").item()


def marginals(tables: dict[str, pl.DataFrame]) -> list[Row]:
    """Generated figures beside their targets (last 12 months where a figure is per year)."""
    tables = {**tables, "events": _compact(tables["events"])}
    ev = tables["events"]
    end = ev["date"].max()
    start = period_start(ev)
    year = ev.filter(pl.col("date") > end - timedelta(days=365))
    period = ev.filter(pl.col("date") >= start)
    reports = year.filter(pl.col("event_type") == "anmalan")
    decided = year.filter(pl.col("event_type") == "forhandsbedomning")
    native = ev.filter(pl.col("unaccompanied").is_null() | (pl.col("unaccompanied") != "1"))
    placed = _placed_children(native, end - timedelta(days=364), end)
    starts = native.filter((pl.col("date") >= start) & (pl.col("event_type") == "insats_start")
                           & pl.col("intervention").is_in(PLACEMENTS))
    n_districts = tables["org_units"].filter(pl.col("level") == "forvaltning").height
    return [
        Row("Period (härledd)", f"{start} – {end}", "—", "--start/--years, standard de tre senaste åren"),
        Row("Anmälningar per år", _int(reports.height), _volume_target(n_districts),
            "Socialstyrelsen 2021: ~422 000 anmälningar"),
        Row("Anmälningar per barn och år", _num(reports.height / max(reports["person"].n_unique(), 1)),
            _num(P.REPORTS_PER_CHILD_YEAR), "Socialstyrelsen 2021: ~422 000 om ~216 000 barn"),
        Row("Anmälningar som ledde till utredning", _pct(_share(decided, pl.col("outcome").is_in(
            ["inleda", "tillfors_utredning"]))), "~" + _pct(P.SHARE_INVESTIGATED, 0), "Socialstyrelsen 2018"),
        Row("Anmälningar som gällde pojkar", _pct(_share(reports, pl.col("gender") == "M")), _pct(P.SHARE_BOYS_REPORTS, 0),
            "Socialstyrelsen 2018"),
        Row("Placerade barn under året per 100 anmälningar (utom ensamkommande)",
            _num(100 * placed.height / max(reports.height, 1)),
            _num(100 * (P.PLACED_GIRLS_2021 + P.PLACED_BOYS_2021) / P.REPORTS_2021),
            "Socialstyrelsen 2021: ~11 500 flickor och ~13 700 pojkar 0–20 år"),
        Row("Andel pojkar bland placerade barn (utom ensamkommande)", _pct(_share(placed, pl.col("gender") == "M")),
            _pct(P.PLACED_BOYS_2021 / (P.PLACED_GIRLS_2021 + P.PLACED_BOYS_2021)), "Socialstyrelsen 2021"),
        Row("Placeringar enligt SoL (utom ensamkommande)", _pct(_share(starts, pl.col("legal_basis") == "SoL")),
            "~" + _pct(P.SHARE_PLACEMENTS_SOL, 0),
            "Socialstyrelsen 2021"),
        Row("Anmälningar i juli / genomsnittsmånad", _num(_july_index(period)), "< 1 (≈ 0,65)",
            "färre anmälningar i juli; storleken antagande"),
        Row("Ensamkommande barn, andel av anmälningar", _pct(_share(reports, pl.col("unaccompanied") == "1")),
            "≈ 1 % planerat", "antagande (mellan 2014 och 2021)"),
        Row("Ärenden per handläggare, utredningsgrupper", _num(_caseload(tables, start, end)), "18–20 (40 i kris)",
            "seed 003 (Spånga-Tensta 2015)"),
        Row("Handläggare per grupp (median)", _num(_group_size(tables, end)), "6–8", "seed 003"),
        Row("Utredningar längre än 4 månader", _pct(_late_investigations(period)), "20–25 % (41 % i kris)",
            "seed 003: 2015 resp. 2013"),
        Row("Förhandsbedömningar efter mer än 10 arbetsdagar", _pct(_late_assessments(period, workdays=10)),
            "0–27 %", "seed 003: 2015 resp. 2014"),
        Row("Förhandsbedömningar efter mer än 14 dagar", _pct(_late_assessments(period)), "få när bemannat",
            "SoL: 14 dagar; storleken antagande"),
        Row("Personalomsättning per år (handläggare som slutat)", _pct(_turnover(tables, end)),
            "hög i kris (~40 % nya på ett år)", "seed 003"),
    ]


def quarterly(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Per quarter of the period: reports, unaccompanied, misses of 14 days (all, unaccompanied)
    and of 4 months (by the quarter the investigation opened)."""
    ev = _compact(tables["events"])
    period = ev.filter(pl.col("date") >= period_start(ev))
    q = pl.col("date").dt.truncate("3mo")
    reports = period.filter(pl.col("event_type") == "anmalan").group_by(q.alias("kvartal")).agg(
        pl.len().alias("anmälningar"), (pl.col("unaccompanied") == "1").sum().alias("ensamkommande"))
    unacc = period.select("event_id", pl.col("unaccompanied").fill_null("") == "1")
    fb = _assessment_delays(period).join(unacc, on="event_id").group_by(
        pl.col("report_date").dt.truncate("3mo").alias("kvartal")).agg(
        (100 * pl.col("late").mean()).round(1).alias("FB > 14 d %"),
        (100 * pl.col("late").filter(pl.col("unaccompanied")).mean()).round(1).alias("ensamk. FB > 14 d %"))
    inv = _investigation_delays(period).group_by(pl.col("opened").dt.truncate("3mo").alias("kvartal")).agg(
        (100 * pl.col("late").mean()).round(1).alias("utr > 4 mån %"))
    return reports.join(fb, on="kvartal", how="left").join(inv, on="kvartal", how="left").sort("kvartal")


# ---------------------------------------------------------------- the figures


def _assessment_delays(ev: pl.DataFrame, workdays: int | None = None) -> pl.DataFrame:
    """Reports whose limit has passed by the last day of the data, late when decided after it or
    not at all."""
    end = ev["date"].max()
    reports = ev.filter(pl.col("event_type") == "anmalan").select("event_id", pl.col("date").alias("report_date"))
    fb = ev.filter(pl.col("event_type") == "forhandsbedomning").select(pl.col("ref").alias("event_id"), "date")
    both = reports.join(fb, on="event_id", how="left")
    days = both["report_date"].to_physical().to_numpy().astype(np.int64)
    if workdays is None:
        due = W.statutory_due(days, add_days=14)
    else:
        due = np.busday_offset(days.astype("datetime64[D]"), workdays, roll="forward",
                               holidays=W.non_working_days()).astype(np.int64)
    return _judge(both, "date", due, end)


def _judge(frame: pl.DataFrame, done: str, due: np.ndarray, end: date) -> pl.DataFrame:
    last = W.day_number(end)
    finished = frame[done].to_physical().fill_null(last + 1).to_numpy().astype(np.int64)
    return frame.with_columns(late=pl.Series(finished > due)).filter(pl.Series(due < last))


def _late_assessments(ev: pl.DataFrame, workdays: int | None = None) -> float:
    delays = _assessment_delays(ev, workdays)
    return float(delays["late"].mean()) if delays.height else float("nan")


def _investigation_delays(ev: pl.DataFrame) -> pl.DataFrame:
    """Investigations (first opened, first concluded per case) whose 4 months have passed."""
    opened = ev.filter(pl.col("event_type") == "utredning_inledd").group_by("case_id").agg(
        pl.col("date").min().alias("opened"))
    closed = ev.filter(pl.col("event_type") == "utredning_avslutad").group_by("case_id").agg(
        pl.col("date").min().alias("concluded"))
    both = opened.join(closed, on="case_id", how="left")
    due = W.statutory_due(both["opened"].to_physical().to_numpy().astype(np.int64), months=4)
    return _judge(both, "concluded", due, ev["date"].max())


def _late_investigations(ev: pl.DataFrame) -> float:
    delays = _investigation_delays(ev)
    return float(delays["late"].mean()) if delays.height else float("nan")


def _placed_children(ev: pl.DataFrame, first: date, last: date) -> pl.DataFrame:
    """Children with a placement in force some day in [first, last], with their gender."""
    starts = ev.filter((pl.col("event_type") == "insats_start") & pl.col("intervention").is_in(PLACEMENTS))
    starts = starts.select("person", "gender", "date", pl.coalesce("ref", "event_id").alias("key"))
    ends = ev.filter(pl.col("event_type") == "insats_slut").select(pl.col("ref").alias("key"),
                                                                   pl.col("date").alias("ended"))
    spells = starts.join(ends, on="key", how="left")
    active = spells.filter((pl.col("date") <= last) & (pl.col("ended").is_null() | (pl.col("ended") >= first)))
    return active.unique("person").select("person", "gender")


def _july_index(ev: pl.DataFrame) -> float:
    reports = ev.filter(pl.col("event_type") == "anmalan")
    monthly = reports.group_by(pl.col("date").dt.truncate("1mo")).len()
    july = monthly.filter(pl.col("date").dt.month() == 7)["len"].mean()
    return float(july / monthly["len"].mean()) if july is not None else float("nan")


def _caseload(tables: dict[str, pl.DataFrame], start: date, end: date) -> float:
    """Open investigated cases per active caseworker in the investigating groups, month by month
    over the last year: a case is open from its first utredning_inledd until arende_avslutat and
    belongs to the unit of its latest event."""
    ev, cw = tables["events"], tables["caseworkers"]
    base = ev.select(case=pl.col("case_id").cast(pl.Categorical).to_physical(), date=pl.col("date"),
                     unit=pl.col("unit_id").cast(pl.Utf8), kind=pl.col("event_type").cast(pl.Utf8))
    base = base.with_columns(investigating=_investigating("unit")).sort("case", "date", maintain_order=True)
    spans = base.group_by("case").agg(
        pl.col("date").filter(pl.col("kind") == "utredning_inledd").min().alias("opened"),
        pl.col("date").filter(pl.col("kind") == "arende_avslutat").min().alias("closed"))
    ratios = []
    day = max(start, end - timedelta(days=365))
    while day <= end:
        current = base.filter(pl.col("date") <= day).group_by("case").agg(pl.col("investigating").last())
        open_ = current.join(spans, on="case").filter(
            pl.col("investigating") & (pl.col("opened") <= day) & (pl.col("closed").is_null() | (pl.col("closed") > day)))
        staff = cw.filter((pl.col("start_date") <= day) & (pl.col("end_date").is_null() | (pl.col("end_date") >= day))
                          & _investigating("unit_id")).height
        if staff:
            ratios.append(open_.height / staff)
        day += timedelta(days=30)
    return float(np.mean(ratios)) if ratios else float("nan")


def _investigating(column: str) -> pl.Expr:
    text = pl.col(column).cast(pl.Utf8)
    return pl.any_horizontal([text.str.contains(k, literal=True) for k in _INVESTIGATING])


def _group_size(tables: dict[str, pl.DataFrame], end: date) -> float:
    cw = tables["caseworkers"].filter((pl.col("start_date") <= end) & pl.col("end_date").is_null())
    base = cw.filter(~pl.col("unit_id").str.contains(r"-F\d+$"))
    sizes = base.group_by("unit_id").len()
    return float(sizes["len"].median()) if sizes.height else float("nan")


def _turnover(tables: dict[str, pl.DataFrame], end: date) -> float:
    cw = tables["caseworkers"]
    first = end - timedelta(days=364)
    left = cw.filter(pl.col("end_date").is_not_null() & (pl.col("end_date") >= first)).height
    staffed = cw.filter((pl.col("start_date") <= end) & (pl.col("end_date").is_null() | (pl.col("end_date") >= first)))
    return left / staffed.height if staffed.height else float("nan")


def _share(frame: pl.DataFrame, condition: pl.Expr) -> float:
    return float(frame.select(condition.fill_null(False).mean()).item()) if frame.height else float("nan")


def _volume_target(n_districts: int) -> str:
    by_count = {s.districts: s for s in P.SCALES.values()}
    scale = by_count.get(n_districts)
    return f"≈ {_int(scale.reports_per_year)} ({scale.name})" if scale else "—"


def _int(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


def _num(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def _pct(value: float, decimals: int = 1) -> str:
    return f"{100 * value:.{decimals}f} %".replace(".", ",")
