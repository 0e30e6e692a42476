"""Chart figures as plain JSON in Plotly's schema, drawn as SVG on the server by `svg.py`.

Why it exists: charts are built on the server from the same rows as the table beside them, and
described as data (Plotly's documented figure schema, the subset `svg.py` draws) so tests can read
what a chart shows without drawing it. Colours are the Okabe–Ito palette, distinguishable with
colour-vision deficiencies, and every chart has a table alternative on the page (WCAG 1.1.1).
"""

from __future__ import annotations

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
REFERENCE_COLOUR = "#B00020"


def _layout(y_title: str = "", x_title: str = "", **extra) -> dict:
    y_title = y_title[:1].upper() + y_title[1:]
    return {
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', sans-serif", "size": 14, "color": "#1a1a1a"},
        "margin": {"l": 60, "r": 20, "t": 20, "b": 60},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "separators": ",\u00a0",  # decimal comma, no-break space between thousands (as tables.SPACE)
        "legend": {"orientation": "h", "y": -0.2},
        "yaxis": {"title": {"text": y_title}, "gridcolor": "#dddddd", "rangemode": "tozero"},
        "xaxis": {"title": {"text": x_title}},
        "hovermode": "x unified",
        **extra,
    }


def lines(x: list, series: list[tuple[str, list]], y_title: str, percent: bool = False, reference=None,
          reference_name: str = "Mål", partial_last: bool = False) -> dict:
    """One line per series over x (missing values leave a gap).

    `reference`: the target, drawn as a dashed line named in the legend (so it reads as the target,
    not as one more series). `partial_last`: the last point is a month not yet over; it is drawn
    hollow and labelled, so a low count there is not read as a drop.
    """
    symbols = ["circle", "square", "diamond", "triangle-up"]
    data = []
    for i, (name, values) in enumerate(series):
        symbol = symbols[i % 4]
        trace = {
            "type": "scatter", "mode": "lines+markers", "name": name, "x": x, "y": values,
            "line": {"color": PALETTE[i % len(PALETTE)], "width": 2}, "marker": {"symbol": symbol, "size": 8},
        }
        if partial_last and x:
            trace["marker"]["symbol"] = [symbol] * (len(x) - 1) + [f"{symbol}-open"]
        data.append(trace)
    layout = _layout(y_title)
    if percent:
        layout["yaxis"]["tickformat"] = ".0%"
    if reference is not None and x:
        data.append(_reference_trace(x, reference, reference_name))
    if partial_last and x:
        layout["annotations"] = [{
            "x": x[-1], "y": 1, "yref": "paper", "yanchor": "bottom", "showarrow": False,
            "text": "ofullständig månad", "font": {"size": 12, "color": "#1a1a1a"},
        }]
    return {"data": data, "layout": layout}


def _reference_trace(x: list, y, name: str) -> dict:
    return {
        "type": "scatter", "mode": "lines", "name": name, "x": [x[0], x[-1]] if len(x) > 1 else x, "y": [y] * min(len(x), 2),
        "line": {"color": REFERENCE_COLOUR, "width": 2, "dash": "dash"}, "hoverinfo": "skip",
    }


def bars(x: list, series: list[tuple[str, list]], y_title: str, reference=None, percent: bool = False) -> dict:
    """Grouped bars, each labelled with its value; counts get whole-number ticks."""
    data = [
        {
            "type": "bar", "name": name, "x": x, "y": values, "marker": {"color": PALETTE[i % len(PALETTE)]},
            "texttemplate": "%{y:.0%}" if percent else "%{y}", "textposition": "outside", "cliponaxis": False,
        }
        for i, (name, values) in enumerate(series)
    ]
    layout = _layout(y_title, barmode="group")
    if percent:
        layout["yaxis"]["tickformat"] = ".0%"
    else:
        _integer_ticks(layout, [v for _, values in series for v in values if isinstance(v, int | float)])
    if reference is not None:
        layout["shapes"] = [_hline(reference)]
    return {"data": data, "layout": layout}


# A box of more values shows as points only those beyond its whiskers (Tukey's outliers).
BOX_POINTS_MAX = 60


def boxes(groups: list[tuple[str, list]], y_title: str, reference=None) -> dict:
    """The distribution of values per group, with a reference line (the norm).

    Every value is a point in a box of at most BOX_POINTS_MAX values; beyond that only the
    outliers are: a point and its tooltip per caseworker made a city's Handläggare page 262 kB
    (489 points) and would have drawn every caseworker of the country at national scale (issue
    19). The quartiles and whiskers are those of every value either way; the table under the
    chart, and its download, list them all."""
    data = [
        {
            "type": "box", "name": name, "y": values,
            "boxpoints": "all" if len(values) <= BOX_POINTS_MAX else "outliers", "jitter": 0.3, "pointpos": 0,
            "marker": {"color": PALETTE[0]}, "line": {"color": PALETTE[0]}, "showlegend": False,
        }
        for name, values in groups
    ]
    layout = _layout(y_title, hovermode="closest")
    if reference is not None:
        layout["shapes"] = [_hline(reference)]
    return {"data": data, "layout": layout}


def sankey(labels: list[str], links: list[tuple[int, int, int]], columns: list[int] | None = None) -> dict:
    """A Sankey diagram: node labels and (source index, target index, value) links.

    `columns` places each node in a stage (0, 1, 2 …) from left to right, so that an end state
    of an early stage (a report not investigated) is not pushed to the far right.
    """
    node = {
        "label": labels, "pad": 18, "thickness": 18,
        "color": [PALETTE[i % len(PALETTE)] for i in range(len(labels))],
        "line": {"color": "#333333", "width": 0.5},
    }
    if columns:
        last = max(columns) or 1
        node["x"] = [0.001 + 0.998 * c / last for c in columns]
        node["y"] = [
            (columns[:i].count(c) + 0.5) / columns.count(c) for i, c in enumerate(columns)
        ]
    return {
        "data": [
            {
                "type": "sankey",
                "arrangement": "snap",
                "valueformat": ",d",
                "node": node,
                "link": {
                    "source": [s for s, _, _ in links],
                    "target": [t for _, t, _ in links],
                    "value": [v for _, _, v in links],
                    "color": "rgba(0, 114, 178, 0.25)",
                },
            }
        ],
        "layout": {**_layout(), "hovermode": "closest", "margin": {"l": 10, "r": 10, "t": 10, "b": 10}},
    }


def _integer_ticks(layout: dict, values: list) -> None:
    """Counts: no 0,5 ticks on a small axis."""
    if values and max(values) <= 10:
        layout["yaxis"]["dtick"] = 1


def _hline(y) -> dict:
    return {
        "type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": y, "y1": y,
        "line": {"color": REFERENCE_COLOUR, "width": 2, "dash": "dash"},
    }


def bands(x: list, series: list[tuple[str, list, list, list]], y_title: str) -> dict:
    """One line per series with its uncertainty band (a shaded area between low and high).

    Each series is (name, mean, low, high); the band's traces stay out of the legend and the
    hover box names them "… 95 %-band låg/hög", so the table and the chart say the same.
    """
    data = []
    for i, (name, mean, low, high) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        fill = "rgba({},{},{},0.18)".format(*(int(colour[k : k + 2], 16) for k in (1, 3, 5)))
        data += [
            {"type": "scatter", "mode": "lines", "name": f"{name}, 95 %-band låg", "x": x, "y": low,
             "line": {"width": 0, "color": colour}, "showlegend": False},
            {"type": "scatter", "mode": "lines", "name": f"{name}, 95 %-band hög", "x": x, "y": high,
             "line": {"width": 0, "color": colour}, "fill": "tonexty", "fillcolor": fill, "showlegend": False},
            {"type": "scatter", "mode": "lines", "name": name, "x": x, "y": mean,
             "line": {"color": colour, "width": 2}},
        ]
    return {"data": data, "layout": _layout(y_title)}
