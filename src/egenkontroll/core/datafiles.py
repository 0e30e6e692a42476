"""The data files a municipality reviews like law text — the rule catalogue, the audit templates,
the deviation rules — read the same way: the file named in the call, else the one named in an
environment variable, else the shipped one; parsed once per version (path and modification
time), since pages and evaluations ask again and again; any failure to read reported as the
module's own error, naming the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")

# libyaml's safe loader when the C extension is there: the pure-Python one costs ~0.3 s a load.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """YAML with the safe loader (libyaml's when there): every data file of the project is read so."""
    return yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 (a safe loader)


def configured_path(path: str | Path | None, env_var: str, default: Path) -> Path:
    """`path`, else the file named by `env_var`, else the shipped `default`."""
    return Path(path or os.environ.get(env_var) or default)


def load_data_file(path: Path, parse: Callable[[Path, Any], T], error: type[Exception], what: str) -> T:
    """`parse(path, yaml_data)` of the file, once per version; unreadable → `error("<path>: kan inte läsa <what>: …")`."""
    try:
        return _parsed(path, path.stat().st_mtime_ns, parse, error, what)
    except OSError as exc:
        raise error(f"{path}: kan inte läsa {what}: {exc}") from exc


@lru_cache(maxsize=16)
def _parsed(path: Path, _mtime: int, parse: Callable[[Path, Any], T], error: type[Exception], what: str) -> T:
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise error(f"{path}: kan inte läsa {what}: {exc}") from exc
    return parse(path, data)
