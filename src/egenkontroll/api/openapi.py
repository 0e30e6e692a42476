"""The OpenAPI 3.0 description of API v1, served at /api/v1/openapi.json and validated in the tests."""

from __future__ import annotations

PROBLEM = {"$ref": "#/components/responses/Problem"}
ERRORS = {"400": PROBLEM, "401": PROBLEM, "403": PROBLEM, "404": PROBLEM}


def _param(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


DATE = {"type": "string", "format": "date"}
UNIT = _param("enhet", "Enhetens id (hela dess underträd). Utan: nyckelns hela behörighet.", {"type": "string"})
LIMIT = _param("limit", "Rader per sida (1–1000).", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100})
OFFSET = _param("offset", "Hoppa över så många rader.", {"type": "integer", "minimum": 0, "default": 0})
PERIOD = [
    UNIT,
    _param("fran", "Periodens första dag (ÅÅÅÅ-MM-DD); standard: tolv månader bakåt.", DATE),
    _param("till", "Periodens sista dag; standard: i dag.", DATE),
    _param("per", "Läget per denna dag (frister som ännu inte förfallit); standard: till.", DATE),
]


def _list(item: dict) -> dict:
    return {"type": "object", "required": ["data", "paging"], "properties": {
        "data": {"type": "array", "items": item}, "paging": {"$ref": "#/components/schemas/Paging"}}}


def _ok(schema: dict, description: str) -> dict:
    return {"200": {"description": description, "content": {"application/json": {"schema": schema}}}, **ERRORS}


def _get(summary: str, description: str, responses: dict, parameters=(), public: bool = False) -> dict:
    operation = {"summary": summary, "description": description, "parameters": list(parameters),
                 "responses": responses, "tags": ["v1"]}
    if public:
        operation["security"] = []
    return {"get": operation}


NUMBER_OR_NULL = {"type": "number", "nullable": True}
SCHEMAS = {
    "Paging": {"type": "object", "required": ["offset", "limit", "total"], "properties": {
        "offset": {"type": "integer"}, "limit": {"type": "integer"}, "total": {"type": "integer"},
        "next": {"type": "string", "nullable": True, "description": "Sökvägen till nästa sida."}}},
    "Problem": {"type": "object", "required": ["type", "title", "status"], "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "instance": {"type": "string"}}},
    "Unit": {"type": "object", "properties": {
        "unit_id": {"type": "string"}, "name": {"type": "string"}, "level": {"type": "string"},
        "parent_id": {"type": "string", "nullable": True}}},
    "Kpi": {"type": "object", "properties": {
        "id": {"type": "string"}, "titel": {"type": "string"}, "slag": {"type": "string"},
        "enhet": {"type": "string"}, "mal": NUMBER_OR_NULL, "battre": {"type": "string"},
        "beskrivning": {"type": "string"}}},
    "KpiValue": {"type": "object", "properties": {
        "enhet_id": {"type": "string"}, "enhet": {"type": "string"}, "niva": {"type": "string"},
        "nyckeltal": {"type": "string"}, "fran": DATE, "till": DATE, "per": DATE, "mal": NUMBER_OR_NULL,
        "varde": NUMBER_OR_NULL,
        "maskerat": {"type": "string", "nullable": True, "description": "”<5” eller ”x” när värdet döljs (nämnden)."},
        "taljare": NUMBER_OR_NULL, "namnare": NUMBER_OR_NULL}},
    "WorkListCount": {"type": "object", "properties": {
        "regel": {"type": "string"}, "titel": {"type": "string"},
        "bradska": {"type": "string", "enum": ["forsenad", "snart", "kommande"]},
        "bradska_text": {"type": "string"}, "antal": {"type": "integer"}}},
    "Obligation": {"type": "object", "properties": {
        "case_id": {"type": "string"}, "rule": {"type": "string"}, "trigger_date": DATE, "frist": DATE,
        "dagar_kvar": {"type": "integer"}, "bradska": {"type": "string"}, "enhet_id": {"type": "string"},
        "handlaggare_id": {"type": "string", "nullable": True}}},
}


def document(server: str) -> dict:
    ref = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Egenkontroll API", "version": "1.0.0",
            "description": ("Läs nyckeltal och arbetslistans antal från Egenkontroll. Varje anrop görs med en "
                            "API-nyckel som hör till ett konto med roller; nyckeln ser det kontot ser, och varje "
                            "anrop loggas. Nämndens nycklar får maskerade värden (små tal visas inte)."),
            "license": {"name": "EUPL-1.2", "url": "https://joinup.ec.europa.eu/collection/eupl/eupl-text-eupl-12"},
        },
        "servers": [{"url": server}],
        "security": [{"nyckel": []}],
        "tags": [{"name": "v1", "description": "Version 1 (bakåtkompatibla ändringar inom versionen)."}],
        "paths": {
            "/": _get("API:ets ingång", "Länkar till resurserna.", {"200": {"description": "Länkar"}}, public=True),
            "/openapi.json": _get("Denna beskrivning", "OpenAPI 3.", {"200": {"description": "OpenAPI"}}, public=True),
            "/enheter": _get("Enheter", "Organisationens enheter inom nyckelns behörighet.",
                             _ok(_list(ref("Unit")), "Enheterna"), [LIMIT, OFFSET]),
            "/nyckeltal": _get("Nyckeltalen", "Katalogen: id, titel, mål och definition.",
                               _ok({"type": "object", "properties": {"data": {"type": "array", "items": ref("Kpi")}}},
                                   "Katalogen")),
            "/nyckeltal/varden": _get(
                "Nyckeltalens värden", "Samma värden som sidan Översikt för enheten och perioden: enheten och enheterna "
                "närmast under den, varje nyckeltal med täljare och nämnare (maskerat för nämnden).",
                _ok(_list(ref("KpiValue")), "Värdena"), [*PERIOD, LIMIT, OFFSET]),
            "/arbetslista/antal": _get(
                "Arbetslistans antal", "Öppna frister per regel och brådska i dag (roller med uppgifter på personnivå).",
                _ok({"type": "object", "properties": {"data": {"type": "array", "items": ref("WorkListCount")},
                                                       "per": DATE}}, "Antalen"), [UNIT]),
            "/arbetslista": _get(
                "Arbetslistan", "De öppna fristerna, tidigast först (personnivå; varje ärende loggas).",
                _ok(_list(ref("Obligation")), "Fristerna"), [UNIT, LIMIT, OFFSET]),
        },
        "components": {
            "securitySchemes": {"nyckel": {"type": "http", "scheme": "bearer",
                                           "description": "API-nyckel från `egenkontroll users token-add`."}},
            "schemas": SCHEMAS,
            "responses": {"Problem": {"description": "Fel (RFC 9457)", "content": {
                "application/problem+json": {"schema": ref("Problem")}}}},
        },
    }
