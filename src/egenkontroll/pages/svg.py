"""Charts drawn on the server as SVG, from the figures `charts.py` builds.

Why it exists: a page with a chart must be drawn within 0.5 s on a browser's first visit (issue
19). With Plotly the browser first had to fetch, parse and compile 1.5 MB of JavaScript (4.8 MB
with the Sankey diagram), 0.6–1.9 s on loopback; an SVG written here is a few kilobytes, needs no
script (the Content-Security-Policy stays 'self'), prints, and looks the same in every browser.

The figures keep Plotly's JSON schema — only the subset `charts.py` writes — so they stay plain,
documented data the tests can read. This module draws that subset and refuses anything else
(`UnknownChart`), so a new kind of chart is a deliberate change here, never a blank area. Every
point, bar, box and flow carries a `<title>` (the browser's tooltip, read by screen readers), and
every chart has its table beside it on the page (WCAG 1.1.1). Only presentation attributes are
used, never `style=`, so a strict `style-src` does not blank a chart.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..core.dates_sv import MONTH_NAMES
from .tables import SPACE, format_against, format_value, number_text

WIDTH = 760  # the viewBox; the SVG scales to the page's width
PLOT_HEIGHT = 260
FONT = 14
CHAR = 0.56 * FONT  # the mean width of a character of the sans-serif font, for layout only
TEXT = "#1a1a1a"
GRID = "#dddddd"
DASHES = {"dash": "9 5", "dot": "2 4", "dashdot": "9 4 2 4"}
SYMBOLS = ("circle", "square", "diamond", "triangle-up")
TRACE_TYPES = {"scatter", "bar", "box", "sankey"}


class UnknownChart(ValueError):
    """A figure uses a trace type or option this module does not draw."""


def draw(figure: dict, label: str) -> SafeString:
    """The figure as an `<svg>` element; `label` names it for screen readers (the chart's title)."""
    traces = figure.get("data", [])
    unknown = {t.get("type") for t in traces} - TRACE_TYPES
    if unknown:
        raise UnknownChart(f"trace types not drawn: {sorted(map(str, unknown))}")
    if any(t["type"] == "sankey" for t in traces):
        body, height = _sankey(traces[0])
    else:
        body, height = _cartesian(traces, figure.get("layout", {}))
    return mark_safe(  # noqa: S308 - every text inside is escaped where it is written
        f'<svg class="diagram-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label="{escape(label)}" font-family="system-ui, -apple-system, \'Segoe UI\', sans-serif" '
        f'font-size="{FONT}" fill="{TEXT}">{body}</svg>'
    )


# --- numbers and axes ------------------------------------------------------------------------


def _number(value: float, percent: bool = False, decimals: int | None = None) -> str:
    """Swedish: decimal comma, no-break spaces; a share as "45 %"."""
    shown = value * 100 if percent else value
    if decimals is None:
        decimals = 0 if float(shown).is_integer() else 1
    return number_text(round(shown, decimals), decimals) + (f"{SPACE}%" if percent else "")


def value_text(value: float, percent: bool, target=None) -> str:
    """A value as the table beside the chart writes it: a share as "89,7 %", and against a target
    with the decimals its verdict needs, so a point drawn under the target never reads "90 %"."""
    kind = "share" if percent else ("int" if float(value).is_integer() else "ratio")
    return format_against(value, target, kind) if target is not None else format_value(value, kind)


@dataclass
class Axis:
    """A linear value axis: its range, its ticks and how they are written."""

    low: float
    high: float
    ticks: list[float]
    percent: bool
    decimals: int

    def at(self, value: float, top: float, bottom: float) -> float:
        return bottom - (value - self.low) / (self.high - self.low) * (bottom - top)

    def text(self, value: float) -> str:
        return _number(value, self.percent, self.decimals)


def value_axis(values: list[float], options: dict, counts: bool = False) -> Axis:
    """Round ticks (1, 2 or 5 × 10ⁿ, about five of them) covering the values, from zero where asked;
    whole-number steps for `counts` (no "0,5" children)."""
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if options.get("rangemode") == "tozero":
        low, high = min(low, 0.0), max(high, 0.0)
    if high <= low:
        high = low + 1
    step = options.get("dtick") or _round_step((high - low) / 5)
    if counts and options.get("tickformat") != ".0%":
        step = max(step, 1)
    first, last = math.floor(low / step + 1e-9) * step, math.ceil(high / step - 1e-9) * step
    ticks = [round(first + i * step, 10) for i in range(round((last - first) / step) + 1)]
    percent = options.get("tickformat") == ".0%"
    scaled = step * 100 if percent else step
    decimals = 0 if scaled >= 1 else math.ceil(-math.log10(scaled) - 1e-9)
    return Axis(first, max(last, first + step), ticks, percent, decimals)


def _round_step(raw: float) -> float:
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw * (1 - 1e-9))


def _title(options: dict) -> str:
    title = options.get("title", "")
    return str(title.get("text", "") if isinstance(title, dict) else title)


def _is_date(value) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass
class XAxis:
    """Categories placed in equal bands, or ISO dates placed by day (weekly series)."""

    values: list
    dates: bool
    left: float
    right: float

    def __post_init__(self):
        # the first and last day (ordinals) of a date axis, parsed once rather than for every point
        self._span = (dt.date.fromisoformat(self.values[0]).toordinal(),
                      dt.date.fromisoformat(self.values[-1]).toordinal()) if self.dates else (0, 0)

    def at(self, value) -> float:
        if self.dates:
            first, last = self._span
            day = dt.date.fromisoformat(value).toordinal()
            if last == first:
                return (self.left + self.right) / 2
            pad = (self.right - self.left) * 0.02
            return self.left + pad + (day - first) / (last - first) * (self.right - self.left - 2 * pad)
        band = (self.right - self.left) / max(len(self.values), 1)
        return self.left + (self.values.index(value) + 0.5) * band

    @property
    def band(self) -> float:
        return (self.right - self.left) / max(len(self.values), 1)

    def labels(self) -> list[tuple[float, str]]:
        """Tick labels: first days of months for dates, else every category (thinned when crowded)."""
        if self.dates:
            first, last = dt.date.fromisoformat(self.values[0]), dt.date.fromisoformat(self.values[-1])
            months = []
            day = dt.date(first.year, first.month, 1)
            while day <= last:
                if day >= first:
                    months.append(day)
                day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
            if not months:  # a few weeks within one month: their days, "5 apr"
                step = max(1, math.ceil(len(self.values) / 8))
                return [(self.at(v), _day_tick(dt.date.fromisoformat(v))) for v in self.values[::step]]
            every = max(1, math.ceil(len(months) / 8))
            return [(self.at(d.isoformat()), _month_tick(d, i == 0)) for i, d in enumerate(months) if i % every == 0]
        return [(self.at(v), str(v)) for v in self.values]


def _day_tick(day: dt.date) -> str:
    return f"{day.day} {MONTH_NAMES[day.month - 1][:3]}"


def _month_tick(day: dt.date, first: bool) -> str:
    name = MONTH_NAMES[day.month - 1][:3]
    return f"{name} {day.year}" if first or day.month == 1 else name


# --- cartesian charts (lines, bands, bars, boxes) -------------------------------------------


def _cartesian(traces: list[dict], layout: dict) -> tuple[str, int]:
    for trace in traces:
        if trace["type"] == "scatter" and trace.get("fill") not in (None, "tonexty"):
            raise UnknownChart(f"fill {trace.get('fill')!r} is not drawn")
    if not any(_numbers(t.get("y", [])) for t in traces if t.get("hoverinfo") != "skip"):
        return _empty()
    boxes = [t for t in traces if t["type"] == "box"]
    xs = [t.get("name", "") for t in boxes] if boxes else list(dict.fromkeys(x for t in traces for x in t.get("x", [])))
    dates = bool(xs) and not boxes and all(_is_date(x) for x in xs)
    if dates:
        xs = sorted(xs)
    axes = {}
    for key, name in (("y", "yaxis"), ("y2", "yaxis2")):
        options = layout.get(name, {})
        mine = [t for t in traces if t.get("yaxis", "y") == key]
        if key == "y2" and not mine:
            continue
        values = [v for t in mine for v in _numbers(t.get("y", []))]
        counts = all(float(v).is_integer() for t in mine if t.get("hoverinfo") != "skip" for v in _numbers(t.get("y", [])))
        values += [s["y0"] for s in layout.get("shapes", []) if key == "y"]
        axes[key] = (value_axis(values, options, counts), options)
    bars = [t for t in traces if t["type"] == "bar"]
    legend = [t for t in traces if t.get("showlegend", True) and t["type"] != "box"]
    legend = legend if len(legend) > 1 else []

    y_labels = max((len(a.text(v)) for a, _ in axes.values() for v in a.ticks), default=1)
    left = 16 + (22 if _title(axes["y"][1]) else 0) + y_labels * CHAR
    right = WIDTH - (16 + (y_labels * CHAR + 30 if "y2" in axes else 10))
    top = 34 if layout.get("annotations") or bars else 16  # room for a note or a bar's label above the plot
    bottom = top + PLOT_HEIGHT
    longest = max((len(str(v)) for v in xs), default=0) if not dates else 0
    # Bars and boxes name every category, slanted when the names do not fit; lines thin their labels.
    slanted = bool(bars or boxes) and longest * CHAR > (right - left) / max(len(xs), 1) * 0.95
    if slanted:  # shortened, and the plot moved right so that the first one's slant fits
        longest = max(len(_shortened(str(v))) for v in xs)
        left = max(left, len(_shortened(str(xs[0]))) * CHAR * 0.87 - (right - left) / len(xs) / 2 + 8)
    x = XAxis(xs, dates, left, right)
    x_ticks = [(pos, _shortened(text) if slanted else text) for pos, text in x.labels()] if xs else []
    below = bottom + 22 + (min(longest * CHAR * 0.5, 110) if slanted else 0) + (22 if _title(layout.get("xaxis", {})) else 0)
    legend_rows = _legend_rows(legend, WIDTH - 20)
    height = round(below + 8 + 24 * len(legend_rows) + 6)

    out = [f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>']
    axis_y = axes["y"][0]
    for tick in axis_y.ticks:
        y = axis_y.at(tick, top, bottom)
        out.append(f'<line x1="{left:.1f}" x2="{right:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        out.append(f'<text x="{left - 6:.1f}" y="{y + 5:.1f}" text-anchor="end">{escape(axis_y.text(tick))}</text>')
    if "y2" in axes:
        axis_2, _ = axes["y2"]
        for tick in axis_2.ticks:
            y = axis_2.at(tick, top, bottom)
            out.append(f'<text x="{right + 6:.1f}" y="{y + 5:.1f}">{escape(axis_2.text(tick))}</text>')
    out.append(f'<line x1="{left:.1f}" x2="{right:.1f}" y1="{bottom}" y2="{bottom}" stroke="#444444"/>')
    out += _axis_titles(axes, layout, left, right, top, bottom, below)
    for pos, text in _thinned(x_ticks, x.band, dates or slanted):
        if slanted:
            out.append(f'<text class="x-tick" x="{pos:.1f}" y="{bottom + 16}" text-anchor="end" '
                       f'transform="rotate(-30 {pos:.1f} {bottom + 16})">{escape(text)}</text>')
        else:
            out.append(f'<text class="x-tick" x="{pos:.1f}" y="{bottom + 18}" text-anchor="middle">{escape(text)}</text>')

    # the target a value is read against (a dashed reference trace or line): tooltips and labels
    # are written with the decimals its verdict needs, as in the table
    target = next((t["y"][0] for t in traces if t.get("hoverinfo") == "skip" and _numbers(t.get("y", [])[:1])),
                  next((shape["y0"] for shape in layout.get("shapes", [])), None))

    def ypos(trace: dict):
        axis = axes[trace.get("yaxis", "y")][0]
        return lambda v: axis.at(v, top, bottom)

    previous = None
    for trace in traces:  # fills under everything else
        if trace["type"] == "scatter":
            if trace.get("fill") == "tonexty" and previous is not None:
                out.append(_fill(previous, trace, x, ypos(trace)))
            previous = trace
    for i, trace in enumerate(bars):
        out += _bars(trace, i, len(bars), x, ypos(trace), axes["y"][0].percent, target)
    for box in boxes:
        out += _box(box, x, ypos(box))
    for shape in layout.get("shapes", []):
        if shape.get("type") != "line":
            raise UnknownChart(f"shape {shape.get('type')!r} is not drawn")
        y = axis_y.at(shape["y0"], top, bottom)
        out.append(_line_element([(left, y), (right, y)], shape.get("line", {})))
    for trace in traces:
        if trace["type"] == "scatter":
            on_y = trace.get("yaxis", "y") == "y"
            out += _scatter(trace, x, ypos(trace), axes[trace.get("yaxis", "y")][0].percent, target if on_y else None)
    for note in layout.get("annotations", []):
        pos = x.at(note["x"]) if note.get("x") in xs else right
        anchor = "end" if pos > left + 0.8 * (right - left) else "middle"
        out.append(f'<text x="{min(pos, right):.1f}" y="{top - 10}" text-anchor="{anchor}" font-size="12">'
                   f'{escape(note.get("text", ""))}</text>')
    out += _legend(legend_rows, below + 8)
    return "".join(out), height


def _shortened(text: str, most: int = 24) -> str:
    """A long category name cut with an ellipsis on a slanted axis (the table has it in full)."""
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def _empty() -> tuple[str, int]:
    """Nothing to draw (no values, or every one hidden for the nämnd): said, not an empty grid."""
    return (f'<rect width="{WIDTH}" height="80" fill="#ffffff"/><text x="{WIDTH / 2}" y="45" '
            f'text-anchor="middle">Inga värden att visa för perioden.</text>'), 80


def _is_value(v) -> bool:
    """A number to draw: not a hidden or missing value ("<5", None), not a bool, not ∞."""
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _numbers(values: list) -> list[float]:
    return [v for v in values if _is_value(v)]


def _axis_titles(axes: dict, layout: dict, left: float, right: float, top: float, bottom: float, below: float) -> list[str]:
    out = []
    middle = (top + bottom) / 2
    title = _title(axes["y"][1])
    if title:
        out.append(f'<text class="y-title" x="14" y="{middle:.1f}" text-anchor="middle" transform="rotate(-90 14 {middle:.1f})">'
                   f'{escape(title)}</text>')
    if "y2" in axes and _title(axes["y2"][1]):
        x2 = WIDTH - 10
        out.append(f'<text class="y-title" x="{x2}" y="{middle:.1f}" text-anchor="middle" transform="rotate(90 {x2} {middle:.1f})">'
                   f'{escape(_title(axes["y2"][1]))}</text>')
    if _title(layout.get("xaxis", {})):
        out.append(f'<text x="{(left + right) / 2:.1f}" y="{below - 4:.1f}" text-anchor="middle">'
                   f'{escape(_title(layout["xaxis"]))}</text>')
    return out


def _thinned(ticks: list[tuple[float, str]], band: float, keep_all: bool) -> list[tuple[float, str]]:
    """Every label where they fit; else every k-th, always keeping the last (the newest month)."""
    if keep_all or not ticks:
        return ticks
    widest = max(len(t) for _, t in ticks) * CHAR + 8
    every = max(1, math.ceil(widest / max(band, 1)))
    last = len(ticks) - 1
    return [tick for i, tick in enumerate(ticks) if (last - i) % every == 0]


def _segments(trace: dict, x: XAxis, y) -> list[list[tuple[float, float, object, float]]]:
    """Runs of points with a value (a missing value leaves a gap, as in the table)."""
    runs, run = [], []
    for xv, yv in zip(trace.get("x", []), trace.get("y", []), strict=False):
        if _is_value(yv):
            run.append((x.at(xv), y(yv), xv, yv))
        elif run:
            runs.append(run)
            run = []
    return runs + ([run] if run else [])


def _line_element(points: list[tuple[float, float]], line: dict) -> str:
    path = " ".join(f"{'M' if i == 0 else 'L'}{px:.1f},{py:.1f}" for i, (px, py) in enumerate(points))
    dash = DASHES.get(line.get("dash", "solid"))
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<path d="{path}" fill="none" stroke="{escape(line.get("color", TEXT))}" '
            f'stroke-width="{line.get("width", 2)}" stroke-linejoin="round"{dash_attr}/>')


def _fill(lower: dict, upper: dict, x: XAxis, y) -> str:
    """The band between two traces, where both have a value."""
    low = {xv: yv for xv, yv in zip(lower.get("x", []), lower.get("y", []), strict=False)}
    paths = []
    for run in _segments(upper, x, y):
        paired = [(px, py, xv, low.get(xv)) for px, py, xv, _ in run if _numbers([low.get(xv)])]
        if not paired:
            continue
        forward = [f"{px:.1f},{py:.1f}" for px, py, _, _ in paired]
        back = [f"{px:.1f},{y(lv):.1f}" for px, _, _, lv in reversed(paired)]
        paths.append("M" + " L".join(forward + back) + " Z")
    colour = escape(upper.get("fillcolor", "rgba(0,0,0,0.15)"))
    return f'<path d="{" ".join(paths)}" fill="{colour}" stroke="none"/>' if paths else ""


def _scatter(trace: dict, x: XAxis, y, percent: bool, target) -> list[str]:
    line = trace.get("line", {})
    colour = escape(line.get("color", TEXT))
    runs = _segments(trace, x, y)
    out = []
    if trace.get("hoverinfo") == "skip" and len(runs) == 1 and len(runs[0]) == 1:  # a target over one month
        py = runs[0][0][1]
        return [_line_element([(x.left, py), (x.right, py)], line)]
    if "lines" in trace.get("mode", "lines") and line.get("width", 2) > 0:
        out += [_line_element([(px, py) for px, py, _, _ in run], line) for run in runs if len(run) > 1]
    if trace.get("hoverinfo") == "skip" or line.get("width", 2) == 0:
        return out
    markers = "markers" in trace.get("mode", "") or any(len(run) == 1 for run in runs)
    symbols = trace.get("marker", {}).get("symbol", "circle")
    index = {xv: i for i, xv in enumerate(trace.get("x", []))}
    name = trace.get("name", "")
    for run in runs:
        for px, py, xv, yv in run:
            symbol = symbols[index[xv]] if isinstance(symbols, list) else symbols
            tip = f"<title>{escape(name)}, {escape(_x_text(xv))}: {escape(value_text(yv, percent, target))}</title>"
            out.append(_marker(px, py, symbol, colour, tip) if markers else
                       f'<circle cx="{px:.1f}" cy="{py:.1f}" r="6" fill="transparent">{tip}</circle>')
    return out


def _x_text(value) -> str:
    if _is_date(value):
        day = dt.date.fromisoformat(value)
        return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"
    return str(value)


def _marker(px: float, py: float, symbol: str, colour: str, tip: str) -> str:
    base = symbol.removesuffix("-open")
    if base not in SYMBOLS:
        raise UnknownChart(f"marker symbol {symbol!r} is not drawn")
    fill = "#ffffff" if symbol.endswith("-open") else colour
    paint = f'fill="{fill}" stroke="{colour}" stroke-width="2"'
    if base == "circle":
        return f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4.5" {paint}>{tip}</circle>'
    if base == "square":
        return f'<rect x="{px - 4:.1f}" y="{py - 4:.1f}" width="8" height="8" {paint}>{tip}</rect>'
    corners = ((0, -5.5), (5.5, 0), (0, 5.5), (-5.5, 0)) if base == "diamond" else ((0, -5.5), (5, 4), (-5, 4))
    points = " ".join(f"{px + dx:.1f},{py + dy:.1f}" for dx, dy in corners)
    return f'<polygon points="{points}" {paint}>{tip}</polygon>'


def _bars(trace: dict, i: int, count: int, x: XAxis, y, percent: bool, target) -> list[str]:
    """Grouped bars: the group fills 80 % of its band, each series an equal share, labelled above."""
    width = x.band * 0.8 / count
    colour = escape(trace.get("marker", {}).get("color", TEXT))
    out = []
    for xv, yv in zip(trace.get("x", []), trace.get("y", []), strict=False):
        if not _numbers([yv]):
            continue
        left = x.at(xv) - x.band * 0.4 + i * width
        zero, top = y(0), y(yv)
        text = escape(value_text(yv, percent, target))
        out.append(f'<rect x="{left:.1f}" y="{min(zero, top):.1f}" width="{width * 0.95:.1f}" '
                   f'height="{abs(zero - top):.1f}" fill="{colour}">'
                   f'<title>{escape(trace.get("name", ""))}, {escape(_x_text(xv))}: {text}</title></rect>')
        out.append(f'<text x="{left + width * 0.475:.1f}" y="{min(zero, top) - 4:.1f}" text-anchor="middle" '
                   f'font-size="12">{text}</text>')
    return out


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """The first quartile, the median and the third, interpolated linearly between the sorted values."""
    ordered = sorted(values)

    def at(q: float) -> float:
        pos = q * (len(ordered) - 1)
        below = math.floor(pos)
        above = min(below + 1, len(ordered) - 1)
        return ordered[below] + (ordered[above] - ordered[below]) * (pos - below)

    return at(0.25), at(0.5), at(0.75)


def _box(trace: dict, x: XAxis, y) -> list[str]:
    """A box from the first to the third quartile, the median, whiskers to the furthest values within
    1.5 box lengths, and every value as a point spread sideways (the same spread on every load); with
    Plotly's `boxpoints: "outliers"` only the values beyond the whiskers."""
    values = _numbers(trace.get("y", []))
    if not values:
        return []
    name = trace.get("name", "")
    centre, half = x.at(name), x.band * 0.25
    q1, median, q3 = quartiles(values)
    reach = 1.5 * (q3 - q1)
    low = min(v for v in values if v >= q1 - reach)
    high = max(v for v in values if v <= q3 + reach)
    colour = escape(trace.get("line", {}).get("color", TEXT))
    tip = (f"<title>{escape(name)}: median {escape(_number(median))}, kvartiler {escape(_number(q1))}–"
           f"{escape(_number(q3))}, {len(values)} värden</title>")
    out = [
        f'<line x1="{centre:.1f}" x2="{centre:.1f}" y1="{y(high):.1f}" y2="{y(q3):.1f}" stroke="{colour}"/>',
        f'<line x1="{centre:.1f}" x2="{centre:.1f}" y1="{y(q1):.1f}" y2="{y(low):.1f}" stroke="{colour}"/>',
        f'<rect x="{centre - half:.1f}" y="{y(q3):.1f}" width="{2 * half:.1f}" height="{max(y(q1) - y(q3), 1):.1f}" '
        f'fill="{colour}" fill-opacity="0.15" stroke="{colour}" stroke-width="2">{tip}</rect>',
        f'<line x1="{centre - half:.1f}" x2="{centre + half:.1f}" y1="{y(median):.1f}" y2="{y(median):.1f}" '
        f'stroke="{colour}" stroke-width="3"/>',
    ]
    spread = trace.get("jitter", 0.3) * half
    every = trace.get("boxpoints", "all") == "all"
    for i, value in enumerate(trace.get("y", [])):
        if _numbers([value]) and (every or not low <= value <= high):
            offset = ((i * 0.6180339887) % 1 - 0.5) * 2 * spread
            out.append(f'<circle cx="{centre + offset:.1f}" cy="{y(value):.1f}" r="3.5" fill="{colour}" '
                       f'fill-opacity="0.7"><title>{escape(name)}: {escape(_number(value))}</title></circle>')
    return out


def _legend_rows(traces: list[dict], width: float) -> list[list[tuple[dict, float]]]:
    rows, row, used = [], [], 0.0
    for trace in traces:
        wide = 34 + len(trace.get("name", "")) * CHAR + 18
        if row and used + wide > width:
            rows.append(row)
            row, used = [], 0.0
        row.append((trace, wide))
        used += wide
    return rows + ([row] if row else [])


def _legend(rows: list[list[tuple[dict, float]]], top: float) -> list[str]:
    out = []
    for r, row in enumerate(rows):
        y = top + 24 * r + 8
        pos = 10.0
        for trace, wide in row:
            if trace["type"] == "bar":
                colour = escape(trace.get("marker", {}).get("color", TEXT))
                out.append(f'<rect x="{pos:.1f}" y="{y - 6:.1f}" width="26" height="12" fill="{colour}"/>')
            else:
                line = trace.get("line", {})
                out.append(_line_element([(pos, y), (pos + 26, y)], {**line, "width": max(line.get("width", 2), 2)}))
                if "markers" in trace.get("mode", ""):
                    symbol = trace.get("marker", {}).get("symbol", "circle")
                    out.append(_marker(pos + 13, y, symbol[0] if isinstance(symbol, list) else symbol,
                                       escape(line.get("color", TEXT)), ""))
            out.append(f'<text x="{pos + 32:.1f}" y="{y + 5:.1f}">{escape(trace.get("name", ""))}</text>')
            pos += wide
    return out


# --- the Sankey diagram ----------------------------------------------------------------------

SANKEY_HEIGHT = 440


def _sankey(trace: dict) -> tuple[str, int]:
    """Nodes stacked in their columns (stages), each as tall as the cases through it; links as bands."""
    node, link = trace["node"], trace["link"]
    labels = [str(label) for label in node["label"]]
    colours = node.get("color", ["#0072B2"] * len(labels))
    flows = list(zip(link["source"], link["target"], link["value"], strict=True))
    if not any(v > 0 for _, _, v in flows):
        return _empty()
    inflow, outflow = [0.0] * len(labels), [0.0] * len(labels)
    for s, t, v in flows:
        outflow[s] += v
        inflow[t] += v
    size = [max(i, o) for i, o in zip(inflow, outflow, strict=True)]
    xs = node.get("x") or _columns_by_depth(len(labels), flows)
    columns = sorted(set(xs))
    thickness, pad, top, height = float(node.get("thickness", 18)), float(node.get("pad", 18)), 10.0, SANKEY_HEIGHT - 20
    members = {c: [i for i, xv in enumerate(xs) if xv == c] for c in columns}
    totals = [sum(size[i] for i in members[c]) for c in columns]
    scale = min((height - pad * (len(members[c]) - 1)) / total for c, total in zip(columns, totals, strict=True) if total) \
        if any(totals) else 0.0
    left, right = 10.0, WIDTH - 10.0 - thickness
    box = {}
    for c in columns:
        used = sum(size[i] * scale for i in members[c]) + pad * (len(members[c]) - 1)
        y = top + (height - used) / 2
        for i in members[c]:
            box[i] = (left + c * (right - left), y, max(size[i] * scale, 1.0))
            y += size[i] * scale + pad
    out = [f'<rect width="{WIDTH}" height="{SANKEY_HEIGHT}" fill="#ffffff"/>']
    out_at = {i: box[i][1] for i in box}
    in_at = dict(out_at)
    for s, t, v in sorted(flows, key=lambda f: (box[f[0]][1], box[f[1]][1])):
        band = v * scale
        x0, x1 = box[s][0] + thickness, box[t][0]
        y0, y1 = out_at[s], in_at[t]
        out_at[s] += band
        in_at[t] += band
        mid = (x0 + x1) / 2
        path = (f"M{x0:.1f},{y0:.1f} C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} {x1:.1f},{y1:.1f} "
                f"L{x1:.1f},{y1 + band:.1f} C{mid:.1f},{y1 + band:.1f} {mid:.1f},{y0 + band:.1f} {x0:.1f},{y0 + band:.1f} Z")
        out.append(f'<path d="{path}" fill="{escape(link.get("color", "rgba(0,114,178,0.25)"))}">'
                   f'<title>{escape(labels[s])} → {escape(labels[t])}: {escape(_number(v))}</title></path>')
    for i, (x, y, h) in box.items():
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{thickness:.0f}" height="{h:.1f}" fill="{escape(colours[i])}" '
                   f'stroke="#333333" stroke-width="0.5"><title>{escape(labels[i])}: {escape(_number(size[i]))}</title></rect>')
        last = xs[i] == columns[-1]
        tx = x - 6 if last else x + thickness + 6
        out.append(f'<text x="{tx:.1f}" y="{y + h / 2 + 5:.1f}" text-anchor="{"end" if last else "start"}" '
                   f'stroke="#ffffff" stroke-width="3" paint-order="stroke">{escape(labels[i])}</text>')
    return "".join(out), SANKEY_HEIGHT


def _columns_by_depth(count: int, flows: list[tuple[int, int, float]]) -> list[float]:
    """Without given columns: each node one column right of its furthest source."""
    depth = [0] * count
    for _ in range(count):
        for s, t, _ in flows:
            depth[t] = max(depth[t], depth[s] + 1)
    last = max(depth) or 1
    return [d / last for d in depth]
