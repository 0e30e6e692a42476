"""`egenkontroll plan`: when will the deadlines break under a surge and a staffing plan?

Why it exists: a manager facing a rising inflow (seed 001: 5,519 unaccompanied children to
Stockholm county in 2015 against 888 planned) needs the week the 14-day and 4-month limits
break before it happens, from the command line as on the Planering page. The model and its
limits are in core.planning and docs/planning.md; this is a thin shell over it. `planera` is the
older name (a hidden alias, docs/cli.md).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from dataclasses import asdict
from pathlib import Path

import polars as pl
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from egenkontroll.cli.app import app, old_name
from egenkontroll.cli.core_commands import err, load_source, parse_date, write_rejects

COLUMNS = (
    ("iso_week", "Vecka", None),
    ("inflow", "Inflöde", 0),
    ("decisions", "Beslut", 0),
    ("undecided", "Väntar", 0),
    ("new_investigations", "Nya utr.", 0),
    ("concluded", "Avslutade", 0),
    ("open_investigations", "Pågående utr.", 0),
    ("caseworkers", "Handl.", 0),
    ("wait_days", "Väntetid d", 1),
    ("investigation_days", "Utr.-tid d", 1),
    ("cases_per_caseworker", "Ärenden/hdl.", 1),
)


def baseline_lines(baseline) -> list[str]:
    b = baseline
    return [
        f"Underlag: {b.weeks} veckor till och med {b.as_of}, enhet {b.unit_id}.",
        f"  Anmälningar per vecka {b.reports_per_week:.1f}; andel som leder till utredning {b.inleda_share:.0%}.",
        f"  Väntar på förhandsbedömning {b.undecided}; pågående utredningar {b.open_investigations}; "
        f"övriga öppna ärenden {b.other_open_cases}.",
        f"  Handläggare {b.caseworkers}; per handläggarvecka {b.decisions_per_caseworker_week:.2f} beslut och "
        f"{b.conclusions_per_caseworker_week:.2f} avslutade utredningar; andel tid på utredningar "
        f"{b.investigation_share:.0%}.",
    ]


def text_report(baseline, frame: pl.DataFrame, norm: float) -> None:
    from egenkontroll.core.planning import describe_breaks

    console = Console(width=max(Console().width, 120))
    for line in baseline_lines(baseline):
        console.print(escape(line), highlight=False)
    for warning in baseline.warnings():
        console.print(f"[yellow]Obs: {escape(warning)}[/yellow]", highlight=False)
    table = Table(title="Vecka för vecka (planeringsstöd, inte en prognos)")
    for _, header, _ in COLUMNS:
        table.add_column(header, justify="right")
    for row in frame.iter_rows(named=True):
        table.add_row(*(_cell(row[key], digits) for key, _, digits in COLUMNS))
    console.print(table)
    for line in describe_breaks(frame, norm):
        console.print(escape(line), highlight=False)


def _cell(value, digits: int | None) -> str:
    if digits is None:
        return str(value)
    if value == float("inf"):
        return "∞"
    return f"{value:.{digits}f}"


def _band(mean: float, low: float, high: float, digits: int = 0) -> str:
    return f"{mean:.{digits}f} ({low:.{digits}f}–{high:.{digits}f})"


def _mkr(value: float) -> str:
    return f"{value / 1e6:.1f}"


def placement_report(result, console: Console) -> None:
    """Placements per type, caseworkers needed and costs, each with its 95 % band, base beside scenario."""
    cal = result.calibration
    console.print(
        escape(
            f"Placeringar: referensperiod {cal.window_start}–{cal.as_of}: {cal.episodes} placeringar, "
            f"{cal.entries} nya, {cal.moves} byten, {cal.exits} avslut, {cal.aged_up} till nästa åldersgrupp, "
            f"{cal.aged_out} åldrades ut; åldersgräns {cal.top_age} år; "
            f"{result.runs} simuleringar (frö {result.seed})."
        ),
        highlight=False,
    )
    for warning in cal.warnings:
        console.print(f"[yellow]Obs: {escape(warning)}[/yellow]", highlight=False)
    if result.lag_text:
        console.print(escape(result.lag_text), highlight=False)
    frame = result.scenario.placements
    kinds = list(dict.fromkeys(frame["placement"]))
    table = Table(title="Placerade barn per vecka i scenariot: medel (95 %-band)")
    for header in ["Vecka", *kinds, "Kostnad tkr/v", "Bas: alla"]:
        table.add_column(header, justify="right")
    base_all = result.base.placements.filter(pl.col("placement") == "alla")
    cost = result.scenario.cost
    for week in range(1, frame["week"].max() + 1):
        cells = frame.filter(pl.col("week") == week)
        by_kind = {r["placement"]: r for r in cells.iter_rows(named=True)}
        c = cost.row(week - 1, named=True)
        b = base_all.row(week - 1, named=True)
        table.add_row(
            _iso(c["week_start"]),
            *(_band(by_kind[k]["mean"], by_kind[k]["low"], by_kind[k]["high"]) for k in kinds),
            _band(c["mean"] / 1e3, c["low"] / 1e3, c["high"] / 1e3),
            _band(b["mean"], b["low"], b["high"]),
        )
    console.print(table)
    staff = Table(title="Handläggare: planerat och behov")
    for header in ("Vecka", "Planerat", "Behov för fristerna", "Behov enligt riktmärket", "Bas: behov för fristerna"):
        staff.add_column(header, justify="right")
    for row, base in zip(result.scenario.staff.iter_rows(named=True), result.base.staff.iter_rows(named=True), strict=True):
        staff.add_row(row["iso_week"], f"{row['planned']:.0f}", _need(row["by_limits"]), str(row["by_norm"]),
                      _need(base["by_limits"]))
    console.print(staff)
    for label, outcome in (("Scenariot", result.scenario), ("Basen", result.base)):
        t = outcome.totals
        console.print(
            escape(
                f"{label}: placeringskostnad {_mkr(t['period_mean'])} mkr för perioden "
                f"(95 %-band {_mkr(t['period_low'])}–{_mkr(t['period_high'])}), i årstakt {_mkr(t['year_mean'])} mkr "
                f"({_mkr(t['year_low'])}–{_mkr(t['year_high'])}); {t['aged_out_mean']:.0f} barn åldras ut "
                f"({t['aged_out_low']:.0f}–{t['aged_out_high']:.0f})."
            ),
            highlight=False,
        )
    if result.prices.example:
        console.print("[yellow]Obs: kostnaderna bygger på exempelpriser, inte kommunens egna "
                      "(sätt EGK_PLACEMENT_PRICES_FILE eller --price-list).[/yellow]", highlight=False)
    console.print(escape(BAND_NOTE), highlight=False)


BAND_NOTE = (
    "Så läser du banden: siffran före parentesen är medelvärdet av simuleringarna; i 95 av 100 simuleringar "
    "hamnade veckans värde inom parentesens intervall. Bandet visar slumpen i vilka barn som kommer och går "
    "med den takt referensperioden visade, inte om takten själv ändras, så verkligheten kan hamna utanför."
)


def _need(value) -> str:
    return "–" if value is None else str(value)


def _iso(day: dt.date) -> str:
    from egenkontroll.core.planning import week_label

    return week_label(day)


def json_text(baseline, frame: pl.DataFrame, result, queue_bands: dict) -> str:
    """Everything the text says, as JSON: the baseline, the queue weeks, and base and scenario."""

    def records(df: pl.DataFrame) -> list[dict]:
        return [{k: _plain(v) for k, v in row.items()} for row in df.iter_rows(named=True)]

    def outcome(o) -> dict:
        return {"koer": records(o.queue), "handlaggare": records(o.staff), "placeringar": records(o.placements),
                "kostnad_per_vecka": records(o.cost), "summor": o.totals}

    cal = result.calibration
    body = {
        "underlag": {k: _plain(v) for k, v in asdict(baseline).items()},
        "placeringar_underlag": {
            "referens_fran": cal.window_start.isoformat(), "per": cal.as_of.isoformat(), "aldersgrans": cal.top_age,
            "placeringar": cal.episodes, "nya": cal.entries, "byten": cal.moves, "avslut": cal.exits,
            "till_nasta_aldersgrupp": cal.aged_up, "aldrades_ut": cal.aged_out,
            "varningar": list(cal.warnings),
            "fordrojning_ensamkommande": {"veckor": list(cal.lag), "placeringar": cal.lag_placements,
                                          "median": cal.lag_median},
        },
        "priser": {"kr_per_dygn": result.prices.prices, "exempel": result.prices.example},
        "ensamkommande_placeras": result.lag_text,
        "simuleringar": result.runs, "fro": result.seed, "band": "2,5 och 97,5 percentilerna",
        "bas": outcome(result.base), "scenario": outcome(result.scenario),
        "fristernas_band": {
            "vantetid_lag": [_plain(float(v)) for v in queue_bands["wait_low"]],
            "vantetid_hog": [_plain(float(v)) for v in queue_bands["wait_high"]],
            "utredningstid_lag": [_plain(float(v)) for v in queue_bands["investigation_low"]],
            "utredningstid_hog": [_plain(float(v)) for v in queue_bands["investigation_high"]],
            "brytvecka": {flag: {"tidigast": early, "senast": late}
                          for flag, (early, late) in queue_bands["breaks"].items()},
        },
    }
    return json.dumps(body, ensure_ascii=False, allow_nan=False, indent=1) + "\n"


def _plain(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def csv_text(frame: pl.DataFrame) -> str:
    return frame.with_columns(pl.col(pl.Float64).round(2)).write_csv(date_format="%Y-%m-%d")


def _lag(text: str | None) -> int | str | None:
    """--unaccompanied-lag: a number of weeks, "data", or nothing (at once)."""
    from egenkontroll.core.planning import LAG_FROM_DATA

    if text is None or text.strip() == "":
        return None
    if text.strip().lower() == LAG_FROM_DATA:
        return LAG_FROM_DATA
    try:
        return int(text)
    except ValueError:
        raise typer.BadParameter(f"ett antal veckor eller ”{LAG_FROM_DATA}”", param_hint="--unaccompanied-lag") from None


def _marked(obligations: pl.DataFrame, db: str | None) -> pl.DataFrame:
    """Staff's marks live in the database, as on the Planering page (core/marks.py): a marked
    obligation is not waiting. A dataset read with --data has none."""
    if db is None:
        return obligations
    from egenkontroll.cases.marks import active_marks
    from egenkontroll.cases.store import connect
    from egenkontroll.core.marks import apply_marks

    return apply_marks(obligations, active_marks(connect(db) if "://" in db else db))


@app.command("plan")
def plan_command(
    data: Path = typer.Option(None, "--data", help="Datamängd i utbytesformatet: katalog med CSV, .xlsx eller .zip."),
    db: str = typer.Option(None, "--db", help="Databas-URL (sqlite:///… eller postgresql://…) i stället för --data."),
    unit: str = typer.Option(None, "--unit", help="Enhet (unit_id) med allt under den. Standard: hela staden."),
    as_of: str = typer.Option(None, "--as-of", help="Läget per denna dag (ÅÅÅÅ-MM-DD). Standard: datamängdens sista dag."),
    weeks: int = typer.Option(None, "--weeks", min=1, max=156, help="Antal veckor framåt (standard 26)."),
    history: int = typer.Option(26, "--history-weeks", min=1, max=156, help="Antal veckor bakåt som takten räknas från."),
    inflow: float = typer.Option(1.0, "--inflow", min=0, help="Inflödet som faktor av det vanliga (1.0 = som nu)."),
    surge: float = typer.Option(None, "--surge", min=0, help="En topp: inflödet gånger denna faktor …"),
    surge_from: int = typer.Option(1, "--surge-from", min=1, help="… från denna vecka (1 = nästa vecka) …"),
    surge_weeks: int = typer.Option(12, "--surge-weeks", min=0, help="… i så här många veckor."),
    staff: str = typer.Option(None, "--staffing", help="Ändrad bemanning, ändring@vecka: \"+3@4,-2@10\"."),
    share: float = typer.Option(
        None, "--investigation-share", min=0, max=1, help="Andel av arbetstiden på utredningar (standard: som under underlaget)."
    ),
    fmt: str = typer.Option(
        "text", "--format", help="text (tabeller och slutsatser), csv (köerna, en rad per vecka) eller json (allt)."
    ),
    unaccompanied: float = typer.Option(
        None, "--unaccompanied", min=0, max=20, help="Inflödet av ensamkommande barn gånger denna faktor …"
    ),
    unaccompanied_from: int = typer.Option(None, "--unaccompanied-from", min=1, max=156, help="… från denna vecka (standard 1) …"),
    unaccompanied_weeks: int = typer.Option(None, "--unaccompanied-weeks", min=0, max=156, help="… i så här många veckor (standard 13)."),
    unaccompanied_lag: str = typer.Option(
        None, "--unaccompanied-lag",
        help="När de ensamkommande barnen placeras: antal veckor efter att de kommer (0–52), eller ”data” för "
        "referensperiodens fördröjning från anmälan till placering. Standard: samma vecka.",
    ),
    example: str = typer.Option(None, "--example", help="Ett namngivet exempelscenario, till exempel 2015 (se docs/planning.md)."),
    reference_from: str = typer.Option(
        None, "--reference-from", help="Placeringsmodellens referensperiod börjar denna dag (standard: 52 veckor före --as-of)."
    ),
    runs: int = typer.Option(500, "--runs", min=1, max=2000, help="Antal simuleringar för osäkerhetsbanden."),
    seed: int = typer.Option(1, "--seed", min=0, max=2**32 - 1, help="Slumpfrö: samma frö ger samma band."),
    price_file: Path = typer.Option(None, "--price-list", help="Egen prislista (YAML, kr per dygn); standard: EGK_PLACEMENT_PRICES_FILE eller exemplet."),
) -> None:
    """Planera för en topp: när bryts fristerna, hur många placeringar, handläggare och kronor behövs?"""
    from egenkontroll.core import costs, kpi_catalogue, orgtree, planning, surge_plan

    if fmt not in {"text", "csv", "json"}:
        raise typer.BadParameter("--format ska vara text, csv eller json")
    if example is not None:
        known = surge_plan.examples()
        if example not in known:
            raise typer.BadParameter(f"okänt exempel {example!r} (finns: {', '.join(known)})", param_hint="--example")
        fields = known[example].fields
        weeks = weeks if weeks is not None else fields.get("veckor")
        given = fields.get("ensamkommande") or {}
        if unaccompanied is None and given:
            unaccompanied = float(given["faktor"])
            unaccompanied_from = unaccompanied_from or int(given.get("fran", 1))
            unaccompanied_weeks = unaccompanied_weeks if unaccompanied_weeks is not None else int(given.get("veckor", 13))
        top = fields.get("topp") or {}
        if surge is None and top:
            surge, surge_from, surge_weeks = float(top["faktor"]), int(top.get("fran", 1)), int(top.get("veckor", 12))
    weeks = weeks or 26
    try:
        changes = planning.parse_staffing(staff)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--staffing") from None
    events, org_units, caseworkers, rejects = load_source(data, db)
    write_rejects(rejects, None)
    day = parse_date(as_of, "--as-of") or events["date"].max()
    if day is None:
        err.print("[red]Datamängden har inga händelser.[/red]")
        raise typer.Exit(1)
    flat = orgtree.flatten(org_units)
    if unit is None:
        roots = orgtree.roots(flat)
        if len(roots) != 1:
            raise typer.BadParameter(f"ange --unit (flera toppenheter: {', '.join(roots)})")
        unit = roots[0]
    try:
        catalogue = kpi_catalogue.configured_catalogue()
        scenario = planning.Scenario(
            weeks=weeks,
            inflow=inflow,
            surge=planning.Surge(surge, surge_from, surge_weeks) if surge is not None else None,
            staffing=changes,
            investigation_share=share,
            caseload_norm=planning.norm_from(catalogue),
            unaccompanied=planning.Surge(unaccompanied, unaccompanied_from or 1, 13 if unaccompanied_weeks is None
                                         else unaccompanied_weeks) if unaccompanied is not None else None,
            unaccompanied_lag=_lag(unaccompanied_lag),
        )
        evaluation = planning.evaluate(events, day, list(planning.BACKLOG_RULES))
        baseline = planning.calibrate(events, caseworkers, org_units, unit, day, history, evaluation=evaluation,
                                      obligations=_marked(evaluation.obligations, db))
    except (ValueError, orgtree.OrgTreeError) as exc:
        err.print(f"[red]egenkontroll: {escape(str(exc))}[/red]", highlight=False)
        raise typer.Exit(1) from None
    frame = planning.simulate(baseline, scenario)
    if fmt == "csv":
        sys.stdout.write(csv_text(frame))
        return
    try:
        window_start = parse_date(reference_from, "--reference-from") or day - dt.timedelta(days=7 * 52 - 1)
        prices = costs.load_prices(price_file)
        calibration = surge_plan.calibrate_placements(
            evaluation.links, org_units, unit, window_start, day
        )
        result = surge_plan.plan(baseline, calibration, scenario, prices, runs=runs, seed=seed)
        queue_bands = planning.simulate_bands(baseline, scenario, runs=runs, seed=seed)
    except (ValueError, orgtree.OrgTreeError) as exc:
        err.print(f"[red]egenkontroll: {escape(str(exc))}[/red]", highlight=False)
        raise typer.Exit(1) from None
    if fmt == "json":
        sys.stdout.write(json_text(baseline, frame, result, queue_bands))
        return
    text_report(baseline, frame, scenario.caseload_norm)
    for line in planning.describe_break_bands(queue_bands["breaks"], scenario.weeks):
        typer.echo(line)
    placement_report(result, Console(width=max(Console().width, 160)))


# The options of the old name, spelt in Swedish: new name → old name.
PLAN_OPTIONS = {
    "--unit": "--enhet",
    "--as-of": "--per",
    "--weeks": "--veckor",
    "--history-weeks": "--underlag",
    "--inflow": "--inflode",
    "--surge": "--topp",
    "--surge-from": "--topp-fran",
    "--surge-weeks": "--topp-veckor",
    "--staffing": "--personal",
    "--investigation-share": "--andel-utredning",
    "--unaccompanied": "--ensamkommande",
    "--unaccompanied-from": "--ensamkommande-fran",
    "--unaccompanied-weeks": "--ensamkommande-veckor",
    "--unaccompanied-lag": "--ensamkommande-fordrojning",
    "--example": "--exempel",
    "--reference-from": "--referens-fran",
    "--runs": "--korningar",
    "--seed": "--fro",
    "--price-list": "--prislista",
}
old_name(app, "planera", "plan", plan_command, PLAN_OPTIONS)
