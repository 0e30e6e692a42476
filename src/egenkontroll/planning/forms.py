"""The scenario form of the planning page: every field optional, each with the default of the CLI.

Why it exists: the scenario lives in the query string (a link can be shared and the downloads
use the same one), so the form is a GET form validated here, never trusted as typed.
"""

from __future__ import annotations

from django import forms

from egenkontroll.core.planning import Scenario, StaffChange, Surge, parse_staffing

DEFAULTS = {"veckor": 26, "underlag": 26, "inflode": 1.0, "topp_fran": 1, "topp_veckor": 12}


class ScenarioForm(forms.Form):
    enhet = forms.ChoiceField(label="Enhet", required=False)
    per = forms.DateField(label="Läget per", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    veckor = forms.IntegerField(label="Veckor framåt", min_value=1, max_value=104, required=False)
    underlag = forms.IntegerField(label="Veckor bakåt (underlag)", min_value=4, max_value=104, required=False)
    inflode = forms.FloatField(label="Inflöde (faktor)", min_value=0, max_value=10, required=False)
    topp = forms.FloatField(label="Topp: faktor", min_value=0, max_value=20, required=False)
    topp_fran = forms.IntegerField(label="Topp från vecka", min_value=1, max_value=104, required=False)
    topp_veckor = forms.IntegerField(label="Toppens längd (veckor)", min_value=0, max_value=104, required=False)
    personal = forms.CharField(
        label="Ändrad bemanning", required=False, max_length=200,
        help_text="ändring@vecka, kommaseparerat: +3@4,-2@10 betyder 3 fler från vecka 4 och 2 färre från vecka 10.",
    )
    andel = forms.IntegerField(
        label="Andel tid på utredningar (%)", min_value=0, max_value=100, required=False,
        help_text="Tomt: som under underlaget.",
    )

    def __init__(self, data, units: list[tuple[str, str]]):
        super().__init__(data)
        self.fields["enhet"].choices = units

    def clean_personal(self) -> tuple[StaffChange, ...]:
        try:
            out = parse_staffing(self.cleaned_data.get("personal"))
        except ValueError as exc:
            raise forms.ValidationError(f"{exc}.") from None
        if any(c.from_week < 1 for c in out):
            raise forms.ValidationError("En ändring gäller tidigast från vecka 1.")
        return tuple(out)

    def value(self, name: str):
        """The cleaned value, or the default when the field was left empty."""
        value = self.cleaned_data.get(name)
        return DEFAULTS.get(name) if value is None else value

    def scenario(self, norm: float) -> Scenario:
        surge = None
        if self.cleaned_data.get("topp") is not None:
            surge = Surge(self.cleaned_data["topp"], self.value("topp_fran"), self.value("topp_veckor"))
        share = self.cleaned_data.get("andel")
        return Scenario(
            weeks=self.value("veckor"),
            inflow=self.value("inflode"),
            surge=surge,
            staffing=self.cleaned_data.get("personal") or (),
            investigation_share=None if share is None else share / 100,
            caseload_norm=norm,
        )
