"""Typed helpers for settings from the environment (the healthchecks habit).

Every variable is documented in docs/configuration.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int, low: int | None = None, high: int | None = None) -> int:
    """The variable as a whole number (`default` when unset or empty), refused with a Swedish
    message when it is not one or lies outside `low`–`high`."""
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    if low is not None and high is not None:
        bounds = f" {low}–{high}"
    elif low is not None:
        bounds = f" ≥ {low}"
    else:
        bounds = "" if high is None else f" ≤ {high}"
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or (low is not None and number < low) or (high is not None and number > high):
        raise ValueError(f"{name} ska vara ett heltal{bounds}, inte {value!r}")
    return number


def data_dir() -> Path:
    """Where the embedded database and generated demo data live (never inside git)."""
    return Path(os.environ.get("EGK_DATA_DIR", Path.cwd() / "var")).resolve()


def database_from_url(url: str) -> dict:
    """Turn `sqlite:///path` or `postgresql://user:pw@host:port/db` into a Django DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme in {"sqlite", "sqlite3"}:
        # SQLAlchemy convention: sqlite:///relative/path, sqlite:////absolute/path
        path = parsed.netloc + unquote(parsed.path)
        path = path[1:] if path.startswith("/") else path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path or ":memory:",
            "OPTIONS": {"timeout": 30, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
        }
    if parsed.scheme in {"postgres", "postgresql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "postgres",
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
        }
    raise ValueError(f"DATABASE_URL: databastypen {parsed.scheme!r} stöds inte (använd sqlite:/// eller postgresql://)")
