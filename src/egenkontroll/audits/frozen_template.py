"""An audit's template as JSON: stored with the audit when it is created, read back for its pages.

Why it exists: the templates file changes (questions are retired, reworded under a new id, a
template is removed), but a started or closed audit must keep the questions it was answered
against — otherwise its results and protocols change after they were reported, or the page
disappears. So the whole template (id, title, purpose, population, questions with area, text,
legal basis and guidance) is copied onto the audit, and the pages build the `Template` from
that copy, never from the current file.
"""

from __future__ import annotations

from dataclasses import asdict

from egenkontroll.core.audits import Condition, LegalRef, Question, Template


def template_json(template: Template) -> dict:
    """The template as plain JSON (questions as a list of objects)."""
    return {**asdict(template), "questions": [asdict(q) for q in template.questions]}


def template_from_json(data: dict) -> Template:
    """The `Template` an audit stored with `template_json`."""
    return Template(
        id=data["id"], title=data["title"], purpose=data["purpose"], population=data["population"],
        questions=tuple(_question(q) for q in data["questions"]),
    )


def _question(data: dict) -> Question:
    """A stored question; snapshots made before conditions and lagrum existed load with the defaults."""
    fields = dict(data)
    when = fields.pop("when", None)
    lagrum = fields.pop("lagrum", None) or ()
    return Question(
        **fields,
        when=Condition(when["question"], tuple(when["answers"])) if when else None,
        lagrum=tuple(LegalRef(**r) for r in lagrum),
    )
