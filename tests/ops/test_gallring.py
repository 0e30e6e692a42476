"""`egenkontroll retention run`: person-level data older than its retention period goes, nothing younger is
touched, and the committee's figures of the removed months survive in the archive."""

from __future__ import annotations

import datetime as dt
import os

import polars as pl
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from egenkontroll.audits.models import Audit, AuditAnswer, AuditCase
from egenkontroll.cases import store
from egenkontroll.cases.importer import run_import
from egenkontroll.cases.models import Case, Event, ImportRun, Obligation, Person, RejectedRow
from egenkontroll.core import costs, kpis, retention
from egenkontroll.core.obligations import evaluate
from egenkontroll.deviations.models import Deviation, DeviationAction, DeviationEvent
from egenkontroll.retention.models import ArchivedFigure, RetentionRun, RetiredCase
from egenkontroll.retention.steps import GALLRAD, Gallring, case_hash
from tests.cases.factory import city, write_dataset

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 6)  # arenden: 3 years → cut-off 2023-12-06
KEY = b"test-pseudonym-key-0123456789abcdef"


def renamed(rows: list[dict], prefix: str) -> list[dict]:
    out = []
    for row in rows:
        row = dict(row, case_id=prefix + row["case_id"], event_id=prefix + row["event_id"])
        if row.get("ref"):
            row["ref"] = prefix + row["ref"]
        out.append(row)
    return out


@pytest.fixture
def imported(tmp_path):
    """6 cases closed in 2019–2020 (old) and 6 closed in 2025–2026 (young), one with a reject."""
    old = renamed(city(6, dt.date(2019, 1, 2)), "O")
    young = renamed(city(6, dt.date(2025, 1, 2)), "Y")
    bad = dict(young[0], event_id="Y-bad", date="not-a-date")
    run_import(write_dataset(tmp_path / "d", [*old, *young, bad]))
    return {"old": {r["case_id"] for r in old}, "young": {r["case_id"] for r in young}}


def table_state(case_ids) -> tuple:
    events = sorted(Event.objects.filter(case_id__in=case_ids).values_list("event_id", "content_hash"))
    obligations = sorted(Obligation.objects.filter(case_id__in=case_ids).values_list(
        "case_id", "rule", "trigger_event_id", "due_date", "status"))
    return events, obligations


def test_dry_run_counts_exactly_what_the_run_removes_and_changes_nothing(imported):
    before = (Event.objects.count(), Obligation.objects.count(), Case.objects.count())
    plan = {r.kind: r for r in Gallring("default", TODAY, key=KEY).plan()}
    assert (Event.objects.count(), Obligation.objects.count(), Case.objects.count()) == before
    assert not RetentionRun.objects.exists()
    old_events = Event.objects.filter(case_id__in=imported["old"]).count()
    old_obligations = Obligation.objects.filter(case_id__in=imported["old"]).count()
    assert plan["arenden"].counts == {"skyldigheter": old_obligations, "versioner": 0, "händelser": old_events,
                                      "ärenden": 6}
    assert plan["arenden"].cutoff == dt.date(2023, 12, 6)
    done = {r.kind: r for r in Gallring("default", TODAY, key=KEY).carry_out()}
    assert {k: v for k, v in done["arenden"].counts.items() if k in plan["arenden"].counts} == plan["arenden"].counts


def test_old_closed_cases_go_entirely_and_nothing_younger_is_touched(imported):
    young_before = table_state(imported["young"])
    young_persons = set(Case.objects.filter(case_id__in=imported["young"]).values_list("person_id", flat=True))
    Gallring("default", TODAY, key=KEY).carry_out()
    assert table_state(imported["old"]) == ([], [])
    assert not Case.objects.filter(case_id__in=imported["old"]).exists()
    assert set(Person.objects.values_list("person_key", flat=True)) == young_persons
    assert table_state(imported["young"]) == young_before
    assert Case.objects.filter(case_id__in=imported["young"]).count() == 6
    retired = set(RetiredCase.objects.values_list("case_hash", flat=True))
    assert retired == {case_hash(c, KEY) for c in imported["old"]}
    assert not any(c in h for h in retired for c in imported["old"])


def test_the_months_before_the_horizon_keep_the_figures_the_nämnd_saw(imported):
    events, org_units, caseworkers = store.load_events(), store.load_org_units(), store.load_caseworkers()
    evaluation = evaluate(events, TODAY)
    january = kpis.compute(events, evaluation.obligations, org_units, caseworkers, dt.date(2019, 1, 1),
                         dt.date(2019, 1, 31), as_of=TODAY, links=evaluation.links)
    expected = {
        (r["kpi"], r["node_id"]): (r["numerator"], r["denominator"])
        for r in january.filter((pl.col("node_type") == "unit") & pl.col("category").is_null()).iter_rows(named=True)
    }
    assert expected[("anmalningar", "S")][0] == 6
    Gallring("default", TODAY, key=KEY).carry_out()
    archived = {(f.kpi, f.unit_id): (f.numerator, f.denominator)
                for f in ArchivedFigure.objects.filter(month=dt.date(2019, 1, 1))}
    assert archived == expected
    months = set(ArchivedFigure.objects.values_list("month", flat=True))
    assert min(months) == dt.date(2019, 1, 1) and max(months) == dt.date(2023, 11, 1)
    assert RetentionRun.objects.get().figures_horizon == dt.date(2023, 12, 1)


def test_a_second_run_removes_nothing_more_and_archives_nothing_twice(imported):
    Gallring("default", TODAY, key=KEY).carry_out()
    figures, events = ArchivedFigure.objects.count(), Event.objects.count()
    again = {r.kind: r for r in Gallring("default", TODAY, key=KEY).carry_out()}
    assert again["arenden"].total == 0
    assert (ArchivedFigure.objects.count(), Event.objects.count()) == (figures, events)


def test_rejected_rows_and_inbox_files_older_than_their_period_go(imported, tmp_path):
    assert RejectedRow.objects.count() == 1
    inbox = tmp_path / "inkorg"
    for folder in ("klara", "avvisade"):
        (inbox / folder).mkdir(parents=True)
    old_file, young_file = inbox / "klara" / "2026-08-01-export.zip", inbox / "avvisade" / "2026-11-30.csv"
    old_file.write_text("x")
    young_file.write_text("y")
    os.utime(old_file, (dt.datetime(2026, 8, 1).timestamp(),) * 2)
    (inbox / "export-i-dag.zip").write_text("waiting")  # the inbox itself is never touched
    results = {r.kind: r for r in Gallring("default", TODAY, key=KEY, inbox=inbox).carry_out()}
    assert results["avvisade_rader"].counts == {"rader": 0}  # the import ran today
    assert results["importfiler"].counts == {"filer": 1}
    assert not old_file.exists() and young_file.exists() and (inbox / "export-i-dag.zip").exists()
    ImportRun.objects.update(started_at=timezone.make_aware(dt.datetime(2026, 9, 1)))
    results = {r.kind: r for r in Gallring("default", TODAY, key=KEY).carry_out()}
    assert results["avvisade_rader"].counts == {"rader": 1} and not RejectedRow.objects.exists()


def make_audit(user, closed: dt.datetime | None, case_id: str) -> AuditCase:
    audit = Audit.objects.create(template_id="t", title="Granskning", template_snapshot={}, period_from=dt.date(2020, 1, 1),
                                 period_to=dt.date(2020, 12, 31), level="forvaltning", per_district=5, seed=1, created_by=user,
                                 closed_at=timezone.make_aware(closed) if closed else None)
    case = AuditCase.objects.create(audit=audit, position=1, case_id=case_id, district_id="F1", qualifying_date=dt.date(2020, 5, 1))
    AuditAnswer.objects.create(audit_case=case, question_id="q1", answer="ja", comment="Mamma Eva sa att …")
    return case


def test_closed_audits_keep_their_answers_without_case_ids_or_comments(db):
    user = get_user_model().objects.create(username="insp")
    old = make_audit(user, dt.datetime(2022, 6, 1), "O1")
    young = make_audit(user, dt.datetime(2024, 6, 1), "Y1")
    running = make_audit(user, None, "Y2")
    Gallring("default", TODAY, key=KEY).carry_out()
    old.refresh_from_db()
    assert old.case_id == f"gallrad-{old.pk}" and old.qualifying_date is None
    assert list(old.answers.values_list("answer", "comment")) == [("ja", "")]
    for kept, case_id in ((young, "Y1"), (running, "Y2")):
        kept.refresh_from_db()
        assert kept.case_id == case_id and kept.answers.get().comment.startswith("Mamma Eva")


def make_deviation(user, seq: int, closed: dt.date | None) -> Deviation:
    deviation = Deviation.objects.create(
        year=2019, seq=seq, category="lex_sarah", title="Barnet Kalle", description="Kalle fick fel placering",
        unit_id="G1", reported_on=dt.date(2019, 1, 1), reported_by=user, status="avslutad" if closed else "anmald",
        severity="allvarlig", investigation_summary="Utredd", conclusion="Brist", closed_on=closed,
    )
    DeviationAction.objects.create(deviation=deviation, text="Ring Kalles mamma", responsible_unit_id="G1",
                                   created_by=user)
    DeviationEvent.objects.create(deviation=deviation, kind="status", note="Kalle", on=dt.date(2019, 1, 1), user=user)
    return deviation


def test_closed_deviations_keep_number_dates_and_history_but_not_free_text(db):
    user = get_user_model().objects.create(username="chef")
    old = make_deviation(user, 1, dt.date(2021, 3, 1))
    young = make_deviation(user, 2, dt.date(2022, 3, 1))
    running = make_deviation(user, 3, None)
    Gallring("default", TODAY, key=KEY).carry_out()
    old.refresh_from_db()
    assert (old.number, old.closed_on, old.category, old.status) == ("2019-0001", dt.date(2021, 3, 1), "lex_sarah",
                                                                   "avslutad")
    assert (old.title, old.description, old.investigation_summary, old.conclusion) == (GALLRAD, GALLRAD, "", "")
    assert list(old.actions.values_list("text", flat=True)) == [GALLRAD]
    assert list(old.events.values_list("kind", "note")) == [("status", "")]
    for kept in (young, running):
        kept.refresh_from_db()
        assert "Kalle" in kept.description and kept.events.get().note == "Kalle"


def test_the_access_log_may_not_be_kept_shorter_than_five_years(tmp_path):
    bad = tmp_path / "retention.yaml"
    text = retention.DEFAULT_FILE.read_text().replace("    keep: {years: 5}\n    minimum", "    keep: {years: 4}\n    minimum")
    bad.write_text(text)
    with pytest.raises(retention.RetentionError, match="atkomstlogg.*kortare än minimum"):
        retention.load(bad)


def test_the_next_full_export_does_not_bring_a_removed_case_back(imported, tmp_path):
    Gallring("default", TODAY, key=KEY).carry_out()
    events_after = Event.objects.count()
    old = renamed(city(6, dt.date(2019, 1, 2)), "O")
    young = renamed(city(6, dt.date(2025, 1, 2)), "Y")
    summary = run_import(write_dataset(tmp_path / "again", [*old, *young]))
    assert summary.retired == len(old) and summary.imported == 0
    assert summary.rows_read == summary.imported + summary.updated + summary.unchanged + summary.rejected + summary.retired
    assert Event.objects.count() == events_after
    assert not Case.objects.filter(case_id__in=imported["old"]).exists()
    assert ImportRun.objects.order_by("-id").first().retired == len(old)


def test_the_pages_cache_forgets_the_removed_cases(imported, tmp_path, monkeypatch):
    """The pages' cache holds the events it computed from: after a gallring no page answers from
    a cache made before it, and the import's cache folder on disk is gone with the cases."""
    from egenkontroll.pages import snapshot

    monkeypatch.setenv("EGK_WEB_CACHE_DIR", str(tmp_path / "cache"))
    snapshot.forget()
    before = snapshot.current("default")
    before.frame("figures-test", (), lambda: pl.DataFrame({"n": [1]}))  # a frame on disk, as the warm-up leaves it
    assert set(before.events["case_id"]) >= imported["old"]
    folder = tmp_path / "cache" / snapshot._version_dir(before.version)
    assert folder.is_dir()
    Gallring("default", TODAY, key=KEY).carry_out()
    after = snapshot.current("default")
    assert after.version != before.version and not folder.exists()
    assert not set(after.events["case_id"]) & imported["old"]
    snapshot.forget()


def test_a_new_price_list_is_a_new_cache_key(imported, tmp_path, monkeypatch):
    """Costs are computed with the price list in force: a new list may not be answered from figures
    cached under the old one (nor a changed catalogue or targets file)."""
    from egenkontroll.pages import snapshot

    first = snapshot.data_version("default")
    prices = tmp_path / "priser.yaml"
    prices.write_text(costs.SHIPPED.read_text(
        encoding="utf-8").replace("prices:", "# egna priser\nprices:", 1), encoding="utf-8")
    monkeypatch.setenv("EGK_PLACEMENT_PRICES_FILE", str(prices))
    assert snapshot.data_version("default") != first
