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
IMPORT_REVIEWERS = ("verksamhetscontroller", "admin")
DEVIATION_REPORTERS = ("handlaggare", "arbetsledare", "enhetschef", "verksamhetscontroller", "avdelningschef")

LOGIN_REDIRECT = 302


def first_run(users: dict) -> dict:
    from egenkontroll.cases.models import ImportRun

    return {"run_id": ImportRun.objects.order_by("id").first().pk}


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
    # The API: each role calls with an API key of its own account (anonymous: no key) instead of a session.
    token: bool = False


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
    "access:logg-kontrollpunkt": Entry(expect(LOG_REVIEWERS)),  # the signed anchor of the log's head
    # sign-in (egenkontroll.signin): single sign-on endpoints are public and 404 while not configured
    # (tests/signin/ run them against real providers); the second-factor pages are for every
    # signed-in user; the JSON endpoints of passkeys and the reset are POST only
    **{name: Entry(expect("all", ok=404, anonymous=404)) for name in (
        "oidc_authentication_init", "oidc_authentication_callback", "saml2_login", "saml2_acs", "saml2_metadata")},
    "signin:mfa": Entry(expect("all", ok=302)),  # no factor yet: sent on to set one up
    "signin:konto": Entry(expect("all")),
    "signin:totp": Entry(expect("all")),
    "signin:losenord": Entry(expect("all")),
    **{f"signin:{name}": Entry(expect("all", ok=405)) for name in (
        "reservkoder", "passkey-registrera-alternativ", "passkey-registrera", "passkey-alternativ",
        "passkey-verifiera")},
    "signin:mfa-nollstall": Entry(expect(("admin",), ok=405), kwargs={"user_id": "@anna"}),
    # overview (figures and person-level pages; seeded by the access engineer, kept by the web engineer)
    # every role is sent on: figures to Översikt, caseworkers to Arbetslista, the admin to user administration
    "overview:start": Entry(expect((), other=302)),
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
    # marking an obligation of bo's case C3 in G1 (the confirmation page; POST marks): those
    # responsible — arbetsledare of G1, enhetschef of E1 (and bo himself) — may; the
    # verksamhetscontroller of A1 sees the case but does not mark (403); anna and A2's head: 404
    "overview:markera": Entry(
        expect(("arbetsledare", "enhetschef"), handlaggare=404, avdelningschef=404),
        kwargs={"case_id": "C3", "rule": "skyddsbedomning", "trigger_event_id": "EC3"},
    ),
    # Datakvalitet: the marks of the user's person-level scope, and its download
    "overview:datakvalitet": Entry(expect(PERSON_LEVEL)),
    "overview:datakvalitet_export": Entry(expect(PERSON_LEVEL), kwargs={"table": "markeringar", "fmt": "csv"}),
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
    # importing answers writes protocols: person-level auditors reaching a district of the audit
    "audits:importera": Entry(expect(AUDITORS), kwargs={"audit_id": "#audit_id"}, setup=city_audit),
    # the inspectors' tables: the page for every role with figures (exact counts only for a scope
    # covering A1 and A2, the others read why); the PDF/XLSX only for such a scope: the inspektor
    "audits:tabeller": Entry(expect(FIGURES), kwargs={"audit_id": "#audit_id"}, setup=city_audit),
    "audits:tabeller-fil": Entry(expect(("inspektor",)), kwargs={"audit_id": "#audit_id", "fmt": "xlsx"},
                                 setup=city_audit),
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
    "reports:analyser": Entry(
        expect(REPORT_WRITERS, ok=405, handlaggare=404, arbetsledare=404, namnd=404),
        kwargs={"report_id": "#report_id"}, setup=city_draft,
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
    # the whole scenario (PDF for the nämnd, workbook): every role with figures for a unit of its scope,
    # the nämnd too (masked as its page: tests/planning)
    "planning:scenario": Entry(
        expect(FIGURES, handlaggare=404, arbetsledare=404, enhetschef=404, verksamhetscontroller=404),
        kwargs={"fmt": "xlsx"}, query="?enhet=G3&topp=3&veckor=2",
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
    # the import page: the administrator and the verksamhetscontroller answer for the nightly job;
    # the rejects download holds masked values and event ids (logged like any export)
    "cases:importer": Entry(expect(IMPORT_REVIEWERS)),
    "cases:avvisade": Entry(expect(IMPORT_REVIEWERS), kwargs={"run_id": "#run_id", "fmt": "csv"}, setup=first_run),
    # the API (/api/v1/): a service-account key acts as its account; without a key 401 (problem+json).
    # A browser session is not enough: test_url_matrix calls these with a key per role.
    "api:index": Entry(expect("all", anonymous=200), token=True),
    "api:openapi": Entry(expect("all", anonymous=200), token=True),
    "api:enheter": Entry(expect(FIGURES, anonymous=401), token=True),
    "api:nyckeltal": Entry(expect(FIGURES, anonymous=401), token=True),
    "api:nyckeltal-varden": Entry(expect(FIGURES, anonymous=401), token=True),
    "api:arbetslista-antal": Entry(expect(PERSON_LEVEL, anonymous=401), token=True),
    "api:arbetslista": Entry(expect(PERSON_LEVEL, anonymous=401), token=True),
}
