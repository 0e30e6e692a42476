"""Forms of the audit pages: a new audit, the protocol of one case, a finding.

Choices (templates, districts, units) are handed in by the views from the user's reach, so a
form never offers — and never accepts — a district or unit outside it.
"""

from __future__ import annotations

import datetime as dt

from django import forms

from egenkontroll.audits.models import LEVEL_LABELS
from egenkontroll.core.audits import ANSWERS, DISTRICT_LEVELS, QUALITY_AREAS, Template

MAX_PER_DISTRICT = 200
MAX_SEED = 2**62
COMMENT_MAX = 2000
UNANSWERED = "Inte besvarad än"
WHOLE_AUDIT = "Hela granskningen"
NO_PERSONAL_DATA = "Skriv inga personuppgifter (namn, personnummer). Sådant som liknar ett personnummer maskeras när det sparas."


class DateInput(forms.DateInput):
    input_type = "date"


class NewAuditForm(forms.Form):
    template = forms.ChoiceField(label="Granskningsmall")
    period_from = forms.DateField(label="Period från", widget=DateInput)
    period_to = forms.DateField(label="Period till", widget=DateInput)
    level = forms.ChoiceField(
        label="Distriktsnivå", choices=[(lvl, LEVEL_LABELS[lvl]) for lvl in DISTRICT_LEVELS], initial="forvaltning",
        help_text="Urvalet dras per distrikt på den här nivån.",
    )
    per_district = forms.IntegerField(
        label="Ärenden per distrikt", min_value=1, max_value=MAX_PER_DISTRICT, initial=10,
    )
    districts = forms.MultipleChoiceField(
        label="Distrikt", required=False,
        help_text="Inget valt = alla distrikt på nivån som du får granska.",
    )
    seed = forms.IntegerField(
        label="Slumpfrö", required=False, min_value=0, max_value=MAX_SEED,
        help_text="Tomt = ett nytt slumptal. Samma frö på samma data ger samma urval; fröet sparas med granskningen.",
    )

    def __init__(self, *args, templates: dict[str, Template], districts: dict[str, list[tuple[str, str]]],
                 today: dt.date, **kwargs):
        """`districts`: level -> [(unit_id, name)] of the units the user may audit at that level."""
        super().__init__(*args, **kwargs)
        self.by_level = districts
        self.fields["template"].choices = [(t.id, t.title) for t in templates.values()]
        self.fields["districts"].choices = [
            (LEVEL_LABELS[level], units) for level, units in districts.items() if units
        ]
        self.fields["period_from"].initial = today.replace(year=today.year - 1) + dt.timedelta(days=1)
        self.fields["period_to"].initial = today

    def clean(self):
        data = super().clean()
        start, end = data.get("period_from"), data.get("period_to")
        if start and end and start > end:
            self.add_error("period_to", "Periodens slut ligger före dess början.")
        level = data.get("level")
        if level:
            allowed = [unit_id for unit_id, _ in self.by_level.get(level, [])]
            chosen = data.get("districts") or []
            wrong = [d for d in chosen if d not in allowed]
            if wrong:
                self.add_error("districts", f"Välj bara distrikt på nivån {LEVEL_LABELS[level].lower()}.")
            elif not allowed:
                self.add_error("level", "Du får inte granska något distrikt på den här nivån.")
            data["districts"] = chosen or allowed
        return data


def answer_field(question_id: str) -> str:
    return f"svar_{question_id}"


def comment_field(question_id: str) -> str:
    return f"kommentar_{question_id}"


class ProtocolForm(forms.Form):
    """One ja/nej/ej aktuellt radio group and one optional comment per question of the template."""

    def __init__(self, *args, template: Template, disabled: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.template = template
        for q in template.questions:
            allowed = [(a, ANSWERS[a]) for a in q.answers]
            if q.when is not None and "ej_aktuellt" not in q.answers:
                allowed.append(("ej_aktuellt", ANSWERS["ej_aktuellt"]))  # the condition may not be met
            self.fields[answer_field(q.id)] = forms.ChoiceField(
                label=q.text, choices=[*allowed, ("", UNANSWERED)], required=False, widget=forms.RadioSelect,
                disabled=disabled,
            )
            self.fields[comment_field(q.id)] = forms.CharField(
                label="Kommentar", required=False, max_length=COMMENT_MAX, disabled=disabled,
                widget=forms.Textarea(attrs={"rows": 2, "aria-describedby": "ingen-personuppgift"}),
            )

    def groups(self) -> list[dict]:
        """The questions grouped by quality area, in report order, each with its two bound fields."""
        out = []
        background = [q for q in self.template.questions if q.kind == "bakgrund"]
        if background:
            out.append({"area": "bakgrund", "title": "Bakgrundsvariabler", "questions": [self._bound(q) for q in background]})
        for area in self.template.areas():
            questions = [self._bound(q) for q in self.template.questions if q.area == area and q.kind == "fraga"]
            out.append({"area": area, "title": QUALITY_AREAS[area], "questions": questions})
        return out

    def _bound(self, q) -> dict:
        extra = getattr(self, "extras", {}).get(q.id, {})
        return {"question": q, "answer": self[answer_field(q.id)], "comment": self[comment_field(q.id)], **extra}

    def answers(self) -> dict[str, tuple[str, str]]:
        """question_id -> (answer or '', comment) from the cleaned data."""
        return {
            q.id: (self.cleaned_data.get(answer_field(q.id)) or "", self.cleaned_data.get(comment_field(q.id)) or "")
            for q in self.template.questions
        }


class FindingForm(forms.Form):
    area = forms.ChoiceField(label="Kvalitetsområde")
    district = forms.ChoiceField(label="Distrikt", required=False)
    text = forms.CharField(label="Fynd", max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=NO_PERSONAL_DATA)
    action = forms.CharField(label="Åtgärd", required=False, max_length=COMMENT_MAX,
                             widget=forms.Textarea(attrs={"rows": 2}))
    responsible_unit = forms.ChoiceField(label="Ansvarig enhet", required=False)
    owner_role = forms.ChoiceField(label="Ägare av åtgärden (roll)", required=False)
    question = forms.ChoiceField(label="Gäller frågan", required=False)
    due_date = forms.DateField(label="Klart senast", required=False, widget=DateInput)

    def __init__(self, *args, areas: list[str], districts: list[tuple[str, str]], units: list[tuple[str, str]],
                 whole_audit: bool, questions: list[tuple[str, str]] = (), **kwargs):
        """`whole_audit`: the user may write a finding for the whole audit (they reach every district)."""
        from egenkontroll.audits.models import OWNER_ROLES

        super().__init__(*args, **kwargs)
        self.whole_audit = whole_audit
        self.fields["owner_role"].choices = [("", "–"), *OWNER_ROLES.items()]
        self.fields["question"].choices = [("", "–"), *questions]
        self.fields["area"].choices = [(a, QUALITY_AREAS[a]) for a in areas]
        self.fields["district"].choices = [*([("", WHOLE_AUDIT)] if whole_audit else []), *districts]
        self.fields["responsible_unit"].choices = [("", "–"), *units]

    def clean_district(self) -> str:
        district = self.cleaned_data.get("district") or ""
        if not district and not self.whole_audit:
            raise forms.ValidationError(
                "Välj ett distrikt. Fynd för hela granskningen skrivs av den som når alla dess distrikt."
            )
        return district
