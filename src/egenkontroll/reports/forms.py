"""Forms of the report pages: opening a month's draft, and the analysis of one target miss.

The months and units offered are handed in by the views from the user's rights, so a form
never offers — and never accepts — a unit the user may not open a report for.
"""

from __future__ import annotations

import datetime as dt

from django import forms

from egenkontroll.core.target_misses import last_full_month, previous_month
from egenkontroll.reports.presentation import month_label

MONTHS_OFFERED = 12
TEXT_MAX = 4000
NO_PERSONAL_DATA = (
    "Skriv inga personuppgifter (namn, personnummer, ärendenummer). Sådant som liknar ett personnummer "
    "maskeras när texten sparas."
)


def offered_months(today: dt.date, count: int = MONTHS_OFFERED) -> list[dt.date]:
    """The last `count` full months, newest first."""
    months = [last_full_month(today)]
    while len(months) < count:
        months.append(previous_month(months[-1]))
    return months


class NewReportForm(forms.Form):
    month = forms.ChoiceField(label="Månad")
    unit = forms.ChoiceField(label="Förvaltning eller stad")

    def __init__(self, *args, today: dt.date, units: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        months = offered_months(today)
        self.fields["month"].choices = [(m.isoformat(), month_label(m)) for m in months]
        self.fields["month"].initial = months[0].isoformat()
        self.fields["unit"].choices = units

    def cleaned_month(self) -> dt.date:
        return dt.date.fromisoformat(self.cleaned_data["month"])


class AnalysisForm(forms.Form):
    cause = forms.CharField(
        label="Orsak", max_length=TEXT_MAX, required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="Varför nås inte målet? " + NO_PERSONAL_DATA,
    )
    actions = forms.CharField(
        label="Vidtagna och planerade åtgärder", max_length=TEXT_MAX, required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="Vad har gjorts och vad ska göras, av vem och när? " + NO_PERSONAL_DATA,
    )
