"""Forms of the deviation pages: a new report, a status change, the investigation, an action, the filters.

Choices (categories, statuses, units) are handed in from the rules file and the user's reach,
so a form never offers — and never accepts — a unit outside it or a transition the rules forbid.
"""

from __future__ import annotations

import datetime as dt

from django import forms

from egenkontroll.core.deviation_rules import DeviationRules
from egenkontroll.deviations.models import NOT_SERIOUS, SERIOUS, SERIOUS_RISK

TEXT_MAX = 4000
NO_PERSONAL_DATA = (
    "Skriv inga personuppgifter om enskilda (namn, personnummer, ärendenummer). "
    "Sådant som liknar ett personnummer maskeras när det sparas."
)
# The bedömning (SoL 2025:400 27 kap. 6 §); "ja" and "nej" keep the values the form always had.
SERIOUS_CHOICES = [
    ("", "Inte bedömt än"),
    ("ja", "Ja, ett allvarligt missförhållande"),
    ("risk", "Ja, en påtaglig risk för ett allvarligt missförhållande"),
    ("nej", "Nej, inte allvarligt"),
]
OUTCOME_OF_CHOICE = {"ja": SERIOUS, "risk": SERIOUS_RISK, "nej": NOT_SERIOUS, "": ""}
CHOICE_OF_OUTCOME = {v: k for k, v in OUTCOME_OF_CHOICE.items()}


class DateInput(forms.DateInput):
    input_type = "date"


def _text(label: str, rows: int = 4, required: bool = True, help_text: str = "") -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=TEXT_MAX, help_text=help_text,
                           widget=forms.Textarea(attrs={"rows": rows}))


class NewDeviationForm(forms.Form):
    category = forms.ChoiceField(label="Typ av avvikelse")
    title = forms.CharField(label="Rubrik", max_length=200, help_text=NO_PERSONAL_DATA)
    description = _text("Vad hände?", rows=6, help_text=NO_PERSONAL_DATA)
    unit = forms.ChoiceField(label="Enhet där det hände")
    occurred_on = forms.DateField(label="Datum då det hände", required=False, widget=DateInput)
    reported_on = forms.DateField(label="Rapporterad", widget=DateInput)
    severity = forms.ChoiceField(label="Risk eller allvarlighetsgrad")

    def __init__(self, *args, rules: DeviationRules, units: list[tuple[str, str]], today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["category"].choices = [(c.id, c.title) for c in rules.categories.values()]
        self.fields["unit"].choices = units
        self.fields["severity"].choices = list(rules.severities.items())
        self.fields["reported_on"].initial = today

    def clean(self):
        data = super().clean()
        reported, occurred = data.get("reported_on"), data.get("occurred_on")
        if reported and reported > self.today:
            self.add_error("reported_on", "Datumet ligger i framtiden.")
        if reported and occurred and occurred > reported:
            self.add_error("occurred_on", "Händelsen kan inte ligga efter rapporten.")
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="Ny status")
    note = _text("Kommentar", rows=2, required=False, help_text=NO_PERSONAL_DATA)

    def __init__(self, *args, rules: DeviationRules, current: str, **kwargs):
        super().__init__(*args, **kwargs)
        following = rules.statuses[current].next if current in rules.statuses else ()
        self.fields["status"].choices = [(s, rules.statuses[s].title) for s in following]


class InvestigationForm(forms.Form):
    summary = _text("Utredning", rows=6, required=False, help_text=NO_PERSONAL_DATA)
    conclusion = _text("Slutsats och beslutade åtgärder", rows=3, required=False)
    severity = forms.ChoiceField(label="Risk eller allvarlighetsgrad")
    is_serious = forms.ChoiceField(label="Bedömning: allvarligt missförhållande?",
                                   choices=SERIOUS_CHOICES, required=False)
    judged_on = forms.DateField(label="Bedömningen gjord", required=False, widget=DateInput,
                                help_text="Tom: i dag. Fristen för anmälan till IVO räknas från denna dag.")
    ivo_reported_on = forms.DateField(label="Anmäld till IVO", required=False, widget=DateInput)
    ivo_reference = forms.CharField(label="IVO:s diarienummer", max_length=100, required=False)

    def __init__(self, *args, rules: DeviationRules, ivo: bool, today: dt.date,
                 reported_on: dt.date | None = None, **kwargs):
        """`ivo`: the category has the IVO fields (lex Sarah); otherwise they are left out."""
        super().__init__(*args, **kwargs)
        self.today = today
        self.reported_on = reported_on
        self.fields["severity"].choices = list(rules.severities.items())
        if not ivo:
            for name in ("is_serious", "judged_on", "ivo_reported_on", "ivo_reference"):
                del self.fields[name]

    def clean(self):
        data = super().clean()
        if "is_serious" not in self.fields:
            return data
        data["outcome"] = OUTCOME_OF_CHOICE.get(data.get("is_serious") or "", "")
        data["is_serious"] = {SERIOUS: True, SERIOUS_RISK: True, NOT_SERIOUS: False}.get(data["outcome"])
        judged = data.get("judged_on")
        if judged and judged > self.today:
            self.add_error("judged_on", "Datumet ligger i framtiden.")
        if judged and self.reported_on and judged < self.reported_on:
            self.add_error("judged_on", "Bedömningen kan inte ligga före rapporten.")
        if judged and not data["outcome"]:
            self.add_error("is_serious", "Ange bedömningen när du anger dess datum.")
        ivo_day = data.get("ivo_reported_on")
        if ivo_day and ivo_day > self.today:
            self.add_error("ivo_reported_on", "Datumet ligger i framtiden.")
        if ivo_day and data["is_serious"] is None:
            self.add_error("is_serious", "Ange bedömningen när en anmälan till IVO är gjord.")
        return data


class ActionForm(forms.Form):
    text = _text("Åtgärd", rows=2, help_text=NO_PERSONAL_DATA)
    responsible_unit = forms.ChoiceField(label="Ansvarig enhet")
    due_date = forms.DateField(label="Klart senast", required=False, widget=DateInput)

    def __init__(self, *args, units: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_unit"].choices = units


class FilterForm(forms.Form):
    """The list's filters, from the query string so that a filtered list can be shared as a link."""

    ar = forms.TypedChoiceField(label="År", coerce=int, required=False)
    status = forms.ChoiceField(label="Status", required=False)
    kategori = forms.ChoiceField(label="Typ", required=False)
    enhet = forms.ChoiceField(label="Enhet", required=False)

    def __init__(self, *args, rules: DeviationRules, years: list[int], units: list[tuple[str, str]],
                 year_only: bool = False, **kwargs):
        """`year_only`: the nämnd's filter (other filters would give masked tables to subtract)."""
        super().__init__(*args, **kwargs)
        self.fields["ar"].choices = [(y, str(y)) for y in years]
        self.fields["status"].choices = [("", "Alla"), *((s.id, s.title) for s in rules.statuses.values())]
        self.fields["kategori"].choices = [("", "Alla"), *((c.id, c.title) for c in rules.categories.values())]
        if units:
            self.fields["enhet"].choices = [("", "Alla"), *units]
        else:
            del self.fields["enhet"]
        if year_only:
            del self.fields["status"], self.fields["kategori"]
