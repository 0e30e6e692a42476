"""The role × URL table: what every role gets from every named URL (the access policy, as data).

`test_url_matrix` walks the URL configuration and fails for a URL that is not listed here, for
an entry whose URL no longer exists, and for every status that differs. To add a URL: add one
line `"namespace:name": Entry(expect(...), kwargs={...})`, and think about each role.

Users (tests/access/cityfixture.py): handlaggare = anna in group G1 (own cases C1, C2, C6);
arbetsledare G1; enhetschef E1; verksamhetscontroller A1; avdelningschef A2; inspektor, namnd and
admin city-wide. Case C3 is bo's, in G1; C5 is in G3 (department A2). The audit of
tests/audits/cityaudit.py samples every case (districts A1 and A2); its finding names E1 responsible.
The deviation of tests/deviations/citydeviation.py is a lex Sarah report in G1 by the arbetsledare.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.audits.cityaudit import city_audit
from tests.deviations.citydeviation import city_deviation
from tests.reports.cityreport import city_draft, city_final

ROLES = (
    "anonymous",
    "handlaggare",
    "arbetsledare",
    "enhetschef",
    "verksamhetscontroller",
    "avdelningschef",
    "inspektor",
    "namnd",
    "admin",
)
LOGGED_IN = ROLES[1:]
PERSON_LEVEL = ("handlaggare", "arbetsledare", "enhetschef", "verksamhetscontroller", "avdelningschef", "inspektor")
FIGURES = (*PERSON_LEVEL, "namnd")
LOG_REVIEWERS = ("verksamhetscontroller", "avdelningschef", "inspektor")
AUDITORS = ("verksamhetscontroller", "inspektor")
REPORT_WRITERS = ("enhetschef", "verksamhetscontroller", "avdelningschef")
DEVIATION_REPORTERS = ("handlaggare", "arbetsledare", "enhetschef", "verksamhetscontroller", "avdelningschef")

LOGIN_REDIRECT = 302


def expect(allowed: tuple[str, ...] | str, ok: int = 200, other: int = 403, anonymous: int = LOGIN_REDIRECT,
           **per_role: int) -> dict[str, int]:
    """Status per role: `ok` for the allowed roles, `other` for the rest, overrides by name."""
    allowed = LOGGED_IN if allowed == "all" else allowed
    table = {role: ok if role in allowed else other for role in LOGGED_IN}
    return {"anonymous": anonymous, **table, **per_role}


@dataclass(frozen=True)
class Entry:
    statuses: dict[str, int]
    kwargs: dict = field(default_factory=dict)
    query: str = ""
    # Makes the objects the URL names (users -> ids); a kwarg "#name" takes the id `name`.
    setup: Callable[[dict], dict] | None = None


URLS: dict[str, Entry] = {
    # access (login, search, administration, log follow-up)
    "login": Entry(expect("all", ok=302, anonymous=200)),  # logged in: redirected onwards
    "logout": Entry(expect("all", ok=405, anonymous=LOGIN_REDIRECT)),  # POST only
    "halsa": Entry(expect("all", anonymous=200)),  # health check: public, no data
    "access:sok": Entry(expect(PERSON_LEVEL)),
    "access:anvandare": Entry(expect(("admin",))),
    "access:anvandare-ny": Entry(expect(("admin",), ok=405)),  # POST only
    "access:anvandare-detalj": Entry(expect(("admin",)), kwargs={"user_id": "@anna"}),
    "access:roll-ta-bort": Entry(expect(("admin",), ok=405), kwargs={"user_id": "@anna", "assignment_id": 1}),
    "access:logguppfoljning": Entry(expect(LOG_REVIEWERS)),
    # overview (figures and person-level pages; seeded by the access engineer, kept by the web engineer)
    "overview:start": Entry(expect(("admin",), other=302)),  # roles with figures are sent on to Översikt
    "overview:oversikt": Entry(expect(FIGURES)),
    "overview:flode": Entry(expect(FIGURES)),
    "overview:nyckeltal": Entry(expect(FIGURES)),
    # the nämnd sees group totals only, masked (no row per caseworker)
    "overview:handlaggare": Entry(expect(FIGURES)),
    "overview:arbetslista": Entry(expect(PERSON_LEVEL)),
    # bo's case in G1: not anna's own, outside department A2
    "overview:arende": Entry(expect(PERSON_LEVEL, handlaggare=404, avdelningschef=404), kwargs={"case_id": "C3"}),
    "overview:arende_export": Entry(
        expect(PERSON_LEVEL, handlaggare=404, avdelningschef=404),
        kwargs={"case_id": "C3", "table": "frister", "fmt": "csv"},
    ),
    # downloads: the same decorators as their pages (the nämnd's tables are masked)
    "overview:oversikt_export": Entry(expect(FIGURES), kwargs={"table": "nyckeltal", "fmt": "csv"}),
    "overview:flode_export": Entry(expect(FIGURES), kwargs={"table": "flode", "fmt": "xlsx"}),
    "overview:handlaggare_export": Entry(expect(FIGURES), kwargs={"table": "grupper", "fmt": "csv"}),
    "overview:nyckeltal_export": Entry(expect(FIGURES), kwargs={"table": "katalog", "fmt": "csv"}),
    "overview:nyckeltal_detalj": Entry(expect(FIGURES), kwargs={"kpi_id": "anmalningar"}),
    "overview:nyckeltal_detalj_export": Entry(
        expect(FIGURES), kwargs={"kpi_id": "anmalningar", "table": "trend", "fmt": "csv"}
    ),
    "overview:arbetslista_export": Entry(expect(PERSON_LEVEL), kwargs={"table": "frister", "fmt": "xlsx"}),
    # the cases behind a number of group G1: outside department A2 (404), person level only (403)
    "overview:underlag": Entry(expect(PERSON_LEVEL, avdelningschef=404), query="?nyckeltal=anmalningar&enhet=G1"),
    "overview:underlag_export": Entry(
        expect(PERSON_LEVEL, avdelningschef=404),
        kwargs={"table": "arenden", "fmt": "csv"},
        query="?nyckeltal=anmalningar&enhet=G1",
    ),
    # kvalitetsgranskning: results for every role with figures (the nämnd masked)
    "audits:lista": Entry(expect(FIGURES)),
    "audits:ny": Entry(expect(AUDITORS, ok=405)),  # POST only, auditors only
    "audits:detalj": Entry(expect(FIGURES), kwargs={"audit_id": "#audit_id"}, setup=city_audit),
    "audits:export": Entry(
        expect(FIGURES), kwargs={"audit_id": "#audit_id", "table": "resultat", "fmt": "csv"}, setup=city_audit
    ),
    # the protocol is a person-level page like the case page: C3 is bo's (not anna's), outside A2
    "audits:protokoll": Entry(
        expect(PERSON_LEVEL, handlaggare=404, avdelningschef=404),
        kwargs={"audit_id": "#audit_id", "case_id": "C3"}, setup=city_audit,
    ),
    # findings (POST only): auditors reaching a district of the audit add them; the finding's
    # responsible unit E1: its enhetschef and the auditors close it, avdelningschef of A2 may not
    "audits:fynd": Entry(expect(AUDITORS, ok=405), kwargs={"audit_id": "#audit_id"}, setup=city_audit),
    # closing the audit (POST only): auditors reaching every district (A1 and A2); the
    # verksamhetscontroller of A1 does not reach A2
    "audits:status": Entry(
        expect(("inspektor",), ok=405), kwargs={"audit_id": "#audit_id"}, setup=city_audit,
    ),
    "audits:fynd-status": Entry(
        expect(("enhetschef", *AUDITORS), ok=405),
        kwargs={"audit_id": "#audit_id", "finding_id": "#finding_id"}, setup=city_audit,
    ),
    # nämndrapport (tests/reports/cityreport.py, förvaltning F, which every user with a unit works in):
    # fastställda for every role with figures; drafts for managers and the inspektor, not for
    # handläggare, arbetsledare or the nämnd (404); analyses by managers, fastställ by
    # verksamhetscontroller and avdelningschef (POST only)
    "reports:lista": Entry(expect(FIGURES)),
    "reports:ny": Entry(expect(REPORT_WRITERS, ok=405)),
    "reports:detalj": Entry(
        expect(("inspektor", *REPORT_WRITERS), handlaggare=404, arbetsledare=404, namnd=404),
        kwargs={"report_id": "#report_id"}, setup=city_draft,
    ),
    "reports:analys": Entry(
        expect(REPORT_WRITERS, ok=405, handlaggare=404, arbetsledare=404, namnd=404),
        kwargs={"report_id": "#report_id", "kpi_id": "fb_forsenade"}, setup=city_draft,
    ),
    "reports:faststall": Entry(
        expect(("verksamhetscontroller", "avdelningschef"), ok=405, handlaggare=404, arbetsledare=404, namnd=404),
        kwargs={"report_id": "#report_id"}, setup=city_draft,
    ),
    "reports:export": Entry(
        expect(FIGURES), kwargs={"report_id": "#report_id", "table": "rapport", "fmt": "pdf"}, setup=city_final,
    ),
    # planering: figures only (no case, no person) for every role with figures, the nämnd masked;
    # a unit outside the figure scope (G3 in department A2) is 404 for everyone who does not reach it
    "planning:planering": Entry(expect(FIGURES)),
    # saving a scenario (POST only): every role with figures; a POST by the nämnd is 403 (it reads,
    # it does not plan: tests/planning)
    "planning:spara": Entry(expect(FIGURES, ok=405)),
    "planning:export": Entry(
        # the nämnd: no weekly table (counts and rates could undo the masking), only the limit charts
        expect(FIGURES, handlaggare=404, arbetsledare=404, enhetschef=404, verksamhetscontroller=404, namnd=404),
        kwargs={"table": "veckor", "fmt": "csv"}, query="?enhet=G3&topp=3",
    ),
    # avvikelser och lex Sarah: the list for every role with figures (the nämnd: masked counts only);
    # reporting (POST only) for person-level roles but the read-only inspektor. The deviation in
    # G1 was reported by the arbetsledare: anna (handläggare, not her report) and the avdelningschef
    # of A2 do not read it (404); the nämnd and admin see no deviation (403). Changes (POST only):
    # enhetschef of E1 and verksamhetscontroller of A1; the arbetsledare and inspektor read only (403).
    "deviations:lista": Entry(expect(FIGURES)),
    "deviations:ny": Entry(expect(DEVIATION_REPORTERS, ok=405)),
    "deviations:export": Entry(expect(FIGURES), kwargs={"table": "manad_kategori", "fmt": "csv"}),
    "deviations:detalj": Entry(
        expect(PERSON_LEVEL, handlaggare=404, avdelningschef=404),
        kwargs={"deviation_id": "#deviation_id"}, setup=city_deviation,
    ),
    **{
        f"deviations:{name}": Entry(
            expect(("enhetschef", "verksamhetscontroller"), ok=405, handlaggare=404, avdelningschef=404),
            kwargs={"deviation_id": "#deviation_id"}, setup=city_deviation,
        )
        for name in ("status", "utredning", "atgard")
    },
    "deviations:atgard-status": Entry(
        expect(("enhetschef", "verksamhetscontroller"), ok=405, handlaggare=404, avdelningschef=404),
        kwargs={"deviation_id": "#deviation_id", "action_id": "#action_id"}, setup=city_deviation,
    ),
}
