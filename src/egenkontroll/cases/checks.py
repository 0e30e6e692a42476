"""Data-integrity checks: the catalogue (checks.yaml) and running it against the database.

Exports contradict themselves: a decision dated before its report, a placement that ends
before it starts. Those rows are valid one by one, so the reader accepts them, yet they give
wrong deadlines. Each check is data (id, Swedish title, severity, description, advice, SQL),
reviewed like the rule catalogue; every import reports how many cases each check finds and
`egenkontroll checks` lists their case ids. Findings never carry identities.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db import connections

from egenkontroll.core.datafiles import load_yaml

DEFAULT_FILE = Path(__file__).with_name("checks.yaml")
FILE_ENV = "EGK_CHECKS_FILE"
SEVERITIES = ("error", "warning")
FIELDS = ("id", "title", "severity", "description", "recommendation", "sql")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_READ_ONLY = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)


class CheckError(ValueError):
    """The catalogue is malformed; the message names the file, the check and the field."""


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    severity: str
    description: str
    recommendation: str
    sql: str


@dataclass(frozen=True)
class Finding:
    check: Check
    case_ids: list[str]

    @property
    def count(self) -> int:
        return len(self.case_ids)


def load_checks(path: str | Path | None = None) -> list[Check]:
    """The catalogue from `path`, EGK_CHECKS_FILE, or the shipped checks.yaml."""
    path = Path(path or os.environ.get(FILE_ENV) or DEFAULT_FILE)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CheckError(f"{path.name}: kontrollkatalogen kan inte läsas ({type(exc).__name__})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("checks"), list):
        raise CheckError(f"{path.name}: nyckeln 'checks' (en lista) saknas")
    checks = [_check(path.name, i, item) for i, item in enumerate(data["checks"], start=1)]
    ids = [c.id for c in checks]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise CheckError(f"{path.name}: kontrollen {duplicated[0]} finns flera gånger")
    return checks


def _check(file: str, number: int, item: object) -> Check:
    if not isinstance(item, dict):
        raise CheckError(f"{file}: kontroll nr {number} är ingen mappning")
    name = item.get("id", f"nr {number}")
    for field in FIELDS:
        if not isinstance(item.get(field), str) or not item[field].strip():
            raise CheckError(f"{file}: kontroll {name}: fältet {field} saknas eller är tomt")
    if not _ID.match(item["id"]):
        raise CheckError(f"{file}: kontroll {name}: id får bara innehålla a–z, 0–9 och _")
    if item["severity"] not in SEVERITIES:
        raise CheckError(f"{file}: kontroll {name}: severity ska vara {' eller '.join(SEVERITIES)}")
    sql = item["sql"].strip().rstrip(";")
    if not _READ_ONLY.match(sql) or ";" in sql:
        raise CheckError(f"{file}: kontroll {name}: sql ska vara en enda SELECT")
    return Check(**{f: item[f].strip() for f in FIELDS[:-1]}, sql=sql)


def run_checks(alias: str, checks: list[Check] | None = None) -> list[Finding]:
    """Every check's distinct case ids, sorted, on the database `alias`."""
    findings = []
    with connections[alias].cursor() as cursor:
        for check in load_checks() if checks is None else checks:
            cursor.execute(f"SELECT DISTINCT q.case_id FROM ({check.sql}) q ORDER BY q.case_id")  # noqa: S608
            findings.append(Finding(check, [row[0] for row in cursor.fetchall()]))
    return findings
