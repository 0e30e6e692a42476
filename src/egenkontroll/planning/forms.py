"""The scenario form of the planning page: every field optional, each with the default of the CLI.

Why it exists: the scenario lives in the query string (a link can be shared and the downloads
use the same one), so the form is a GET form validated here, never trusted as typed.
"""

from __future__ import annotations

from django import forms

from egenkontroll.core.planning import LAG_FROM_DATA, Scenario, StaffChange, Surge, parse_staffing
from egenkontroll.core.surge_plan import examples

DEFAULTS = {
    "veckor": 26, "underlag": 26, "inflode": 1.0, "topp_fran": 1, "topp_veckor": 12, "ensamkommande_fran": 1,
    "ensamkommande_veckor": 13, "referens": 52,
}


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

    ensamkommande = forms.FloatField(
        label="Ensamkommande: faktor", min_value=0, max_value=20, required=False,
        help_text="Inflödet av ensamkommande barn gånger faktorn (påverkar både anmälningar och placeringar).",
    )
    ensamkommande_fran = forms.IntegerField(label="Ensamkommande från vecka", min_value=1, max_value=104, required=False)
    ensamkommande_veckor = forms.IntegerField(
        label="Ensamkommande: antal veckor", min_value=0, max_value=104, required=False
    )
    ensamkommande_fordrojning = forms.CharField(
        label="Ensamkommande: fördröjning till placering", required=False, max_length=4,
        help_text="Tomt: placeras samma vecka som de kommer. Ett antal veckor (0–52), eller ”data”: "
        "fördröjningen från anmälan till placering som referensperiodens ensamkommande barn hade.",
    )
    referens = forms.IntegerField(
        label="Placeringar: veckor bakåt (referensperiod)", min_value=8, max_value=260, required=False,
        help_text="Perioden placeringarnas takt räknas från. Standard 52 veckor.",
    )
    exempel = forms.ChoiceField(label="Exempelscenario", required=False, help_text="Fyller i de fält du lämnat tomma.")

    def __init__(self, data, units: list[tuple[str, str]]):
        super().__init__(data)
        self.fields["enhet"].choices = units
        self.fields["exempel"].choices = [("", "Inget")] + [(n, f"{n}: {e.description}") for n, e in examples().items()]

    def clean(self):
        """An example fills the fields left empty (the CLI's --example does the same)."""
        data = super().clean()
        name = data.get("exempel")
        if name:
            fields = examples()[name].fields
            if data.get("veckor") is None and "veckor" in fields:
                data["veckor"] = int(fields["veckor"])
            for key, prefix in (("ensamkommande", "ensamkommande"), ("topp", "topp")):
                given = fields.get(key) or {}
                if given and data.get(prefix) is None:
                    data[prefix] = float(given["faktor"])
                    data.setdefault(f"{prefix}_fran", None)
                    data[f"{prefix}_fran"] = data[f"{prefix}_fran"] or int(given.get("fran", 1))
                    if data.get(f"{prefix}_veckor") is None:
                        data[f"{prefix}_veckor"] = int(given.get("veckor", DEFAULTS[f"{prefix}_veckor"]))
        return data

    def clean_ensamkommande_fordrojning(self) -> int | str | None:
        text = (self.cleaned_data.get("ensamkommande_fordrojning") or "").strip().lower()
        if not text:
            return None
        if text == LAG_FROM_DATA:
            return LAG_FROM_DATA
        if text.isdigit() and int(text) <= 52:
            return int(text)
        raise forms.ValidationError(f"Skriv ett antal veckor (0–52) eller ”{LAG_FROM_DATA}”.")

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
        unaccompanied = None
        if self.cleaned_data.get("ensamkommande") is not None:
            unaccompanied = Surge(self.cleaned_data["ensamkommande"], self.value("ensamkommande_fran"),
                                  self.value("ensamkommande_veckor"))
        return Scenario(
            weeks=self.value("veckor"),
            inflow=self.value("inflode"),
            surge=surge,
            staffing=self.cleaned_data.get("personal") or (),
            investigation_share=None if share is None else share / 100,
            caseload_norm=norm,
            unaccompanied=unaccompanied,
            unaccompanied_lag=self.cleaned_data.get("ensamkommande_fordrojning"),
        )


class SaveScenarioForm(forms.Form):
    """The name a scenario is saved under (the scenario itself is the page's query string)."""

    QUERY_MAX = 1000
    namn = forms.CharField(label="Spara scenariot som", max_length=80, strip=True)
