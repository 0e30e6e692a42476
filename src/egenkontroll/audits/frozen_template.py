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

from egenkontroll.core.audits import Question, Template


def template_json(template: Template) -> dict:
    """The template as plain JSON (questions as a list of objects)."""
    return {**asdict(template), "questions": [asdict(q) for q in template.questions]}


def template_from_json(data: dict) -> Template:
    """The `Template` an audit stored with `template_json`."""
    return Template(
        id=data["id"], title=data["title"], purpose=data["purpose"], population=data["population"],
        questions=tuple(Question(**q) for q in data["questions"]),
    )
