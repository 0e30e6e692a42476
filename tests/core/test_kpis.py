"""Key figures against values worked out by hand on the small municipality of kpicity.py."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from egenkontroll.core import kpi_catalogue, kpis
from egenkontroll.core.obligations import evaluate
from egenkontroll.core.orgtree import OrgTreeError
from tests.core import kpicity as city
from tests.core.eventtable import d, events


@pytest.fixture(scope="module")
def figures() -> pl.DataFrame:
    return kpis.compute(
        city.city_events(), city.city_obligations(), city.ORG_UNITS, city.CASEWORKERS, *city.PERIOD, city.AS_OF
    )


def fig(frame: pl.DataFrame, node: str, kpi: str, category: str | None = None, node_type: str = "unit") -> tuple:
    """(numerator, denominator, value) of one node and figure."""
    row = frame.filter(
        (pl.col("node_type") == node_type)
        & (pl.col("node_id") == node)
        & (pl.col("kpi") == kpi)
        & (pl.col("category").is_null() if category is None else pl.col("category") == category)
    )
    assert row.height == 1, (node, kpi, category, row)
    return tuple(row.select("numerator", "denominator", "value").row(0))


# ------------------------------------------------------------------ the catalogue


def test_catalogue_has_exactly_the_contract_ids_in_order():
    catalogue = kpi_catalogue.load_catalogue()
    assert tuple(catalogue) == kpi_catalogue.KPI_IDS
    assert catalogue["fb_inom_14d_andel"].unit == "andel" and catalogue["fb_inom_14d_andel"].better == "higher"
    assert catalogue["arenden_per_handlaggare"].target == 20.0
    assert catalogue["fb_dagar_median"].numerator.days == ("trigger_date", "fulfilled_date")
    assert catalogue["utr_inom_4m_andel"].numerator.limit_months == 4


def write_catalogue(tmp_path, mutate) -> str:
    import yaml

    data = yaml.safe_load(kpi_catalogue.CATALOGUE_PATH.read_text(encoding="utf-8"))
    mutate(data["kpis"])
    path = tmp_path / "kpis.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda k: k[0].update(colour="red"), "anmalningar): okänt fält colour"),
        (lambda k: k[0].update(id="anmalningar_x"), "okänt id 'anmalningar_x'"),
        (lambda k: k.remove(next(e for e in k if e["id"] == "markerade_skyldigheter")), "saknas: markerade_skyldigheter"),
        (lambda k: k[0].update(unit="andel"), "kind 'count' passar inte unit 'andel'"),
        # k[1] is aktualiseringar (issue 11), so the share figures start at k[2]
        (lambda k: k[3]["numerator"].update(rule=["forhandsbedomning_15d"]), "fb_inom_14d_andel): numerator: okänt värde i rule"),
        (lambda k: k[0]["numerator"].update(period_field="due_date"), "period_field 'due_date' ska vara en av date"),
        (lambda k: k[0]["numerator"].update(rule=["utredning_4m"]), "numerator: okänt fält rule"),
        (lambda k: k[2].pop("denominator"), "denominator krävs för kind share"),
        (lambda k: k[3].update(target=95), "är en andel och ska ligga mellan 0 och 1"),
    ],
)
def test_a_broken_catalogue_is_refused_naming_file_and_entry(tmp_path, mutate, message):
    path = write_catalogue(tmp_path, mutate)
    with pytest.raises(kpi_catalogue.KpiCatalogueError) as exc:
        kpi_catalogue.load_catalogue(path)
    assert message in str(exc.value)
    assert str(exc.value).startswith(path)


def test_a_municipality_overrides_targets_from_its_own_file(tmp_path):
    path = tmp_path / "mal.yaml"
    path.write_text("targets:\n  fb_inom_10ad_andel: 0.95\n  arenden_per_handlaggare: 18\n", encoding="utf-8")
    catalogue = kpi_catalogue.load_catalogue(targets=path)
    assert catalogue["fb_inom_10ad_andel"].target == 0.95
    assert catalogue["arenden_per_handlaggare"].target == 18.0
    assert catalogue["fb_inom_14d_andel"].target == 1.0
    assert kpi_catalogue.load_catalogue()["fb_inom_10ad_andel"].target == 1.0  # the default is untouched


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ({"targets": {"fb_snabba": 1}}, "okänt nyckeltal 'fb_snabba'"),
        ({"targets": {"fb_inom_14d_andel": 1.5}}, "mellan 0 och 1"),
        ({"targets": {"oppna_arenden": "många"}}, "ska vara ett tal"),
        ({"mal": {}}, "exakt en nyckel 'targets'"),
    ],
)
def test_bad_targets_are_refused(targets, message):
    with pytest.raises(kpi_catalogue.KpiCatalogueError, match=message):
        kpi_catalogue.load_catalogue(targets=targets)


def test_the_configured_catalogue_takes_the_targets_file_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(kpi_catalogue.TARGETS_ENV, raising=False)
    assert kpi_catalogue.configured_catalogue()["fb_inom_10ad_andel"].target == 1.0
    path = tmp_path / "mal.yaml"
    path.write_text("targets:\n  fb_inom_10ad_andel: 0.9\n", encoding="utf-8")
    monkeypatch.setenv(kpi_catalogue.TARGETS_ENV, str(path))
    assert kpi_catalogue.configured_catalogue()["fb_inom_10ad_andel"].target == 0.9
    path.write_text("targets:\n  fb_snabba: 1\n", encoding="utf-8")
    with pytest.raises(kpi_catalogue.KpiCatalogueError) as exc:
        kpi_catalogue.configured_catalogue()
    assert str(exc.value).startswith(f"EGK_KPI_TARGETS_FILE: {path}: okänt nyckeltal 'fb_snabba'")
    monkeypatch.setenv(kpi_catalogue.TARGETS_ENV, str(tmp_path / "saknas.yaml"))
    with pytest.raises(kpi_catalogue.KpiCatalogueError, match="saknas.yaml: kan inte läsas"):
        kpi_catalogue.configured_catalogue()


def test_target_status_follows_the_direction():
    catalogue = kpi_catalogue.load_catalogue()
    assert kpi_catalogue.target_status(catalogue["fb_inom_14d_andel"], 1.0) == "ok"
    assert kpi_catalogue.target_status(catalogue["fb_inom_14d_andel"], 0.99) == "miss"
    assert kpi_catalogue.target_status(catalogue["arenden_per_handlaggare"], 20.0) == "ok"
    assert kpi_catalogue.target_status(catalogue["arenden_per_handlaggare"], 20.5) == "miss"
    assert kpi_catalogue.target_status(catalogue["oppna_arenden"], 3) is None
    assert kpi_catalogue.target_status(catalogue["fb_inom_14d_andel"], None) is None


# ------------------------------------------------------------------ figures by hand


@pytest.mark.parametrize(
    ("node", "kpi", "expected"),
    [
        ("S", "anmalningar", (5, None, 5.0)),
        ("G1", "anmalningar", (3, None, 3.0)),
        ("E1", "anmalningar", (4, None, 4.0)),
        ("D2", "anmalningar", (1, None, 1.0)),
        ("S", "anmalan_inledd_andel", (1, 4, 0.25)),
        ("G1", "anmalan_inledd_andel", (1, 2, 0.5)),
        # decided in the period: c1 on time (G1), c5a on time (G2), c2 late (G3); c7b owes none
        # since it came in during c7's open investigation (issue 11)
        ("S", "fb_inom_14d_andel", (2, 3, 2 / 3)),
        ("D1", "fb_inom_14d_andel", (2, 2, 1.0)),
        ("D2", "fb_inom_14d_andel", (0, 1, 0.0)),
        ("S", "fb_inom_10ad_andel", (2, 3, 2 / 3)),
        ("S", "fb_forsenade", (1, None, 1.0)),
        ("G2", "fb_forsenade", (1, None, 1.0)),
        ("G1", "fb_forsenade", (0, None, 0.0)),
        ("S", "utr_inom_4m_andel", (1, 3, 1 / 3)),
        ("D1", "utr_inom_4m_andel", (1, 1, 1.0)),
        ("D2", "utr_inom_4m_andel", (0, 2, 0.0)),
        ("S", "utr_forlangning_andel", (1, 2, 0.5)),
        ("D1", "utr_forlangning_andel", (0, 0, None)),
        ("S", "utr_forsenade", (1, None, 1.0)),
        ("G3", "utr_forsenade", (1, None, 1.0)),
        ("S", "overvagande_i_tid_andel", (0, 0, None)),
        ("S", "placerade_barn", (1, None, 1.0)),
        ("G3", "placerade_barn", (1, None, 1.0)),
        ("D1", "placerade_barn", (0, None, 0.0)),
        ("S", "oppna_arenden", (6, None, 6.0)),
        ("G1", "oppna_arenden", (2, None, 2.0)),
        ("G2", "oppna_arenden", (2, None, 2.0)),
        ("G3", "oppna_arenden", (2, None, 2.0)),
        ("E1", "oppna_arenden", (4, None, 4.0)),
        ("S", "arenden_per_handlaggare", (6, 4, 1.5)),
        ("D1", "arenden_per_handlaggare", (4, 3, 4 / 3)),
        ("G2", "arenden_per_handlaggare", (2, 2, 1.0)),
        ("G3", "arenden_per_handlaggare", (2, 1, 2.0)),
    ],
)
def test_figures_match_the_hand_computed_values(figures, node, kpi, expected):
    num, den, value = fig(figures, node, kpi)
    assert (num, den) == expected[:2]
    assert value == pytest.approx(expected[2]) if expected[2] is not None else value is None


def test_medians_are_taken_per_subtree_not_from_the_childrens_medians(figures):
    # Decision days in the period: c1 10 (G1), c5a 5 (G2), c2 20 (G3) (c7b owes no decision).
    assert fig(figures, "G1", "fb_dagar_median") == (1, None, 10.0)
    assert fig(figures, "G2", "fb_dagar_median") == (1, None, 5.0)
    assert fig(figures, "D1", "fb_dagar_median") == (2, None, 7.5)  # median of 10 and 5
    assert fig(figures, "S", "fb_dagar_median") == (3, None, 10.0)  # median of 10, 5, 20 — not of 7.5 and 20
    assert fig(figures, "G1", "utr_dagar_median")[2] is None
    # Investigations concluded: c9 115 days (G2), c6 132 and c3 133 (G3).
    assert fig(figures, "D2", "utr_dagar_median") == (2, None, 132.5)
    assert fig(figures, "S", "utr_dagar_median") == (3, None, 132.0)


def test_every_numerator_and_denominator_is_exactly_the_sum_of_the_children(figures):
    units = figures.filter(pl.col("node_type") == "unit")
    children = units.filter(pl.col("parent_id").is_not_null()).group_by("parent_id", "kpi").agg(
        pl.col("numerator").sum().alias("child_num"), pl.col("denominator").sum().alias("child_den")
    )
    joined = units.join(children, left_on=["node_id", "kpi"], right_on=["parent_id", "kpi"])
    assert joined.height == 4 * len(kpi_catalogue.KPI_IDS)  # S, D1, E1, D2 have children
    assert (joined["numerator"] == joined["child_num"]).all()
    shares = joined.filter(pl.col("denominator").is_not_null())
    assert (shares["denominator"] == shares["child_den"]).all()
    s_num = joined.filter((pl.col("node_id") == "S") & (pl.col("kpi") == "oppna_arenden"))["numerator"].item()
    assert s_num == 6


def test_fulfilled_counts_where_it_was_done_open_where_the_case_is_now(figures):
    # c1: decided at G1 by alice; the case moved to bertil at G2 on 01-22. (c7b owes no decision.)
    assert fig(figures, "alice", "fb_inom_14d_andel", node_type="caseworker") == (1, 1, 1.0)
    assert fig(figures, "bertil", "fb_inom_14d_andel", node_type="caseworker") == (0, 0, None)
    assert fig(figures, "bertil", "oppna_arenden", node_type="caseworker") == (1, None, 1.0)
    assert fig(figures, "alice", "oppna_arenden", node_type="caseworker") == (2, None, 2.0)
    # The overdue preliminary assessment of c5 belongs to cecilia, responsible on as_of.
    assert fig(figures, "cecilia", "fb_forsenade", node_type="caseworker") == (1, None, 1.0)
    assert fig(figures, "david", "arenden_per_handlaggare", node_type="caseworker") == (2, 1, 2.0)


def test_caseworker_rows_carry_their_unit_and_name(figures):
    row = figures.filter((pl.col("node_id") == "cecilia") & (pl.col("kpi") == "anmalningar")).row(0, named=True)
    assert (row["node_type"], row["name"], row["level"], row["parent_id"]) == (
        "caseworker", "Cecilia Öst", "handlaggare", "G2",
    )
    assert row["numerator"] == 1  # c5's second report


def test_the_engines_own_obligations_give_the_same_figures():
    ev = city.city_events()
    evaluation = evaluate(ev, city.AS_OF, city.ENGINE_RULES)
    ids = [k for k in kpi_catalogue.KPI_IDS if k.startswith(("fb_", "utr_"))]
    args = (city.ORG_UNITS, city.CASEWORKERS, *city.PERIOD, city.AS_OF)
    by_engine = kpis.compute(ev, evaluation.obligations, *args, kpi_ids=ids, links=evaluation.links)
    by_hand = kpis.compute(ev, city.city_obligations(), *args, kpi_ids=ids)
    assert by_engine.equals(by_hand)


# ------------------------------------------------------------------ open cases, placements, as_of


def open_and_placed(as_of: dt.date, who: str | None = None):
    """(open cases, placed children) per unit on as_of, or one caseworker's open cases."""
    frame = kpis.compute(
        city.city_events(), city.city_obligations([]), city.ORG_UNITS, city.CASEWORKERS,
        dt.date(2024, 1, 1), as_of, kpi_ids=["oppna_arenden", "placerade_barn"],
    )
    if who is not None:
        return fig(frame, who, "oppna_arenden", node_type="caseworker")[0]
    return {
        unit: tuple(fig(frame, unit, k)[0] for k in ("oppna_arenden", "placerade_barn"))
        for unit in ("S", "G1", "G2", "G3")
    }


def test_as_of_moves_the_open_cases_and_placements():
    # 2024-02-29: c6 still open (closed 03-01), c4 not yet reported, c3 placed since 02-25.
    assert open_and_placed(dt.date(2024, 2, 29)) == {"S": (6, 1), "G1": (1, 0), "G2": (2, 0), "G3": (3, 1)}
    assert open_and_placed(dt.date(2024, 2, 24))["S"] == (6, 0)
    # 2024-01-04: at G2, c5 (reported 2023-12-31, not yet decided) is open and c1 has not
    # come yet; c6 is still under investigation at G3.
    assert open_and_placed(dt.date(2024, 1, 4)) == {"S": (6, 0), "G1": (1, 0), "G2": (2, 0), "G3": (3, 0)}
    assert open_and_placed(dt.date(2024, 1, 4), who="cecilia") == 2  # c5 and c9
    assert open_and_placed(dt.date(2024, 2, 29), who="cecilia") == 1  # c5 dismissed on 01-05


def test_events_after_as_of_are_ignored_even_inside_the_period():
    frame = kpis.compute(
        city.city_events(), city.city_obligations([]), city.ORG_UNITS, city.CASEWORKERS,
        *city.PERIOD, dt.date(2024, 2, 29), kpi_ids=["anmalningar"],
    )
    assert fig(frame, "S", "anmalningar")[0] == 4  # c4's report of 03-31 is not known yet


def test_a_dismissed_report_closes_the_case_only_when_nothing_is_open():
    evs = events(
        ("a1", "k1", "anmalan", "2024-01-02"),
        ("f1", "k1", "forhandsbedomning", "2024-01-05", {"outcome": "ej_inleda"}),
        ("a2", "k2", "anmalan", "2024-01-02"),
        ("f2", "k2", "forhandsbedomning", "2024-01-05", {"outcome": "inleda"}),
        ("b2", "k2", "anmalan", "2024-01-20"),
        ("g2", "k2", "forhandsbedomning", "2024-01-22", {"outcome": "ej_inleda"}),
        ("s3", "k3", "insats_start", "2023-06-01", {"intervention": "kontaktperson"}),
        ("a3", "k3", "anmalan", "2024-01-02"),
        ("f3", "k3", "forhandsbedomning", "2024-01-05", {"outcome": "ej_inleda"}),
        ("a4", "k4", "anmalan", "2024-01-02"),
        ("f4", "k4", "forhandsbedomning", "2024-01-05", {"outcome": "inleda"}),
        ("u4", "k4", "utredning_avslutad", "2024-01-25", {"outcome": "ingen_insats"}),
        ("a5", "k5", "anmalan", "2024-01-02"),
        ("z5", "k5", "arende_avslutat", "2024-01-03"),
    )
    org = pl.DataFrame({"unit_id": ["G1"], "parent_id": [None], "name": ["Grupp"], "level": ["grupp"]})

    def open_cases(day: str) -> int:
        frame = kpis.compute(evs, city.city_obligations([]), org, city.CASEWORKERS, d("2024-01-01"), d(day),
                             kpi_ids=["oppna_arenden"])
        return fig(frame, "G1", "oppna_arenden")[0]

    # k1 dismissed; k2 investigation still open; k3 kontaktperson still open; k4 concluded but
    # not closed (latest decision is the conclusion); k5 closed.
    assert open_cases("2024-01-31") == 3
    assert open_cases("2024-01-04") == 4  # before the decisions all but k5 are open


def test_a_child_in_two_placements_counts_once():
    evs = events(
        ("p1", "k1", "insats_start", "2024-01-10", {"intervention": "familjehem", "legal_basis": "SoL", "person_key": "barn"}),
        ("p2", "k2", "insats_start", "2024-02-10", {"intervention": "jourhem", "legal_basis": "SoL", "person_key": "barn"}),
        ("o3", "k3", "insats_start", "2024-01-10", {"intervention": "kontaktfamilj"}),
        ("p4", "k4", "insats_start", "2024-01-10", {"intervention": "hvb", "legal_basis": "LVU2"}),
        ("e4", "k4", "insats_slut", "2024-03-01", {"ref": "p4"}),
    )
    org = pl.DataFrame({"unit_id": ["G1"], "parent_id": [None], "name": ["Grupp"], "level": ["grupp"]})
    frame = kpis.compute(evs, city.city_obligations([]), org, city.CASEWORKERS, d("2024-01-01"), d("2024-03-31"),
                         kpi_ids=["placerade_barn", "oppna_arenden"])
    assert fig(frame, "G1", "placerade_barn") == (1, None, 1.0)
    assert fig(frame, "G1", "oppna_arenden")[0] == 4


# ------------------------------------------------------------------ periods and limits


def test_period_boundaries_are_inclusive():
    def reports(start: str, end: str) -> int:
        frame = kpis.compute(city.city_events(), city.city_obligations(), city.ORG_UNITS, city.CASEWORKERS,
                             d(start), d(end), d("2024-03-31"), kpi_ids=["anmalningar"])
        return fig(frame, "S", "anmalningar")[0]

    assert reports("2024-01-10", "2024-01-31") == 2  # c1a on the first day, c2a on the last
    assert reports("2024-01-11", "2024-01-30") == 0


def small_org() -> pl.DataFrame:
    return pl.DataFrame({"unit_id": ["G1"], "parent_id": [None], "name": ["Grupp"], "level": ["grupp"]})


def obligations(*rows: tuple) -> pl.DataFrame:
    """Rows (rule, trigger_date, due_date, fulfilled_date, status[, extended])."""
    return city.city_obligations(
        [
            {"case_id": f"k{i}", "rule": r[0], "trigger_date": d(r[1]), "due_date": d(r[2]), "fulfilled_date": d(r[3]),
             "status": r[4], "extended": r[5] if len(r) > 5 else False, "unit_id": "G1", "caseworker_id": "alice",
             "person_key": f"p{i}"}
            for i, r in enumerate(rows)
        ]
    )


def test_four_months_moves_to_the_next_working_day_and_ignores_extensions():
    ob = obligations(
        # opened 2023-10-10: four months = Saturday 2024-02-10 → Monday 02-12
        ("utredning_4m", "2023-10-10", "2024-02-12", "2024-02-12", "fulfilled_on_time"),
        ("utredning_4m", "2023-10-10", "2024-03-01", "2024-02-13", "fulfilled_on_time", True),
        # opened 2023-10-31: four months = 2024-02-29 (leap year, Thursday)
        ("utredning_4m", "2023-10-31", "2024-02-29", "2024-02-29", "fulfilled_on_time"),
        ("utredning_4m", "2023-10-31", "2024-02-29", "2024-03-01", "fulfilled_late"),
        ("utredning_4m", "2023-10-31", "2024-02-29", None, "overdue"),
    )
    frame = kpis.compute(events(), ob, small_org(), city.CASEWORKERS, d("2024-01-01"), d("2024-03-31"),
                         kpi_ids=["utr_inom_4m_andel", "utr_forlangning_andel", "utr_forsenade"])
    assert fig(frame, "G1", "utr_inom_4m_andel") == (2, 4, 0.5)
    assert fig(frame, "G1", "utr_forlangning_andel") == (1, 2, 0.5)
    assert fig(frame, "G1", "utr_forsenade") == (1, None, 1.0)


def test_considerations_and_visits_count_by_due_date_without_void():
    ob = obligations(
        ("overvagande_6m", "2023-07-01", "2024-01-01", "2023-12-20", "fulfilled_on_time"),
        ("omprovning_6m", "2023-09-15", "2024-03-15", "2024-03-20", "fulfilled_late"),
        ("overvagande_6m", "2023-08-10", "2024-02-12", None, "void"),
        ("overvagande_6m", "2023-09-30", "2024-03-31", None, "pending"),
        ("omprovning_6m", "2023-08-01", "2024-02-01", None, "overdue"),
        ("overvagande_6m", "2023-06-30", "2023-12-31", "2023-12-30", "fulfilled_on_time"),  # due before the period
        ("overvagande_6m", "2023-10-01", "2024-04-01", None, "pending"),  # due after it
        ("besok_3m", "2023-11-01", "2024-02-01", "2024-01-25", "fulfilled_on_time"),
        ("besok_3m", "2023-12-01", "2024-03-01", "2024-03-05", "fulfilled_late"),
        ("besok_3m", "2023-12-05", "2024-03-05", None, "void"),
    )
    frame = kpis.compute(events(), ob, small_org(), city.CASEWORKERS, d("2024-01-01"), d("2024-03-31"),
                         kpi_ids=["overvagande_i_tid_andel", "besok_i_tid_andel"])
    assert fig(frame, "G1", "overvagande_i_tid_andel") == (1, 4, 0.25)
    assert fig(frame, "G1", "besok_i_tid_andel") == (1, 2, 0.5)


# ------------------------------------------------------------------ breakdowns


def breakdown(name: str) -> pl.DataFrame:
    return kpis.compute(
        city.city_events(), city.city_obligations(), city.ORG_UNITS, city.CASEWORKERS, *city.PERIOD, city.AS_OF,
        breakdown=name,
    )


def test_breakdowns_by_hand():
    by_gender = breakdown("gender")
    assert [fig(by_gender, "S", "anmalningar", g)[0] for g in ("F", "M", "X", "U")] == [2, 2, 1, 0]
    assert fig(by_gender, "S", "fb_dagar_median", "M") == (1, None, 20.0)  # c2 20 days (c7b owes none)
    by_age = breakdown("age_band")
    # c2 3 y; c1 11 y and c4 8 y; c7 14 y; c5 without birth date.
    assert [fig(by_age, "S", "anmalningar", b)[0] for b in kpi_catalogue.BREAKDOWNS["age_band"]] == [1, 2, 1, 0, 1]
    # On as_of c3 is 17 (born 2007-03-15), placed.
    assert fig(by_age, "S", "placerade_barn", "13-17")[0] == 1
    by_unaccompanied = breakdown("unaccompanied")
    assert fig(by_unaccompanied, "S", "oppna_arenden", "ja")[0] == 1
    assert fig(by_unaccompanied, "S", "oppna_arenden", "nej")[0] == 5


@pytest.mark.parametrize("name", list(kpi_catalogue.BREAKDOWNS))
def test_breakdowns_add_up_to_the_totals(figures, name):
    split = breakdown(name)
    assert set(split["category"].unique()) == set(kpi_catalogue.BREAKDOWNS[name])
    sums = split.group_by("node_type", "node_id", "kpi").agg(
        pl.col("numerator").sum().alias("num"), pl.col("denominator").sum().alias("den")
    )
    offered = [k.id for k in kpi_catalogue.load_catalogue().values() if name in k.breakdowns]
    figures = figures.filter(pl.col("kpi").is_in(offered))
    joined = figures.join(sums, on=["node_type", "node_id", "kpi"])
    assert joined.height == figures.height
    assert (joined["numerator"] == joined["num"]).all()
    shares = joined.filter(pl.col("denominator").is_not_null() & (pl.col("kpi") != "arenden_per_handlaggare"))
    assert (shares["denominator"] == shares["den"]).all()


def test_age_is_counted_in_whole_years_on_the_event_day():
    evs = events(
        ("a", "k1", "anmalan", "2024-01-20", {"birth_date": "2006-01-20"}),  # 18 that day
        ("b", "k2", "anmalan", "2024-01-19", {"birth_date": "2006-01-20", "person_key": "p-b"}),  # 17
        ("c", "k3", "anmalan", "2022-02-28", {"birth_date": "2016-02-29"}),  # 5 until 03-01
        ("e", "k4", "anmalan", "2024-01-10", {"birth_date": "2002-01-01"}),  # 22: outside the bands
    )
    frame = kpis.compute(evs, city.city_obligations([]), small_org(), city.CASEWORKERS, d("2022-01-01"),
                         d("2024-03-31"), kpi_ids=["anmalningar"], breakdown="age_band")
    counts = [fig(frame, "G1", "anmalningar", b)[0] for b in kpi_catalogue.BREAKDOWNS["age_band"]]
    assert counts == [1, 0, 1, 1, 1]


# ------------------------------------------------------------------ the tree and odd input


def test_tree_json_nests_the_whole_city(figures):
    tree = kpis.build_tree(figures)
    assert set(tree) == {"unit_id", "name", "level", "kpis", "children"}
    assert (tree["unit_id"], tree["level"]) == ("S", "stad")
    assert [c["unit_id"] for c in tree["children"]] == ["D1", "D2"]  # Norrort, Söderort
    e1 = tree["children"][0]["children"][0]
    assert [g["unit_id"] for g in e1["children"]] == ["G1", "G2"]
    assert tree["kpis"]["oppna_arenden"] == {"numerator": 6, "denominator": None, "value": 6}
    assert tree["kpis"]["fb_inom_14d_andel"] == {"numerator": 2, "denominator": 3, "value": 2 / 3}
    assert list(tree["kpis"]) == list(kpi_catalogue.KPI_IDS)
    sub = kpis.build_tree(figures, root="D2")
    assert sub["unit_id"] == "D2" and sub["children"][0]["unit_id"] == "G3"


def test_tree_refuses_an_unknown_root_and_a_forest(figures):
    with pytest.raises(OrgTreeError, match="okänd enhet: X9"):
        kpis.build_tree(figures, root="X9")
    forest = figures.with_columns(
        parent_id=pl.when(pl.col("node_id") == "D2").then(None).otherwise(pl.col("parent_id"))
    )
    with pytest.raises(OrgTreeError, match="2 rotenheter"):
        kpis.build_tree(forest)


def test_items_of_an_unknown_unit_are_kept_under_the_root():
    evs = events(("a", "k1", "anmalan", "2024-01-10", {"unit_id": "G1"}), ("b", "k2", "anmalan", "2024-01-10", {"unit_id": "GX"}))
    org = pl.DataFrame({"unit_id": ["S", "G1"], "parent_id": [None, "S"], "name": ["Staden", "Grupp"], "level": ["stad", "grupp"]})
    frame = kpis.compute(evs, city.city_obligations([]), org, city.CASEWORKERS, d("2024-01-01"), d("2024-01-31"),
                         kpi_ids=["anmalningar"])
    assert fig(frame, "S", "anmalningar")[0] == 2
    assert fig(frame, kpis.UNKNOWN_UNIT, "anmalningar")[0] == 1
    assert fig(frame, "G1", "anmalningar")[0] == 1


def test_unknown_figure_breakdown_and_reversed_period_are_refused():
    args = (city.city_events(), city.city_obligations(), city.ORG_UNITS, city.CASEWORKERS)
    with pytest.raises(ValueError, match="okänt nyckeltal: nope"):
        kpis.compute(*args, *city.PERIOD, kpi_ids=["nope"])
    with pytest.raises(ValueError, match="okänd nedbrytning"):
        kpis.compute(*args, *city.PERIOD, breakdown="kommun")
    with pytest.raises(ValueError, match="börjar"):
        kpis.compute(*args, d("2024-02-01"), d("2024-01-01"))


def test_every_figure_is_documented_in_its_own_words():
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "key-figures.md").read_text(encoding="utf-8")
    for kpi in kpi_catalogue.load_catalogue().values():
        assert f"### `{kpi.id}` — {kpi.title}" in doc
        assert kpi.description in doc


# ------------------------------------------------------------------ the items behind a number


def items_city():
    """kpicity with considerations and visits due in the period, and a report of a unit and a
    caseworker missing from the registers (erik at GX)."""
    ev = events(*city.event_rows(), ("x1", "c10", "anmalan", "2024-02-05", {"unit_id": "GX", "caseworker_id": "erik"}))
    extra = [
        city._ob("c3", "overvagande_6m", "c3p", "2024-02-25", "2024-03-01", "2024-02-28", "fulfilled_on_time", "G3", "david"),
        city._ob("c3", "omprovning_6m", "c3p", "2023-09-01", "2024-03-01", None, "overdue", "G3", "david"),
        city._ob("c8", "overvagande_6m", "c8f", "2023-09-01", "2024-03-01", None, "void", "G3", "david"),
        city._ob("c3", "besok_3m", "c3p", "2024-02-25", "2024-03-25", "2024-03-20", "fulfilled_on_time", "G3", "david"),
        city._ob("c1", "besok_3m", "c1f", "2024-01-01", "2024-03-30", None, "overdue", "G2", "bertil"),
    ]
    return ev, city.city_obligations(city.OBLIGATION_ROWS + extra)


def test_items_are_exactly_what_every_figure_counts_for_every_node():
    ev, ob = items_city()
    args = (ev, ob, city.ORG_UNITS, city.CASEWORKERS)
    links = evaluate(ev, city.AS_OF, city.ENGINE_RULES).links  # linked once, as the web pages do
    frame = kpis.compute(*args, *city.PERIOD, city.AS_OF, links=links)
    population_denominators = {
        k.id for k in kpi_catalogue.load_catalogue().values() if k.denominator and k.denominator.source == "population"
    }
    checked = 0
    for row in frame.iter_rows(named=True):
        node = {"unit_id" if row["node_type"] == "unit" else "caseworker_id": row["node_id"]}
        for part in ("numerator", "denominator"):
            if row[part] is None or (part == "denominator" and row["kpi"] in population_denominators):
                continue  # a population is no list of cases (test_kpis_issue16 tests its figure)
            found = kpis.items(*args, row["kpi"], *city.PERIOD, city.AS_OF, part=part, links=links, **node)
            assert found["weight"].sum() == row[part], (row, part)  # a row is one item, or a unit's posts
            checked += found.height
        if row["kpi"].endswith("_median") and row["numerator"]:
            assert found["days"].median() == row["value"]
    assert checked > 150
    assert frame.filter(pl.col("node_id") == kpis.UNKNOWN_UNIT).height == len(kpi_catalogue.KPI_IDS)


def test_items_by_hand():
    ev, ob = items_city()
    args = (ev, ob, city.ORG_UNITS, city.CASEWORKERS)

    def listed(kpi_id, part="numerator", **node):
        found = kpis.items(*args, kpi_id, *city.PERIOD, city.AS_OF, part=part, **node)
        return found.select("case_id", "unit_id", "caseworker_id").rows()

    # Reports by date; c10's unit GX is not in the tree but its report counts at the root.
    assert listed("anmalningar", unit_id="S") == [
        ("c1", "G1", "alice"), ("c2", "G3", "david"), ("c5", "G2", "cecilia"), ("c10", "GX", "erik"),
        ("c7", "G1", "alice"), ("c4", "G1", "alice"),
    ]
    assert listed("anmalningar", unit_id=kpis.UNKNOWN_UNIT) == [("c10", "GX", "erik")]
    # The median's items carry the days it is taken over (c1 10, c2 20, c5 5 → 10; c7b owes none).
    days = kpis.items(*args, "fb_dagar_median", *city.PERIOD, city.AS_OF)["days"].sort().to_list()
    assert days == [5, 10, 20]
    # Considerations due in the period, void left out, by due date.
    assert listed("overvagande_i_tid_andel", "denominator", unit_id="G3") == [("c3", "G3", "david")] * 2
    # Active caseworkers: one row each, at their own unit (erik, unregistered: his case's unit).
    workers = kpis.items(*args, "arenden_per_handlaggare", *city.PERIOD, city.AS_OF, part="denominator")
    assert sorted(workers.select("caseworker_id", "unit_id").rows()) == [
        ("alice", "G1"), ("bertil", "G2"), ("cecilia", "G2"), ("david", "G3"), ("erik", "GX"),
    ]
    with pytest.raises(ValueError, match="ingen nämnare"):
        kpis.items(*args, "anmalningar", *city.PERIOD, part="denominator")
    with pytest.raises(ValueError, match="okänd del"):
        kpis.items(*args, "anmalningar", *city.PERIOD, part="num")
    with pytest.raises(OrgTreeError, match="okänd enhet"):
        kpis.items(*args, "anmalningar", *city.PERIOD, unit_id="G9")


# ------------------------------------------------------------------ issue 11: aktualiseringar


def test_anmalningar_count_anmalningar_only_and_aktualiseringar_every_kind():
    evs = events(
        ("a", "k1", "anmalan", "2024-01-10", {"source": "polis"}),
        ("b", "k2", "anmalan", "2024-01-11", {"kind": "anmalan", "source": "skola"}),
        ("c", "k3", "anmalan", "2024-01-12", {"kind": "ansokan", "source": "enskild"}),
        ("e", "k4", "anmalan", "2024-01-13", {"kind": "information"}),
        ("f", "k5", "anmalan", "2024-01-14", {"kind": "ansokan", "source": "anhorig"}),
    )
    args = (evs, city.city_obligations([]), small_org(), city.CASEWORKERS, d("2024-01-01"), d("2024-03-31"))
    ids = ["anmalningar", "aktualiseringar"]
    totals = kpis.compute(*args, kpi_ids=ids)
    # a (empty kind = anmälan) and b are anmälningar; all five are aktualiseringar
    assert fig(totals, "G1", "anmalningar") == (2, None, 2.0)
    assert fig(totals, "G1", "aktualiseringar") == (5, None, 5.0)
    by_kind = kpis.compute(*args, kpi_ids=ids, breakdown="kind")
    assert by_kind["kpi"].unique().to_list() == ["aktualiseringar"]  # anmalningar has no kind breakdown
    assert [fig(by_kind, "G1", "aktualiseringar", k)[0] for k in ("anmalan", "ansokan", "information")] == [2, 2, 1]
    by_source = kpis.compute(*args, kpi_ids=ids, breakdown="source")
    counted = {c: fig(by_source, "G1", "aktualiseringar", c)[0] for c in kpi_catalogue.BREAKDOWNS["source"]}
    assert {c: n for c, n in counted.items() if n} == {"polis": 1, "skola": 1, "enskild": 1, "anhorig": 1, "okand": 1}
    assert fig(by_source, "G1", "anmalningar", "polis")[0] == 1 and fig(by_source, "G1", "anmalningar", "okand")[0] == 0
