"""Charts drawn on the server as SVG (pages/svg.py): what each kind of chart shows, in Swedish."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from egenkontroll.pages import charts, svg

NS = {"s": "http://www.w3.org/2000/svg"}
MONTHS = ["jan 2026", "feb 2026", "mar 2026", "apr 2026"]


def parsed(figure: dict, label: str = "Diagram") -> ET.Element:
    return ET.fromstring(str(svg.draw(figure, label)))  # well-formed XML, or this fails


def titles(root: ET.Element) -> list[str]:
    return [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]


def texts(root: ET.Element) -> list[str]:
    return [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_a_share_over_months_with_its_target_and_an_unfinished_month():
    figure = charts.lines(MONTHS, [("Inom 14 dagar", [0.9, None, 0.955, 0.5])], "andel", percent=True,
                          reference=0.9, reference_name="Mål 90 %", partial_last=True)
    root = parsed(figure, "Inom 14 dagar per månad")
    assert root.get("role") == "img" and root.get("aria-label") == "Inom 14 dagar per månad"
    # every point has its tooltip, as the table writes it; the missing month has none
    assert titles(root) == ["Inom 14 dagar, jan 2026: 90,0\u00a0%", "Inom 14 dagar, mar 2026: 95,5\u00a0%",
                            "Inom 14 dagar, apr 2026: 50,0\u00a0%"]
    shown = texts(root)
    assert ["0\u00a0%", "20\u00a0%", "40\u00a0%", "60\u00a0%", "80\u00a0%", "100\u00a0%"] == [t for t in shown if t.endswith("\u00a0%")]
    assert "Andel" in shown and "ofullständig månad" in shown and "Mål 90 %" in shown  # legend names the target
    paths = root.findall("s:path", NS)
    series = [p for p in paths if p.get("stroke") == charts.PALETTE[0]]
    # the gap in February splits the line: jan alone (a point, no segment), mar–apr one segment
    assert len(series) == 2 and series[0].get("d").count("M") == 1  # one drawn segment + the legend's
    target = [p for p in paths if p.get("stroke") == charts.REFERENCE_COLOUR]
    assert target and all(p.get("stroke-dasharray") for p in target)
    markers = [c for c in root.findall("s:circle", NS) if c.find("s:title", NS) is not None]
    assert [c.get("fill") for c in markers] == [charts.PALETTE[0], charts.PALETTE[0], "#ffffff"]  # the last hollow


def test_bars_are_grouped_and_labelled_and_a_hidden_value_is_not_drawn():
    figure = charts.bars(["2025 K4", "2026 K1"], [("Började", [3, None]), ("Slutade", [0, 12])], "Antal handläggare")
    root = parsed(figure)
    bars = [r for r in root.findall("s:rect", NS) if r.find("s:title", NS) is not None]
    assert [r.find("s:title", NS).text for r in bars] == ["Började, 2025 K4: 3", "Slutade, 2025 K4: 0", "Slutade, 2026 K1: 12"]
    assert {"3", "0", "12"} <= set(texts(root))
    heights = [float(r.get("height")) for r in bars]
    assert heights[1] == 0 and heights[2] == pytest.approx(4 * heights[0])
    # the Slutade bars sit right of the Började ones in each quarter
    assert float(bars[1].get("x")) > float(bars[0].get("x"))
    assert "Började" in texts(root) and "Slutade" in texts(root)  # legend


def test_long_category_names_are_slanted_and_shortened_with_the_full_name_in_the_tooltip():
    name = "Norra stadsdelsförvaltningen, barn och unga"
    root = parsed(charts.bars([name, "Söder"], [("Andel", [0.5, 1.0])], "andel", percent=True))
    slanted = [t for t in root.findall("s:text", NS) if (t.get("transform") or "").startswith("rotate(-30")]
    assert [t.text for t in slanted] == ["Norra stadsdelsförvaltn…", "Söder"]
    assert f"Andel, {name}: 50\u00a0%" in titles(root) and "100\u00a0%" in texts(root)


def test_boxes_show_quartiles_whiskers_and_every_value_against_the_norm():
    root = parsed(charts.boxes([("Norr", [12, 14, 18, 22, 9, 60]), ("Söder", [15, 16])], "Öppna ärenden", reference=18))
    tips = titles(root)
    assert "Norr: median 16, kvartiler 12,5–21, 6 värden" in tips
    assert sum(t.startswith("Norr: ") and "median" not in t for t in tips) == 6  # every value a point
    assert "Norr: 60" in tips  # an outlier is shown as a point …
    whiskers = [ln for ln in root.findall("s:line", NS) if ln.get("stroke") == charts.PALETTE[0] and ln.get("x1") == ln.get("x2")]
    top = min(float(ln.get("y1")) for ln in whiskers)
    point_60 = next(c for c in root.findall("s:circle", NS) if c.find("s:title", NS).text == "Norr: 60")
    assert float(point_60.get("cy")) < top  # … beyond the whisker (22 is the furthest within 1.5 box lengths)
    assert any(p.get("stroke") == charts.REFERENCE_COLOUR for p in root.findall("s:path", NS))  # the norm


def test_a_box_of_many_values_shows_only_its_outliers_as_points():
    """Beyond BOX_POINTS_MAX values a point per value would swamp the page (a country's caseworkers)."""
    many = [10 + i % 7 for i in range(charts.BOX_POINTS_MAX)] + [45, 50]
    few = many[: charts.BOX_POINTS_MAX]
    tips = titles(parsed(charts.boxes([("Norr", many), ("Söder", few)], "Öppna ärenden")))
    assert sorted(t for t in tips if t.startswith("Norr: ") and "median" not in t) == ["Norr: 45", "Norr: 50"]
    assert sum(t.startswith("Söder: ") and "median" not in t for t in tips) == len(few)  # every value
    assert f"Norr: median 13, kvartiler 11–15, {len(many)} värden" in tips  # the box is of every value


@given(st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=40))
def test_quartiles_are_numpys_linear_ones(values):
    assert svg.quartiles(values) == pytest.approx(tuple(np.percentile(values, [25, 50, 75])))


def test_weekly_dates_get_month_ticks_and_a_right_axis_for_a_queue():
    weeks = [(dt.date(2026, 1, 4) + dt.timedelta(weeks=i)).isoformat() for i in range(12)]
    figure = charts.lines(weeks, [("Dagar", list(range(12)))], "Dagar", reference=14, reference_name="Frist (14 dagar)")
    band = charts.bands(weeks, [("Dagar", list(range(12)), [max(v - 1, 0) for v in range(12)], [v + 2 for v in range(12)])], "Dagar")
    figure["data"] = band["data"][:2] + figure["data"]
    figure["data"].append({"type": "scatter", "mode": "lines", "name": "Kö", "x": weeks, "y": [40] * 12, "yaxis": "y2",
                           "line": {"color": charts.PALETTE[1], "width": 2, "dash": "dot"}})
    figure["layout"]["yaxis2"] = {"title": {"text": "Antal"}, "overlaying": "y", "side": "right", "rangemode": "tozero"}
    root = parsed(figure)
    shown = texts(root)
    assert ["feb 2026", "mar"] == [t for t in shown if t in ("feb 2026", "mar")]
    right = [t.text for t in root.findall("s:text", NS) if float(t.get("x")) > 700 and not t.get("transform")]
    assert right == ["0", "10", "20", "30", "40"] and "Antal" in shown  # the queue's own axis on the right
    assert "Kö, 4 januari 2026: 40" in titles(root)
    fills = [p for p in root.findall("s:path", NS) if (p.get("fill") or "").startswith("rgba")]
    assert len(fills) == 1 and fills[0].get("d").endswith("Z")  # the band between low and high
    assert not any(t.startswith("Dagar, 95") for t in titles(root))  # the band's edges have no tooltips


def test_the_sankey_diagram_has_a_band_per_flow_and_nodes_as_tall_as_their_cases():
    figure = charts.sankey(["Anmälningar", "Utredning", "Ej inledd", "Insats"], [(0, 1, 300), (0, 2, 500), (1, 3, 180)], [0, 1, 1, 2])
    root = parsed(figure)
    assert {"Anmälningar → Utredning: 300", "Anmälningar → Ej inledd: 500", "Utredning → Insats: 180"} <= set(titles(root))
    nodes = {r.find("s:title", NS).text.split(":")[0]: r for r in root.findall("s:rect", NS) if r.find("s:title", NS) is not None}
    height = {k: float(r.get("height")) for k, r in nodes.items()}
    assert height["Ej inledd"] / height["Utredning"] == pytest.approx(500 / 300, rel=0.01)
    assert height["Anmälningar"] == pytest.approx(height["Ej inledd"] + height["Utredning"], rel=0.01)
    x = {k: float(r.get("x")) for k, r in nodes.items()}
    assert x["Anmälningar"] < x["Utredning"] == x["Ej inledd"] < x["Insats"]


def test_text_is_escaped_and_nothing_needs_a_style_attribute_or_a_script():
    hostile = '<script>alert("x")</script>'
    html = str(svg.draw(charts.lines(["a", "b"], [(hostile, [1, 2]), ("b", [2, 3])], hostile), hostile))
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "style=" not in html
    ET.fromstring(html)


def test_a_chart_without_values_says_so():
    root = parsed(charts.lines([], [], "Antal"))
    assert texts(root) == ["Inga värden att visa för perioden."]
    root = parsed(charts.bars(["a"], [("x", [None])], "Antal"))
    assert texts(root) == ["Inga värden att visa för perioden."]


def test_what_it_cannot_draw_is_refused_not_left_blank():
    with pytest.raises(svg.UnknownChart, match="pie"):
        svg.draw({"data": [{"type": "pie", "values": [1]}], "layout": {}}, "x")
    figure = charts.lines(["a"], [("x", [1])], "y")
    figure["data"][0]["marker"]["symbol"] = "star"
    with pytest.raises(svg.UnknownChart, match="star"):
        svg.draw(figure, "x")


def test_a_chart_is_a_few_kilobytes():
    months = [f"m{i}" for i in range(13)]
    figure = charts.lines(months, [(f"s{k}", list(range(13))) for k in range(4)], "Antal", reference=5)
    assert len(str(svg.draw(figure, "x"))) < 20_000
    assert re.search(r'viewBox="0 0 760 \d+"', str(svg.draw(figure, "x")))


def test_a_value_is_written_as_the_table_writes_it_never_rounded_across_its_target():
    # 89,96 % is under a 90 % target: "90,0 %" beside a point drawn under the line would contradict it
    root = parsed(charts.lines(MONTHS[:2], [("Andel", [0.8996, 0.125])], "andel", percent=True, reference=0.9))
    assert titles(root) == ["Andel, jan 2026: 89,96\u00a0%", "Andel, feb 2026: 12,5\u00a0%"]
    bars = parsed(charts.bars(["a", "b"], [("Andel", [0.945, 0.125])], "andel", percent=True, reference=0.9))
    assert {"94,5\u00a0%", "12,5\u00a0%"} <= set(texts(bars))  # half up, and the decimals the verdict needs


def test_a_target_over_a_single_month_is_still_drawn():
    root = parsed(charts.lines(MONTHS[:1], [("Andel", [0.5])], "andel", percent=True, reference=0.9, reference_name="Mål"))
    target = [p for p in root.findall("s:path", NS) if p.get("stroke") == charts.REFERENCE_COLOUR]
    assert len(target) == 2  # across the plot, and the legend's swatch
    (x0, _), (x1, _) = (tuple(map(float, pt[1:].split(","))) for pt in target[0].get("d").split())
    assert x1 - x0 > 500


def test_weeks_within_one_month_are_labelled_by_their_days():
    weeks = ["2026-04-05", "2026-04-12", "2026-04-19", "2026-04-26", "2026-04-30"]
    root = parsed(charts.lines(weeks, [("Anmälningar", [12, 15, 9, 11, 3])], "Antal"))
    assert [t.text for t in root.findall("s:text", NS) if t.get("class") == "x-tick"] == [
        "5 apr", "12 apr", "19 apr", "26 apr", "30 apr"]


def test_counts_get_whole_number_ticks():
    root = parsed(charts.lines(MONTHS, [("Anmälningar", [0, 1, 2, 1])], "Antal"))
    ticks = [t.text for t in root.findall("s:text", NS) if t.get("text-anchor") == "end" and not t.get("class")]
    assert ticks == ["0", "1", "2"]


def test_a_chart_whose_every_value_is_hidden_says_so():
    # the nämnd's trend with every month masked: the target alone is no chart
    root = parsed(charts.lines(MONTHS, [("Anmälningar", [None] * 4)], "Antal", reference=5))
    assert texts(root) == ["Inga värden att visa för perioden."]
    assert texts(parsed(charts.sankey(["Anmälningar", "Utredning"], [], [0, 1]))) == ["Inga värden att visa för perioden."]
    assert texts(parsed(charts.sankey(["Anmälningar", "Utredning"], [(0, 1, 0)], [0, 1]))) == ["Inga värden att visa för perioden."]
