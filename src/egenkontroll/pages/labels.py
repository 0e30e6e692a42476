"""Swedish words for the codes in the data: event types, outcomes, insatser, statuses, genders.

Why it exists: the interchange format and the database speak in codes (`forhandsbedomning`,
`fulfilled_late`); the pages speak Swedish. One table of names, so a code reads the same on
every page and in every download.
"""

from __future__ import annotations

EVENT_TYPES = {
    "anmalan": "Anmälan",
    "skyddsbedomning": "Skyddsbedömning",
    "forhandsbedomning": "Förhandsbedömning",
    "utredning_inledd": "Utredning inledd",
    "utredning_forlangd": "Utredning förlängd",
    "utredning_avslutad": "Utredning avslutad",
    "insats_start": "Insats påbörjad",
    "insats_slut": "Insats avslutad",
    "vardplan": "Vårdplan",
    "genomforandeplan": "Genomförandeplan",
    "besok": "Besök hos placerat barn",
    "overvagande": "Övervägande",
    "omprovning": "Omprövning",
    "vardnadsoverflyttning_overvagd": "Vårdnadsöverflyttning övervägd",
    "handlaggare": "Byte av handläggare",
    "arende_avslutat": "Ärendet avslutat",
    "lvu6_beslut": "Beslut om omedelbart omhändertagande (LVU 6 §)",
    "lvu6_understallt": "Omhändertagandet underställt förvaltningsrätten (LVU 7 §)",
    "lvu_ansokan": "Ansökan om vård enligt LVU (4 §)",
    "umgangesbegransning": "Beslut om umgängesbegränsning eller hemlig vistelseort (LVU 14 §)",
    "umgangesbegransning_overvagd": "Umgängesbegränsning övervägd (LVU 14 §)",
    "umgangesbegransning_upphord": "Umgängesbegränsning upphävd",
    "oppet_arende": "Öppet ärende",
    "placerad": "Placerat barn",
}
OUTCOMES = {
    "akut": "akut",
    "ej_akut": "ej akut",
    "inleda": "inleda utredning",
    "ej_inleda": "inte inleda utredning",
    "tillfors_utredning": "tillförs pågående utredning",
    "insats": "insats",
    "ingen_insats": "ingen insats",
}
INTERVENTIONS = {
    "oppenvard_intern": "Öppenvård (egen regi)",
    "oppenvard_extern": "Öppenvård (extern)",
    "kontaktperson": "Kontaktperson",
    "kontaktfamilj": "Kontaktfamilj",
    "familjehem": "Familjehem",
    "natverkshem": "Nätverkshem",
    "jourhem": "Jourhem",
    "hvb": "HVB",
    "stodboende": "Stödboende",
    "sis": "SiS",
}
STATUSES = {
    "fulfilled_on_time": "Uppfylld i tid",
    "fulfilled_late": "Uppfylld för sent",
    "pending": "Pågående",
    "overdue": "Försenad",
    "void": "Bortfallen",
    "open": "Öppen",
    "marked": "Markerad (registreringsfel eller ej tillämplig)",
}
GENDERS = {"F": "Flicka", "M": "Pojke", "X": "Annat", "U": "Okänt"}
# How the committee learned of the child (the kind of an anmalan row, issue 11).
REPORT_KINDS = {"anmalan": "Anmälan", "ansokan": "Ansökan", "information": "Övrig information"}
LEGAL_BASES = {"SoL": "SoL", "LVU2": "LVU 2 §", "LVU3": "LVU 3 §", "LVU6": "LVU 6 §"}
SOURCES = {
    "polis": "Polis", "skola": "Skola", "forskola": "Förskola", "halso_sjukvard": "Hälso- och sjukvård",
    "socialtjanst": "Socialtjänst", "anhorig": "Anhörig", "enskild": "Enskild", "annan": "Annan",
    "okand": "Okänd",
}


def event(code: str | None) -> str:
    return EVENT_TYPES.get(code or "", code or "")


def outcome(code: str | None) -> str:
    return OUTCOMES.get(code or "", code or "")


def intervention(code: str | None) -> str:
    return INTERVENTIONS.get(code or "", code or "")


def report_kind(code: str | None) -> str:
    return REPORT_KINDS.get(code or "", code or "")


def legal_basis(code: str | None) -> str:
    return LEGAL_BASES.get(code or "", code or "")


def source(code: str | None) -> str:
    return SOURCES.get(code or "", code or "")


def status(code: str | None) -> str:
    return STATUSES.get(code or "", code or "")
