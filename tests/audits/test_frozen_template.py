"""An audit keeps the template it was created with, whatever later happens to the templates file."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from egenkontroll.audits.models import Audit, AuditAnswer, AuditCase
from egenkontroll.audits.views.common import template_of
from egenkontroll.core.audits import DEFAULT_FILE, load_templates
from tests.audits.conftest import new_audit

pytestmark = pytest.mark.django_db

OTHER_FILE = """templates:
  - id: annan
    title: En annan mall
    purpose: Något annat.
    population: utredning_avslutad
    questions:
      - id: q
        area: effektivitet
        text: En annan fråga?
"""


def test_an_audit_keeps_its_questions_when_its_template_leaves_the_file(as_user, tmp_path, monkeypatch):
    inspector = as_user("inspektor")
    new_audit(inspector)
    audit = Audit.objects.get()
    questions = load_templates()["barnavardsutredning"].questions
    case = AuditCase.objects.filter(audit=audit).first()
    AuditAnswer.objects.create(audit_case=case, question_id=questions[0].id, answer="ja")
    path = tmp_path / "mallar.yaml"
    path.write_text(OTHER_FILE, encoding="utf-8")
    monkeypatch.setenv("EGK_AUDIT_TEMPLATES_FILE", str(path))
    assert "barnavardsutredning" not in load_templates()

    page = inspector.get(reverse("audits:detalj", kwargs={"audit_id": audit.pk}))
    assert page.status_code == 200
    shown = [row["question"] for row in page.context["questions"].rows]
    assert shown == [q.text for q in questions]
    assert page.context["questions"].rows[0]["ja"] == 1
    assert page.context["template"].purpose in page.content.decode()
    protocol = inspector.get(reverse("audits:protokoll", kwargs={"audit_id": audit.pk, "case_id": case.case_id}))
    assert protocol.status_code == 200
    html = protocol.content.decode()
    assert all(q.text in html for q in questions)
    assert "En annan fråga?" not in html
    listing = inspector.get(reverse("audits:lista")).content.decode()
    assert "Barnavårdsutredning – handläggning och barnets delaktighet" in listing


def test_a_retired_question_stays_in_the_audit(as_user, tmp_path, monkeypatch):
    inspector = as_user("inspektor")
    new_audit(inspector)
    audit = Audit.objects.get()
    shipped = load_templates()["barnavardsutredning"]
    retired = shipped.questions[0]
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    start = text.index(f"      - id: {retired.id}\n")
    end = text.index("      - id: ", start + 1)
    path = tmp_path / "mallar.yaml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    monkeypatch.setenv("EGK_AUDIT_TEMPLATES_FILE", str(path))
    assert retired.id not in [q.id for q in load_templates()["barnavardsutredning"].questions]

    page = inspector.get(reverse("audits:detalj", kwargs={"audit_id": audit.pk}))
    assert [row["question"] for row in page.context["questions"].rows] == [q.text for q in shipped.questions]


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_existing_audits_from_the_current_file():
    executor = MigrationExecutor(connection)
    executor.migrate([("audits", "0001_initial")])
    apps = executor.loader.project_state([("audits", "0001_initial")]).apps
    user = apps.get_model("auth", "User").objects.create(username="gammal")
    old = apps.get_model("audits", "Audit").objects.create(
        template_id="familjevard", title="Familjevård", period_from=date(2024, 1, 1), period_to=date(2024, 6, 30),
        level="forvaltning", per_district=5, seed=1, created_by_id=user.pk,
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    audit = Audit.objects.get(pk=old.pk)
    assert template_of(audit) == load_templates()["familjevard"]
