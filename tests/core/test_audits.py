"""Kvalitetsgranskning core: templates as data, who is eligible, a fair reproducible sample, results."""

from __future__ import annotations

import datetime as dt
import textwrap

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egenkontroll.core import audits
from tests.core.eventtable import d, events
from tests.core.kpicity import ORG_UNITS

FROM, TO = dt.date(2024, 1, 1), dt.date(2024, 6, 30)


# ---------------------------------------------------------------- templates


def test_shipped_templates_cover_all_six_quality_areas_with_legal_basis():
    templates = audits.load_templates()
    assert {"barnavardsutredning", "familjevard"} <= set(templates)
    for template in templates.values():
        assert template.areas() == list(audits.QUALITY_AREAS), template.id
        assert template.population in audits.POPULATIONS
        assert all(q.basis or q.lagrum for q in template.questions if q.kind == "fraga"), template.id
    assert len(audits.QUALITY_AREAS) == 6
    familjevard = templates["familjevard"]
    # Regrouped as the city's inspectors group it (seed 004): övervägande in time is trygghet och säkerhet.
    assert familjevard.question("overvagande_6m").area == "trygghet_sakerhet"
    assert familjevard.question("halsokort_utskickat").area == "helhetssyn_samordning"
    assert familjevard.population_title.startswith("Ärenden med en familjehems")


def write(tmp_path, body: str):
    path = tmp_path / "mallar.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


GOOD_QUESTION = "      - {id: q1, area: effektivitet, text: Fråga?}\n"
HEAD = "templates:\n  - id: t\n    title: T\n    purpose: P\n    population: placering\n    questions:\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("rules: []\n", "icke-tom lista 'templates'"),
        (HEAD.replace("placering", "alla") + GOOD_QUESTION, "okänd population 'alla'"),
        (HEAD + "      - {id: q1, area: trivsel, text: Fråga?}\n", "frågan q1: okänt kvalitetsområde 'trivsel'"),
        (HEAD + GOOD_QUESTION * 2, "fråge-id förekommer flera gånger: q1"),
        (HEAD + "      - {id: q1, area: effektivitet}\n", "frågan q1: 'text' saknas"),
        (HEAD + "      - {id: q1, area: effektivitet, text: F?, vikt: 2}\n", "frågan q1: okända fält: vikt"),
        (HEAD.replace("    title: T\n", "") + GOOD_QUESTION, "mallen t: 'title' saknas"),
        (HEAD + GOOD_QUESTION + HEAD.removeprefix("templates:\n") + GOOD_QUESTION, "mallen t: id förekommer flera gånger"),
        (HEAD, "'questions' ska vara en icke-tom lista"),
        # conditions name an earlier question and one of its answers
        (HEAD + "      - {id: q2, area: effektivitet, text: F?, when: {question: q1}}\n" + GOOD_QUESTION,
         "frågan q2: villkoret gäller 'q1', som inte är en tidigare fråga"),
        (HEAD + "      - {id: q1, area: effektivitet, text: F?, answer_type: ja_nej}\n"
         "      - {id: q2, area: effektivitet, text: F?, when: {question: q1, answers: [ej_aktuellt]}}\n",
         "frågan q2: villkorets svar ska vara bland ja, nej"),
        (HEAD + "      - {id: q1, area: effektivitet, text: F?, kind: bakgrundsfakta}\n", "okänt värde för 'kind'"),
        (HEAD + "      - {id: q1, area: effektivitet, text: F?, answer_type: skala}\n", "okänt värde för 'answer_type'"),
        # SoL references: both laws with their windows, a paragraph with §, "verifierad" only for a real one
        (HEAD + "      - {id: q1, area: effektivitet, text: F?, lagrum: [{sfs: '2001:453', paragraf: 6 kap. 8 §, "
                "till: 2025-06-30}]}\n", "frågan q1: lagrum enligt SoL ska ange både 2001:453"),
        (HEAD + "      - {id: q1, area: effektivitet, text: F?, lagrum: [{sfs: '2001:453', paragraf: 6 kap. 8 §, "
                "till: 2025-06-30}, {sfs: '2025:400', paragraf: motsvarande bestämmelse, fran: 2025-07-01}]}\n",
         "paragrafen 'motsvarande bestämmelse' ska ange kapitel och paragraf"),
        (HEAD + "      - {id: q1, area: effektivitet, text: F?, lagrum: [{sfs: '2001:453', paragraf: 6 kap. 8 §, "
                "till: 2025-06-30}, {sfs: '2025:400', paragraf: ej verifierad, fran: 2025-07-01, verifierad: true}]}\n",
         "'verifierad' ska vara true eller false"),
    ],
)
def test_a_broken_templates_file_is_refused_with_the_entry_named(tmp_path, body, message):
    path = write(tmp_path, body)
    with pytest.raises(audits.AuditTemplateError, match=message) as raised:
        audits.load_templates(path)
    assert str(path) in str(raised.value)


def test_every_sol_reference_has_both_laws_and_the_right_one_applies_by_date():
    for template in audits.load_templates().values():
        for q in template.questions:
            laws = {r.sfs for r in q.lagrum}
            assert not laws or laws >= {"2001:453", "2025:400"}, (template.id, q.id)
            for ref in q.lagrum:
                assert ref.paragraph == "ej verifierad" or "kap." in ref.paragraph, (template.id, q.id)
    q = audits.load_templates()["familjevard"].question("overvagande_6m")
    assert [r.text() for r in q.references_on(dt.date(2025, 6, 30))] == [
        "6 kap. 8 § socialtjänstlagen (2001:453) (till 2025-06-30)"]
    assert [r.text() for r in q.references_on(dt.date(2025, 7, 1))] == [
        "22 kap. 13 § första stycket socialtjänstlag (2025:400) (från 2025-07-01)"]
    unverified = audits.load_templates()["familjevard"].question("enskilt_samtal")
    assert [r.text() for r in unverified.references_on(dt.date(2024, 1, 1))] == [
        "6 kap. 7 b § socialtjänstlagen (2001:453) (till 2025-06-30), ej verifierad i lagtexten"]
    assert [r.text() for r in unverified.references_on(dt.date(2026, 1, 1))] == [
        "socialtjänstlag (2025:400) (från 2025-07-01): paragrafen ej verifierad"]


def test_a_conditional_question_counts_for_completeness_only_when_it_applies():
    template = audits.load_templates()["tillfalligt_boende"]
    answered = {q.id: "ja" for q in template.questions}
    assert template.is_complete(answered)
    without_children = {**{q.id: "nej" for q in template.questions if not q.when}}
    assert template.is_complete(without_children)  # no children: the Barnperspektiv questions are not asked
    assert not template.is_complete({**without_children, "barn_i_hushallet": "ja"})
    assert template.match("  plan FINNS för boendesituationen ").id == "plan_boende"
    assert template.match("Finns inte") is None


def test_a_municipalitys_own_file_replaces_the_shipped_one(tmp_path, monkeypatch):
    path = write(tmp_path, HEAD + GOOD_QUESTION)
    monkeypatch.setenv("EGK_AUDIT_TEMPLATES_FILE", str(path))
    assert list(audits.load_templates()) == ["t"]
    assert audits.load_templates()["t"].areas() == ["effektivitet"]


# ---------------------------------------------------------------- population


CASES = events(
    # K1: investigation concluded in the period, moved from G1 to G3 before the period ended
    ("a1", "K1", "anmalan", "2023-11-01"),
    ("u1", "K1", "utredning_inledd", "2023-11-10"),
    ("h1", "K1", "handlaggare", "2024-01-20", {"unit_id": "G3"}),
    ("x1", "K1", "utredning_avslutad", "2024-02-01", {"unit_id": "G3", "outcome": "insats"}),
    # K2: concluded after the period; decided not to investigate in the period
    ("u2", "K2", "utredning_inledd", "2024-03-01", {"gender": "M"}),
    ("x2", "K2", "utredning_avslutad", "2024-07-15", {"gender": "M"}),
    ("f2", "K2", "forhandsbedomning", "2024-02-01", {"gender": "M", "outcome": "ej_inleda"}),
    # K3: family home placement from before the period, still going; K4: HVB that ended before it
    ("s3", "K3", "insats_start", "2023-05-01", {"intervention": "familjehem", "legal_basis": "SoL"}),
    ("s4", "K4", "insats_start", "2023-01-01", {"intervention": "hvb", "legal_basis": "SoL"}),
    ("e4", "K4", "insats_slut", "2023-12-31", {"ref": "s4"}),
    # K5: HVB during the period; K6: family home starting after it
    ("s5", "K5", "insats_start", "2024-03-01", {"intervention": "hvb", "legal_basis": "LVU2", "unit_id": "G2"}),
    ("e5", "K5", "insats_slut", "2024-04-30", {"ref": "s5", "unit_id": "G2"}),
    ("s6", "K6", "insats_start", "2024-07-01", {"intervention": "familjehem", "legal_basis": "SoL"}),
)


@pytest.mark.parametrize(
    ("population", "expected"),
    [
        ("utredning_avslutad", [("K1", "G3", d("2024-02-01"))]),
        ("forhandsbedomning_ej_inleda", [("K2", "G1", d("2024-02-01"))]),
        ("placering", [("K3", "G1", TO), ("K5", "G2", d("2024-04-30"))]),
        ("placering_familjehem", [("K3", "G1", TO)]),
    ],
)
def test_eligible_cases_follow_the_population_and_the_period(population, expected):
    found = audits.eligible_cases(CASES, population, FROM, TO)
    assert found.schema == pl.Schema(audits.ELIGIBLE)
    assert found.select("case_id", "unit_id", "qualifying_date").rows() == expected


def test_unknown_population_is_an_error():
    with pytest.raises(ValueError, match="okänd population"):
        audits.eligible_cases(CASES, "alla", FROM, TO)


# ---------------------------------------------------------------- sample


def eligible(per_group: dict[str, int]) -> pl.DataFrame:
    rows = [
        {"case_id": f"{unit}-{i:04d}", "unit_id": unit, "gender": "FM"[i % 2], "birth_date": None, "qualifying_date": TO}
        for unit, n in per_group.items()
        for i in range(n)
    ]
    return pl.DataFrame(rows, schema=audits.ELIGIBLE)


def test_sample_is_stratified_by_district_and_capped():
    pool = eligible({"G1": 30, "G2": 5, "G3": 12})
    sample = audits.draw_sample(pool, ORG_UNITS, "forvaltning", 8, seed=7)
    assert sample.schema == pl.Schema(audits.SAMPLE)
    # D1 = G1 + G2 (35 cases): 8 drawn; D2 = G3 (12 cases): 8 drawn
    assert sample.group_by("district_id").len().sort("district_id").rows() == [("D1", 8), ("D2", 8)]
    assert sample.filter(pl.col("district_id") == "D1")["position"].to_list() == list(range(1, 9))
    assert sample["case_id"].is_unique().all()
    assert set(sample["case_id"]) <= set(pool["case_id"])
    small = audits.draw_sample(pool, ORG_UNITS, "enhet", 100, seed=7)
    assert small.group_by("district_id").len().sort("district_id").rows() == [("E1", 35)]  # G3 has no enhet


def test_sample_is_reproducible_and_independent_of_row_order_and_other_districts():
    pool = eligible({"G1": 40, "G3": 40})
    first = audits.draw_sample(pool, ORG_UNITS, "forvaltning", 10, seed=2026)
    shuffled = audits.draw_sample(pool.sample(fraction=1.0, shuffle=True, seed=1), ORG_UNITS, "forvaltning", 10, seed=2026)
    only_d2 = audits.draw_sample(pool, ORG_UNITS, "forvaltning", 10, seed=2026, district_ids=["D2"])
    other_seed = audits.draw_sample(pool, ORG_UNITS, "forvaltning", 10, seed=2027)
    assert first.equals(shuffled)
    assert only_d2.equals(first.filter(pl.col("district_id") == "D2"))
    assert set(other_seed["case_id"]) != set(first["case_id"])


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(0, 25), min_size=3, max_size=3), per=st.integers(1, 30), seed=st.integers(0, 2**32))
def test_sample_size_is_the_smaller_of_the_cap_and_the_district(sizes, per, seed):
    pool = eligible(dict(zip(("G1", "G2", "G3"), sizes, strict=True)))
    sample = audits.draw_sample(pool, ORG_UNITS, "forvaltning", per, seed=seed)
    got = dict(sample.group_by("district_id").len().rows())
    want = {k: min(per, n) for k, n in (("D1", sizes[0] + sizes[1]), ("D2", sizes[2])) if n}
    assert got == want


def test_sample_refuses_a_level_that_is_not_a_district_and_a_zero_cap():
    with pytest.raises(ValueError, match="okänd nivå"):
        audits.draw_sample(eligible({"G1": 3}), ORG_UNITS, "grupp", 2, seed=1)
    with pytest.raises(ValueError, match="minst 1"):
        audits.draw_sample(eligible({"G1": 3}), ORG_UNITS, "forvaltning", 0, seed=1)


# ---------------------------------------------------------------- results


def test_results_share_of_ja_leaves_out_ej_aktuellt_and_unanswered():
    template = audits.load_templates()["familjevard"]
    rows = [
        # D1: two girls and a boy
        ("K1", "D1", "F", "besok_regelbundet", "ja"), ("K1", "D1", "F", "enskilt_samtal", "nej"),
        ("K2", "D1", "F", "besok_regelbundet", "ja"), ("K2", "D1", "F", "enskilt_samtal", "ej_aktuellt"),
        ("K3", "D1", "M", "besok_regelbundet", "nej"), ("K3", "D1", "M", "enskilt_samtal", None),
        # D2: one case of unknown gender; a retired question is ignored
        ("K4", "D2", "U", "besok_regelbundet", "ja"), ("K4", "D2", "U", "tagits_bort", "nej"),
        ("K4", "D2", "U", "overvagande_6m", "ej_aktuellt"),
    ]
    answers = pl.DataFrame(rows, schema=["case_id", "district_id", "gender", "question_id", "answer"], orient="row")
    table = audits.results(answers, template)
    assert table.schema == pl.Schema(audits.RESULTS)

    def row(district, scope, key, gender="alla"):
        hit = table.filter(
            (pl.col("district_id") == district) & (pl.col("scope") == scope) & (pl.col("key") == key)
            & (pl.col("gender") == gender)
        )
        assert hit.height == 1, (district, scope, key, gender)
        return hit.select("ja", "nej", "ej_aktuellt", "obesvarade", "andel_ja").row(0)

    assert row("D1", "area", "sjalvbestammande_integritet") == (2, 2, 1, 1, 0.5)
    assert row("D1", "question", "besok_regelbundet") == (2, 1, 0, 0, pytest.approx(2 / 3))
    assert row("D1", "question", "besok_regelbundet", "flicka") == (2, 0, 0, 0, 1.0)
    assert row("D1", "question", "besok_regelbundet", "pojke") == (0, 1, 0, 0, 0.0)
    assert row("D2", "area", "trygghet_sakerhet") == (0, 0, 1, 0, None)  # nothing to share
    assert row("ALLA", "area", "sjalvbestammande_integritet") == (3, 2, 1, 1, 0.6)
    assert table.filter(pl.col("key") == "tagits_bort").is_empty()
    assert table.filter((pl.col("district_id") == "D2") & (pl.col("gender") != "alla")).is_empty()
    # report order: districts, then all districts; areas before questions, in template order
    assert table["district_id"].unique(maintain_order=True).to_list() == ["D1", "D2", "ALLA"]
    d1 = table.filter((pl.col("district_id") == "D1") & (pl.col("gender") == "alla"))
    assert d1["key"].to_list()[:2] == ["sjalvbestammande_integritet", "besok_regelbundet"]
