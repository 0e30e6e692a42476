"""Kvalitetsgranskning: which cases to review, a fair random sample of them, and the results.

Why it exists: the city's social services inspectors review a sample of case files per theme
(familjevård, barnavårdsutredningar …) against a protocol grouped by the six quality areas of
Socialstyrelsen and SKR, and report the results by district to the committee. Done by hand,
the sample is whatever was at hand and the tables are counted in Excel. Here the population is
derived from the events (the same data the key figures use), the sample is stratified by
district and reproducible from its seed, and the results are computed from the stored answers.

The templates (questions per quality area, the population they sample) are data:
audit_templates.yaml, or EGK_AUDIT_TEMPLATES_FILE. Pure Python and polars; no Django.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from egenkontroll.core import orgtree
from egenkontroll.core.datafiles import configured_path, load_data_file
from egenkontroll.core.linking import link

DEFAULT_FILE = Path(__file__).with_name("audit_templates.yaml")
TEMPLATES_ENV = "EGK_AUDIT_TEMPLATES_FILE"  # a municipality's own templates replace the shipped ones

# The six quality areas (Socialstyrelsen/SKR, "God kvalitet i socialtjänsten"), in report order.
QUALITY_AREAS: dict[str, str] = {
    "trygghet_sakerhet": "Trygghet och säkerhet",
    "sjalvbestammande_integritet": "Självbestämmande och integritet",
    "tillganglighet": "Tillgänglighet",
    "helhetssyn_samordning": "Helhetssyn och samordning",
    "kunskapsbaserad": "Kunskapsbaserad verksamhet",
    "effektivitet": "Effektivitet",
}
ANSWERS: dict[str, str] = {"ja": "Ja", "nej": "Nej", "ej_aktuellt": "Ej aktuellt"}

# Which cases a template samples from, for a period [from, to].
POPULATIONS: dict[str, str] = {
    "utredning_avslutad": "Ärenden där en utredning avslutades under perioden",
    "forhandsbedomning_ej_inleda": "Ärenden där det under perioden beslutades att inte inleda utredning",
    "placering": "Ärenden med en placering (familjehem, nätverkshem, jourhem, HVB, stödboende, SiS) som pågick under perioden",
    "placering_familjehem": "Ärenden med en familjehems- eller nätverkshemsplacering som pågick under perioden",
    # Cases the interchange format does not carry (adults in ekonomiskt bistånd): drawn elsewhere, answers imported.
    "extern": "Ärenden utanför Egenkontrolls data: urvalet görs utanför systemet och svaren importeras",
}
_PLACEMENT_KINDS = {
    "placering": ("familjehem", "natverkshem", "jourhem", "hvb", "stodboende", "sis"),
    "placering_familjehem": ("familjehem", "natverkshem"),
}
# Gender codes of the interchange format → the result table's columns (X and U count in "alla").
GENDER_COLUMNS = {"F": "flicka", "M": "pojke"}
ALL_DISTRICTS = "ALLA"
DISTRICT_LEVELS = ("forvaltning", "avdelning", "enhet")

ELIGIBLE = {"case_id": pl.Utf8, "unit_id": pl.Utf8, "gender": pl.Utf8, "birth_date": pl.Date, "qualifying_date": pl.Date}
SAMPLE = {"position": pl.Int64, "district_id": pl.Utf8, **ELIGIBLE}
RESULTS = {
    "district_id": pl.Utf8, "scope": pl.Utf8, "key": pl.Utf8, "gender": pl.Utf8,
    "ja": pl.Int64, "nej": pl.Int64, "ej_aktuellt": pl.Int64, "obesvarade": pl.Int64, "andel_ja": pl.Float64,
}


class AuditTemplateError(ValueError):
    """The templates file cannot be used; the message names the file and the entry."""


# Answer types a question may have: the answers a reviewer may give.
ANSWER_TYPES: dict[str, tuple[str, ...]] = {
    "ja_nej": ("ja", "nej"),
    "ja_nej_ej_aktuellt": ("ja", "nej", "ej_aktuellt"),
}
# What a question is: a quality question (a "ja" is the good answer, shares are compared) or a
# descriptive variable (bakgrundsvariabel: a fact about the case, counted but never judged).
QUESTION_KINDS = {"fraga": "Fråga", "bakgrund": "Bakgrundsvariabel"}
# What the events can answer by themselves (core/audit_prefill.py): the system's answer beside the reviewer's.
PREFILLS = {
    "overvagande_i_tid": "Övervägandena gjordes i tid enligt händelserna",
    "vardplan": "En vårdplan finns bland händelserna",
    "genomforandeplan": "En genomförandeplan finns bland händelserna",
    "besok_4_per_ar": "Minst fyra besök per år enligt händelserna",
}
SOL_OLD, SOL_NEW = "2001:453", "2025:400"
SOL_NEW_FROM = "2025-07-01"
SOL_OLD_TO = "2025-06-30"
UNVERIFIED = "ej verifierad"
LAW_NAMES = {SOL_OLD: "socialtjänstlagen (2001:453)", SOL_NEW: "socialtjänstlag (2025:400)"}


@dataclass(frozen=True)
class LegalRef:
    """One provision a question checks, valid for audited dates in [valid_from, valid_to] (ISO dates, None = open).

    `paragraph` is "ej verifierad" where the paragraph could not be found in the law text as published.
    """

    sfs: str
    paragraph: str
    valid_from: str | None = None
    valid_to: str | None = None
    # Read in the law text as published (not only in a guideline or a commentary).
    checked: bool = False

    @property
    def verified(self) -> bool:
        return self.paragraph != UNVERIFIED

    def text(self) -> str:
        law = LAW_NAMES.get(self.sfs, self.sfs)
        window = ""
        if self.valid_from and self.valid_to:
            window = f" ({self.valid_from}–{self.valid_to})"
        elif self.valid_from:
            window = f" (från {self.valid_from})"
        elif self.valid_to:
            window = f" (till {self.valid_to})"
        if not self.verified:
            return f"{law}{window}: paragrafen ej verifierad"
        note = "" if self.checked else ", ej verifierad i lagtexten"
        return f"{self.paragraph} {law}{window}{note}"

    def applies(self, day: dt.date) -> bool:
        iso = day.isoformat()
        return (self.valid_from is None or self.valid_from <= iso) and (self.valid_to is None or iso <= self.valid_to)


@dataclass(frozen=True)
class Condition:
    """Ask a question only when an earlier question of the template got one of `answers`."""

    question: str
    answers: tuple[str, ...] = ("ja",)


@dataclass(frozen=True)
class Question:
    id: str
    area: str
    text: str
    basis: str | None = None
    guidance: str | None = None
    # The row label of the city's published table (the seed's short wording), and the table it belongs to.
    label: str | None = None
    group: str | None = None
    kind: str = "fraga"
    answer_type: str = "ja_nej_ej_aktuellt"
    when: Condition | None = None
    lagrum: tuple[LegalRef, ...] = ()
    prefill: str | None = None

    @property
    def short(self) -> str:
        return self.label or self.text

    @property
    def answers(self) -> tuple[str, ...]:
        return ANSWER_TYPES[self.answer_type]

    def references_on(self, day: dt.date) -> list[LegalRef]:
        """The SoL provisions in force on `day` (2001:453 before 2025-07-01, 2025:400 from)."""
        return [r for r in self.lagrum if r.applies(day)]

    def applies(self, given: dict[str, str | None]) -> bool:
        """Whether the question is asked, given the case's other answers (question id → answer)."""
        return self.when is None or given.get(self.when.question) in self.when.answers


@dataclass(frozen=True)
class Template:
    id: str
    title: str
    purpose: str
    population: str
    questions: tuple[Question, ...]

    def areas(self) -> list[str]:
        """The quality areas this template asks about, in report order (descriptive variables left out)."""
        used = {q.area for q in self.questions if q.kind == "fraga"}
        return [a for a in QUALITY_AREAS if a in used]

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    @property
    def population_title(self) -> str:
        return POPULATIONS[self.population]

    def is_complete(self, given: dict[str, str | None]) -> bool:
        """Every question that applies to the case (its condition met) has an answer."""
        return all(given.get(q.id) for q in self.questions if q.applies(given))

    def match(self, criterion: str) -> Question | None:
        """The question a criterion written in an answer file means: its id, row label or text (case and spacing ignored)."""
        wanted = " ".join(criterion.split()).casefold()
        for q in self.questions:
            if wanted in {" ".join(name.split()).casefold() for name in (q.id, q.label, q.text) if name}:
                return q
        return None


# ---------------------------------------------------------------- templates


def load_templates(path: str | Path | None = None) -> dict[str, Template]:
    """id → Template from `path`, else EGK_AUDIT_TEMPLATES_FILE, else the shipped file (parsed once per version)."""
    return load_data_file(configured_path(path, TEMPLATES_ENV, DEFAULT_FILE), _parse_templates,
                          AuditTemplateError, "granskningsmallarna")


def _parse_templates(path: Path, data) -> dict[str, Template]:
    if not isinstance(data, dict) or not isinstance(data.get("templates"), list) or not data["templates"]:
        raise AuditTemplateError(f"{path}: filen ska ha en icke-tom lista 'templates'")
    templates: dict[str, Template] = {}
    for raw in data["templates"]:
        template = _parse_template(path, raw)
        if template.id in templates:
            raise AuditTemplateError(f"{path}: mallen {template.id}: id förekommer flera gånger")
        templates[template.id] = template
    return templates


def _text(path: Path, where: str, raw: dict, key: str, required: bool = True) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise AuditTemplateError(f"{path}: {where}: '{key}' saknas eller är tomt")
    return " ".join(value.split())


def _parse_template(path: Path, raw) -> Template:
    if not isinstance(raw, dict):
        raise AuditTemplateError(f"{path}: varje mall ska vara en mappning med id, title, purpose, population, questions")
    template_id = _text(path, "en mall", raw, "id")
    where = f"mallen {template_id}"
    unknown = set(raw) - {"id", "title", "purpose", "population", "questions"}
    if unknown:
        raise AuditTemplateError(f"{path}: {where}: okända fält: {', '.join(sorted(unknown))}")
    population = _text(path, where, raw, "population")
    if population not in POPULATIONS:
        raise AuditTemplateError(
            f"{path}: {where}: okänd population {population!r} (tillåtna: {', '.join(POPULATIONS)})"
        )
    questions_raw = raw.get("questions")
    if not isinstance(questions_raw, list) or not questions_raw:
        raise AuditTemplateError(f"{path}: {where}: 'questions' ska vara en icke-tom lista")
    questions = tuple(_parse_question(path, where, q) for q in questions_raw)
    ids = [q.id for q in questions]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise AuditTemplateError(f"{path}: {where}: fråge-id förekommer flera gånger: {', '.join(repeated)}")
    for position, q in enumerate(questions):
        if q.when is None:
            continue
        earlier = {p.id: p for p in questions[:position]}
        if q.when.question not in earlier:
            raise AuditTemplateError(
                f"{path}: {where}, frågan {q.id}: villkoret gäller {q.when.question!r}, som inte är en tidigare fråga i mallen"
            )
        allowed = earlier[q.when.question].answers
        if not set(q.when.answers) <= set(allowed):
            raise AuditTemplateError(f"{path}: {where}, frågan {q.id}: villkorets svar ska vara bland {', '.join(allowed)}")
    return Template(template_id, _text(path, where, raw, "title"), _text(path, where, raw, "purpose"), population,
                    questions)


def _parse_question(path: Path, where: str, raw) -> Question:
    if not isinstance(raw, dict):
        raise AuditTemplateError(f"{path}: {where}: varje fråga ska vara en mappning med id, area, text")
    question_id = _text(path, f"{where}, en fråga", raw, "id")
    here = f"{where}, frågan {question_id}"
    unknown = set(raw) - {"id", "area", "text", "basis", "guidance", "label", "group", "kind", "answer_type", "when",
                          "lagrum", "prefill"}
    if unknown:
        raise AuditTemplateError(f"{path}: {here}: okända fält: {', '.join(sorted(unknown))}")
    area = _text(path, here, raw, "area")
    if area not in QUALITY_AREAS:
        raise AuditTemplateError(f"{path}: {here}: okänt kvalitetsområde {area!r} (tillåtna: {', '.join(QUALITY_AREAS)})")
    kind = _choice(path, here, raw, "kind", QUESTION_KINDS, "fraga")
    answer_type = _choice(path, here, raw, "answer_type", ANSWER_TYPES, "ja_nej_ej_aktuellt")
    prefill = _choice(path, here, raw, "prefill", PREFILLS, None)
    return Question(
        question_id, area, _text(path, here, raw, "text"), _text(path, here, raw, "basis", False),
        _text(path, here, raw, "guidance", False), label=_text(path, here, raw, "label", False),
        group=_text(path, here, raw, "group", False), kind=kind, answer_type=answer_type,
        when=_condition(path, here, raw.get("when")), lagrum=_lagrum(path, here, raw.get("lagrum")), prefill=prefill,
    )


def _choice(path: Path, where: str, raw: dict, key: str, allowed, default):
    value = raw.get(key, default)
    if value is not None and value not in allowed:
        raise AuditTemplateError(f"{path}: {where}: okänt värde för '{key}': {value!r} (tillåtna: {', '.join(allowed)})")
    return value


def _condition(path: Path, where: str, raw) -> Condition | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) - {"question", "answers"} or not isinstance(raw.get("question"), str):
        raise AuditTemplateError(f"{path}: {where}: 'when' ska vara en mappning med question och answers")
    answers = raw.get("answers", ["ja"])
    if isinstance(answers, str):
        answers = [answers]
    if not isinstance(answers, list) or not answers or not set(answers) <= set(ANSWERS):
        raise AuditTemplateError(f"{path}: {where}: 'when.answers' ska vara en lista av {', '.join(ANSWERS)}")
    return Condition(raw["question"], tuple(answers))


def _lagrum(path: Path, where: str, raw) -> tuple[LegalRef, ...]:
    """The SoL references with their windows; a question citing 2001:453 must say what applies from 2025-07-01."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise AuditTemplateError(f"{path}: {where}: 'lagrum' ska vara en icke-tom lista")
    refs = []
    for item in raw:
        if not isinstance(item, dict) or set(item) - {"sfs", "paragraf", "fran", "till", "verifierad"}:
            raise AuditTemplateError(f"{path}: {where}: varje lagrum ska ha sfs, paragraf och ev. fran/till/verifierad")
        checked = item.get("verifierad", False)
        if not isinstance(checked, bool) or (checked and str(item.get("paragraf", "")).strip() == UNVERIFIED):
            raise AuditTemplateError(f"{path}: {where}: 'verifierad' ska vara true eller false (och false när "
                                     f"paragrafen är '{UNVERIFIED}')")
        sfs, paragraph = str(item.get("sfs", "")), str(item.get("paragraf", "")).strip()
        if not sfs or not paragraph:
            raise AuditTemplateError(f"{path}: {where}: lagrum utan sfs eller paragraf")
        dates = [None if item.get(k) is None else str(item[k]) for k in ("fran", "till")]
        for value in dates:
            if value is not None:
                try:
                    dt.date.fromisoformat(value)
                except ValueError:
                    raise AuditTemplateError(f"{path}: {where}: ogiltigt datum {value!r} i lagrum") from None
        if paragraph != UNVERIFIED and "§" not in paragraph:
            raise AuditTemplateError(f"{path}: {where}: paragrafen {paragraph!r} ska ange kapitel och paragraf "
                                     f"(eller '{UNVERIFIED}')")
        refs.append(LegalRef(sfs, paragraph, *dates, checked=checked))
    by_law = {r.sfs: r for r in refs}
    if SOL_OLD in by_law or SOL_NEW in by_law:
        old, new = by_law.get(SOL_OLD), by_law.get(SOL_NEW)
        if old is None or new is None or old.valid_to != SOL_OLD_TO or new.valid_from != SOL_NEW_FROM:
            raise AuditTemplateError(
                f"{path}: {where}: lagrum enligt SoL ska ange både 2001:453 (till {SOL_OLD_TO}) och 2025:400 "
                f"(från {SOL_NEW_FROM}; '{UNVERIFIED}' om paragrafen inte kunnat kontrolleras)"
            )
    return tuple(refs)


# ---------------------------------------------------------------- population and sample


def eligible_cases(events: pl.DataFrame, population: str, period_from: dt.date, period_to: dt.date) -> pl.DataFrame:
    """The cases a template samples from: one row per case (schema ELIGIBLE).

    `unit_id` is the unit responsible for the case at the end of the period (its latest event
    naming a unit, as for open obligations); `qualifying_date` the latest qualifying day.
    """
    if population not in POPULATIONS:
        raise ValueError(f"okänd population {population!r}")
    if population == "extern":
        return pl.DataFrame(schema=ELIGIBLE)
    known = events.filter(pl.col("date") <= period_to)
    if population in _PLACEMENT_KINDS:
        placements = link(known.rechunk()).placements
        qualifying = placements.filter(
            pl.col("intervention").is_in(_PLACEMENT_KINDS[population])
            & (pl.col("start") <= period_to)
            & (pl.col("end").is_null() | (pl.col("end") >= period_from))
        ).select("case_id", pl.min_horizontal(pl.col("end").fill_null(period_to), pl.lit(period_to)).alias("day"))
    else:
        kind, outcome = {
            "utredning_avslutad": ("utredning_avslutad", None),
            "forhandsbedomning_ej_inleda": ("forhandsbedomning", "ej_inleda"),
        }[population]
        chosen = pl.col("event_type") == kind
        if outcome:
            chosen &= pl.col("outcome") == outcome
        qualifying = known.filter(chosen & (pl.col("date") >= period_from)).select("case_id", pl.col("date").alias("day"))
    cases = qualifying.group_by("case_id").agg(pl.col("day").max().alias("qualifying_date"))
    facts = (
        known.join(cases.select("case_id"), on="case_id", how="semi")
        .sort("case_id", "date", "event_id")
        .group_by("case_id", maintain_order=True)
        .agg(
            pl.col("unit_id").drop_nulls().last(),
            pl.col("gender").drop_nulls().last(),
            pl.col("birth_date").drop_nulls().last(),
        )
    )
    return cases.join(facts, on="case_id", how="left").select(list(ELIGIBLE)).cast(ELIGIBLE).sort("case_id")


def district_of(org_units: pl.DataFrame, level: str) -> pl.DataFrame:
    """unit_id → district_id: each unit's ancestor (or itself) at `level`; units above it have none."""
    if level not in DISTRICT_LEVELS:
        raise ValueError(f"okänd nivå {level!r} (tillåtna: {', '.join(DISTRICT_LEVELS)})")
    flat = orgtree.flatten(org_units)
    return flat.select("unit_id", pl.col(level).alias("district_id")).filter(pl.col("district_id").is_not_null())


def draw_sample(
    eligible: pl.DataFrame,
    org_units: pl.DataFrame,
    level: str,
    per_district: int,
    seed: int,
    district_ids: list[str] | None = None,
) -> pl.DataFrame:
    """Up to `per_district` cases at random from each district, reproducible from `seed` (schema SAMPLE).

    Stratified so that a small district is not crowded out by a large one and the results can
    be compared between districts. Each case's place in the draw is SHA-256 of the seed and its
    case id: the same seed gives the same sample whatever order the rows came in, whichever
    other districts are chosen, and with any library version, so an inspector can show how a
    sample was drawn. `position` is the order to review in within the district.
    """
    if per_district < 1:
        raise ValueError("per_district ska vara minst 1")
    cases = eligible.join(district_of(org_units, level), on="unit_id", how="inner")
    if district_ids is not None:
        cases = cases.filter(pl.col("district_id").is_in(list(district_ids)))
    draw = [hashlib.sha256(f"{seed}:{case_id}".encode()).hexdigest() for case_id in cases["case_id"]]
    ranked = cases.with_columns(pl.Series("_draw", draw, dtype=pl.Utf8)).sort("district_id", "_draw", "case_id")
    sample = ranked.with_columns(pl.int_range(1, pl.len() + 1).over("district_id").alias("position")).filter(
        pl.col("position") <= per_district
    )
    return sample.select(list(SAMPLE)).cast(SAMPLE).sort("district_id", "position")


# ---------------------------------------------------------------- results


def results(answers: pl.DataFrame, template: Template) -> pl.DataFrame:
    """Counts and share of "ja" per district (and all districts), per quality area and question, per gender.

    `answers`: case_id, district_id, gender, question_id, answer (one of ANSWERS; null = not
    answered yet). andel_ja = ja / (ja + nej): "ej aktuellt" and unanswered are left out of the
    share but shown as counts. Questions not in the template are ignored (a retired question).
    """
    areas = pl.DataFrame(
        {"question_id": [q.id for q in template.questions], "area": [q.area for q in template.questions]}
    )
    rows = answers.select("district_id", "gender", "question_id", "answer").join(areas, on="question_id", how="inner")
    rows = pl.concat(
        [
            rows.with_columns(pl.col("gender").replace_strict(GENDER_COLUMNS, default=None)),
            rows.with_columns(pl.lit("alla").alias("gender")),
        ]
    ).filter(pl.col("gender").is_not_null())
    rows = pl.concat([rows, rows.with_columns(pl.lit(ALL_DISTRICTS).alias("district_id"))])
    parts = [
        rows.group_by("district_id", pl.col(column).alias("key"), "gender").agg(_counts()).with_columns(
            pl.lit(scope).alias("scope")
        )
        for scope, column in (("area", "area"), ("question", "question_id"))
    ]
    out = pl.concat(parts, how="diagonal").with_columns(
        pl.when(pl.col("ja") + pl.col("nej") > 0)
        .then(pl.col("ja") / (pl.col("ja") + pl.col("nej")))
        .otherwise(None)
        .alias("andel_ja")
    )
    order = {**{a: i for i, a in enumerate(QUALITY_AREAS)}, **{q.id: i for i, q in enumerate(template.questions)}}
    return (
        out.with_columns(
            (pl.col("district_id") == ALL_DISTRICTS).alias("_all"),
            pl.col("key").replace_strict(order, default=len(order), return_dtype=pl.Int64).alias("_order"),
            pl.col("gender").replace_strict({"alla": 0, "flicka": 1, "pojke": 2}, return_dtype=pl.Int64).alias("_g"),
        )
        .sort("_all", "district_id", pl.col("scope") != "area", "_order", "_g")
        .select(list(RESULTS))
        .cast(RESULTS)
    )


def _counts() -> list[pl.Expr]:
    answer = pl.col("answer")
    return [
        (answer == "ja").sum().cast(pl.Int64).alias("ja"),
        (answer == "nej").sum().cast(pl.Int64).alias("nej"),
        (answer == "ej_aktuellt").sum().cast(pl.Int64).alias("ej_aktuellt"),
        answer.is_null().sum().cast(pl.Int64).alias("obesvarade"),
    ]
