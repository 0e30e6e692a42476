"""Bring the answers of an audit done on paper or in Excel into a stored audit: its protocols filled.

Why it exists: the inspectors draw the sample in Egenkontroll (or `egenkontroll audit
sample`), review the files where they like, and bring the answers back as one file
(`core.audit_answers`). Each row must belong to this audit (its template id or number), name a
question of its template (by id, row label or text), a case of its sample in the district the
sample put it in, and a case the user may review (the same check as the protocol page);
every other row is rejected with a reason, the good ones are stored in one transaction. An
answer from the file replaces the protocol's answer to the same question.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from egenkontroll.access.scoping import Scope
from egenkontroll.audits.models import Audit, AuditAnswer, AuditCase
from egenkontroll.audits.rights import AuditRights
from egenkontroll.cases.models import Case
from egenkontroll.core.audit_answers import AnswerFile
from egenkontroll.core.audits import Question, Template


@dataclass
class ImportResult:
    answers: int = 0
    cases: list[str] = field(default_factory=list)
    rejects: list[tuple[int, str, str | None, str]] = field(default_factory=list)  # row, column, value, reason
    closed: bool = False


def import_answers(user, scope: Scope, audit: Audit, template: Template, answer_file: AnswerFile,
                   rights: AuditRights, district_names: dict[str, str]) -> ImportResult:
    """Store the file's good rows as the audit's answers (by `user`, within `scope` and `rights`); the caller logs."""
    result = ImportResult(rejects=list(answer_file.rejects.iter_rows()))
    rows = answer_file.answers
    sampled = {c.case_id: c for c in AuditCase.objects.filter(audit=audit, case_id__in=rows["case_id"].unique().to_list())}
    visible = set(
        scope.cases(Case.objects.filter(case_id__in=list(sampled))).values_list("case_id", flat=True)
    )
    names = {audit.template_id, str(audit.pk)}
    questions = {c: template.match(c) for c in rows["criterion"].unique().to_list()}
    chosen: dict[tuple[int, str], tuple[str, int]] = {}
    for row in rows.iter_rows(named=True):
        question = questions[row["criterion"]]
        reason, column = _problem(row, names, question, sampled, visible, rights, district_names)
        if reason:
            result.rejects.append((row["row"], column, row[column], reason))
            continue
        chosen[(sampled[row["case_id"]].pk, question.id)] = (row["answer"], row["row"])
    result.rejects.sort(key=lambda r: r[0])
    if not chosen:
        return result
    with transaction.atomic():
        if Audit.objects.select_for_update().filter(pk=audit.pk).values_list("closed_at", flat=True).get() is not None:
            result.closed = True
            return result
        case_pks = sorted({pk for pk, _ in chosen})
        # replace earlier answers to the same questions: one delete per distinct set of questions
        by_questions: dict[frozenset[str], list[int]] = {}
        per_case: dict[int, set[str]] = {}
        for pk, q in chosen:
            per_case.setdefault(pk, set()).add(q)
        for pk, qs in per_case.items():
            by_questions.setdefault(frozenset(qs), []).append(pk)
        for qs, pks in by_questions.items():
            AuditAnswer.objects.filter(audit_case_id__in=pks, question_id__in=sorted(qs)).delete()
        AuditAnswer.objects.bulk_create(
            AuditAnswer(audit_case_id=pk, question_id=q, answer=answer, source="import")
            for (pk, q), (answer, _) in chosen.items()
        )
        given: dict[int, dict[str, str]] = {pk: {} for pk in case_pks}
        for pk, q, answer in AuditAnswer.objects.filter(audit_case_id__in=case_pks).values_list(
            "audit_case_id", "question_id", "answer"
        ):
            given[pk][q] = answer
        now = timezone.now()
        updated = []
        for case in AuditCase.objects.filter(pk__in=case_pks):
            case.reviewed_by, case.reviewed_at = user, now
            case.complete = template.is_complete(given[case.pk])
            updated.append(case)
        AuditCase.objects.bulk_update(updated, ["reviewed_by", "reviewed_at", "complete"])
    result.answers = len(chosen)
    result.cases = sorted({c.case_id for c in updated})
    return result


def _problem(row: dict, names: set[str], question: Question | None, sampled: dict[str, AuditCase],
             visible: set[str], rights: AuditRights, district_names: dict[str, str]) -> tuple[str | None, str]:
    if row["audit"] not in names:
        return f"raden gäller en annan granskning (ska vara {' eller '.join(sorted(names))})", "audit"
    if question is None:
        return "frågan finns inte i granskningens mall", "criterion"
    if row["answer"] not in question.answers and question.when is None:
        return "svaret är inte tillåtet för frågan (ja eller nej)", "answer"
    case = sampled.get(row["case_id"])
    if case is None:
        return "ärendet ingår inte i granskningens urval", "case_id"
    if row["district"] not in {case.district_id, district_names.get(case.district_id)}:
        return "distriktet stämmer inte med urvalet", "district"
    if not rights.audits_unit(case.district_id) or case.case_id not in visible:
        return "du har inte behörighet att granska ärendet", "case_id"
    return None, ""
