"""Import profiles: a case system's export layout mapped onto interchange v1, as YAML.

Municipalities cannot change what their case system exports, and nobody should have to
reshape files by hand every night. A profile says where each v1 column comes from (column
names, value maps, date formats, one file or several) and, for a *wide* export with one
row per case and a dated column per step, which events each row holds. The conversion is
vectorised over whole tables; the result is validated by the ordinary v1 reader, so a
profile can never let through what a v1 file could not. Format: docs/import-profiles.md.

A file flows one way: this module reads the export (`interchange.read_tables`), maps it onto
v1 and hands the tables to `interchange.validate`; the importer (cases/importer.py) stores the
result. Pure polars, no Django: a profile is tested on its own (tests/core/test_profiles.py).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import yaml

from egenkontroll.core import import_limits, interchange, schema
from egenkontroll.core.datafiles import load_yaml
from egenkontroll.core.import_limits import ImportLimits

SHIPPED = Path(__file__).resolve().with_name("import_profiles")
V1_TABLES = {
    "org_units": interchange.ORG_COLUMNS,
    "caseworkers": interchange.CASEWORKER_COLUMNS,
    "events": interchange.EVENT_COLUMNS,
}
# Tables an export may leave out (issue 16): converted when the profile maps them or the export
# holds a file of the v1 name, else skipped.
OPTIONAL_V1_TABLES = {"staffing": interchange.STAFFING_COLUMNS}
DATE_COLUMNS = {"date", "until", "start_date", "end_date"}
ORIGIN = {"file": pl.Utf8, "source_row": pl.Int64}


class ProfileError(Exception):
    """A profile that cannot be used, or an export that does not fit it (message in Swedish)."""


@dataclass(frozen=True)
class TableMap:
    """How one v1 table is made: from which source tables, which columns, which values."""

    sources: tuple[str, ...]
    columns: dict[str, str]
    values: dict[str, dict[str, str]]
    date_format: str | None
    wide: dict | None


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    tables: dict[str, TableMap]


@dataclass
class Conversion:
    """v1 tables made from an export, and for each of their rows the source file and row."""

    tables: dict[str, pl.DataFrame]
    origins: dict[str, pl.DataFrame]
    files: dict[str, str]
    encodings: dict[str, str]
    warnings: list[str]


def shipped_profiles() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.yaml"))


def load_profile(name_or_path: str | Path) -> Profile:
    """A shipped profile by name (`generisk-bred`) or a profile file by path."""
    path = Path(name_or_path)
    if not path.suffix and (SHIPPED / f"{name_or_path}.yaml").is_file():
        path = SHIPPED / f"{name_or_path}.yaml"
    if not path.is_file():
        known = ", ".join(shipped_profiles())
        raise ProfileError(f"profilen {name_or_path} finns inte (medföljande: {known})")
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path.name}: ogiltig YAML ({type(exc).__name__})") from exc
    return parse_profile(data, path.stem)


def parse_profile(data: object, default_name: str) -> Profile:
    """Check a profile's structure and return it; every mistake is named with its place."""
    if not isinstance(data, dict) or not isinstance(data.get("tables"), dict):
        raise ProfileError(f"profil {default_name}: nyckeln 'tables' saknas")
    known = {**V1_TABLES, **OPTIONAL_V1_TABLES}
    unknown = set(data["tables"]) - set(known)
    if unknown:
        raise ProfileError(f"profil {default_name}: okänd tabell {sorted(unknown)[0]} (tillåtna: {', '.join(known)})")
    tables = {name: _table_map(default_name, name, spec) for name, spec in data["tables"].items()}
    return Profile(str(data.get("name", default_name)), str(data.get("title", default_name)), tables)


def _table_map(profile: str, table: str, spec: object) -> TableMap:
    where = f"profil {profile}, tabell {table}"
    if not isinstance(spec, dict) or "source" not in spec:
        raise ProfileError(f"{where}: 'source' (källfil) saknas")
    sources = spec["source"] if isinstance(spec["source"], list) else [spec["source"]]
    columns = _str_map(spec.get("columns", {}), f"{where}, columns")
    values = spec.get("values", {})
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise ProfileError(f"{where}: 'values' ska vara kolumn -> {{källvärde: v1-värde}}")
    wide = spec.get("wide")
    bad = [c for c in [*columns, *values] if c not in {**V1_TABLES, **OPTIONAL_V1_TABLES}[table]]
    if bad:
        raise ProfileError(f"{where}: {bad[0]} är ingen kolumn i {table} (v1)")
    if wide is not None:
        if table != "events":
            raise ProfileError(f"{where}: 'wide' gäller bara tabellen events")
        _check_wide(where, wide)
    return TableMap(
        sources=tuple(str(s).lower() for s in sources),
        columns={k: v.lower() for k, v in columns.items()},
        values={c: {str(k).lower(): str(v) for k, v in m.items()} for c, m in values.items()},
        date_format=spec.get("date_format"),
        wide=wide,
    )


def _str_map(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ProfileError(f"{where}: ska vara v1-kolumn -> källkolumn")
    return {str(k): v for k, v in value.items()}


def _check_wide(where: str, wide: object) -> None:
    if not isinstance(wide, dict) or not isinstance(wide.get("events"), list) or not wide["events"]:
        raise ProfileError(f"{where}: 'wide.events' ska vara en lista med händelser")
    common = _str_map(wide.get("common", {}), f"{where}, wide.common")
    if any(c not in V1_TABLES["events"] for c in common):
        raise ProfileError(f"{where}: wide.common får bara nämna v1-kolumner i events")
    keys = []
    for i, event in enumerate(wide["events"], start=1):
        if not isinstance(event, dict) or not {"key", "event_type", "date"} <= set(event):
            raise ProfileError(f"{where}: händelse {i} behöver key, event_type och date")
        columns = _str_map(event.get("columns", {}), f"{where}, händelse {event['key']}")
        bad = [c for c in [*columns, *event.get("values", {})] if c not in V1_TABLES["events"]]
        if bad:
            raise ProfileError(f"{where}, händelse {event['key']}: {bad[0]} är ingen v1-kolumn")
        if not isinstance(event.get("optional", False), bool):
            raise ProfileError(f"{where}, händelse {event['key']}: optional ska vara true eller false")
        if event.get("ref") is not None and event["ref"] not in keys:
            raise ProfileError(f"{where}, händelse {event['key']}: ref {event['ref']} ska vara en tidigare händelse")
        keys.append(event["key"])
    if len(set(keys)) != len(keys):
        raise ProfileError(f"{where}: två händelser har samma key")


def convert(profile: Profile, path: str | Path, limits: ImportLimits | None = None) -> Conversion:
    """Turn the export at `path` into v1 tables (all text, as a v1 file would hold them)."""
    raw = interchange.read_tables(path, limits)
    by_name = {name.lower(): name for name in raw.tables}
    tables, origins = {}, {}
    for table, columns in {**V1_TABLES, **OPTIONAL_V1_TABLES}.items():
        spec = profile.tables.get(table) or TableMap((table,), {}, {}, None, None)
        matched = sorted({by_name[n] for pattern in spec.sources for n in fnmatch.filter(by_name, pattern)})
        if not matched and table in OPTIONAL_V1_TABLES:
            continue
        if not matched:
            raise ProfileError(f"profil {profile.name}: ingen källfil för {table} ({', '.join(spec.sources)})")
        parts = [_convert_table(spec, columns, raw.tables[name], name) for name in matched]
        frame = pl.concat(parts, how="vertical")
        tables[table] = frame.drop("file", "source_row")
        origins[table] = frame.select(list(ORIGIN))
    return Conversion(tables, origins, raw.files, raw.encodings, raw.warnings)


def _convert_table(spec: TableMap, columns: tuple[str, ...], frame: pl.DataFrame, name: str) -> pl.DataFrame:
    if spec.wide is not None:
        out = _unpivot_wide(spec, frame)
    else:
        out = frame.select(pl.col(interchange.ROW), *[_source(spec, c, frame) for c in columns])
    out = out.with_columns(_mapped(spec.values.get(c), spec.date_format, c) for c in columns)
    # The v1 reader drops empty rows; dropping them here keeps row numbers aligned with origins.
    out = out.filter(pl.any_horizontal(pl.col(c).is_not_null() for c in columns))
    return out.select(
        *columns, pl.lit(f"{name}.csv").alias("file"), pl.col(interchange.ROW).cast(pl.Int64).alias("source_row")
    )


def _source(spec: TableMap, column: str, frame: pl.DataFrame) -> pl.Expr:
    """A v1 column from its source column (mapped, or of the same name), else empty."""
    source = spec.columns.get(column, column)
    return (pl.col(source) if source in frame.columns else pl.lit(None, pl.Utf8)).alias(column)


def _mapped(mapping: dict[str, str] | None, date_format: str | None, column: str) -> pl.Expr:
    """Apply a value map (case-insensitive; unmapped values pass unchanged) and a date format."""
    expr = pl.col(column)
    if mapping:
        expr = expr.str.to_lowercase().replace_strict(mapping, default=expr, return_dtype=pl.Utf8)
    if date_format and column in DATE_COLUMNS:
        parsed = expr.str.to_date(date_format, strict=False).dt.to_string("%Y-%m-%d")
        expr = pl.coalesce(parsed, expr)  # unparseable text goes on, to be rejected with its row
    return expr.alias(column)


def _unpivot_wide(spec: TableMap, frame: pl.DataFrame) -> pl.DataFrame:
    """One event per filled date cell: a row per case becomes a row per event."""
    wide = spec.wide
    common = {k: v.lower() for k, v in wide.get("common", {}).items()}
    case_col = common.get("case_id", "case_id")
    case_id = pl.col(case_col) if case_col in frame.columns else pl.lit(None, pl.Utf8)
    parts = []
    for event in wide["events"]:
        date_col = str(event["date"]).lower()
        if date_col not in frame.columns and event.get("optional"):
            continue  # a step an export may leave out (the LVU steps of issue 11): no events
        if date_col not in frame.columns:
            raise ProfileError(f"kolumnen {date_col} (datum för {event['key']}) saknas i exporten")
        own = {k: v.lower() for k, v in event.get("columns", {}).items()}
        picks = {**common, **own}
        ref = event.get("ref")
        part = frame.filter(pl.col(date_col).is_not_null()).select(
            pl.col(interchange.ROW),
            *[
                (pl.col(picks[c]) if picks.get(c) in frame.columns else pl.lit(None, pl.Utf8)).alias(c)
                for c in interchange.EVENT_COLUMNS
                if c not in ("event_id", "event_type", "date", "ref")
            ],
            (case_id + f":{event['key']}").alias("event_id"),
            pl.lit(str(event["event_type"])).alias("event_type"),
            pl.col(date_col).alias("date"),
            _wide_ref(ref, case_id, frame, wide["events"]).alias("ref"),
        )
        own_values = {c: {str(k).lower(): str(v) for k, v in m.items()} for c, m in event.get("values", {}).items()}
        parts.append(part.with_columns(_mapped(m, None, c) for c, m in own_values.items()))
    return pl.concat(parts, how="diagonal").sort(interchange.ROW, maintain_order=True)


def _wide_ref(ref: str | None, case_id: pl.Expr, frame: pl.DataFrame, events: list[dict]) -> pl.Expr:
    """The id of the same row's `ref` event, when that event's date is filled in."""
    if ref is None:
        return pl.lit(None, pl.Utf8)
    target = next(e for e in events if e["key"] == ref)
    date_col = str(target["date"]).lower()
    return pl.when(pl.col(date_col).is_not_null()).then(case_id + f":{ref}").otherwise(None)


def read_export(
    profile: str | Path, path: str | Path, *, key: bytes | None = None, limits: ImportLimits | None = None
) -> tuple[interchange.Dataset, Conversion]:
    """Read the export at `path` through `profile` and validate it as a v1 dataset.

    Events carry the export's row numbers; the conversion is returned so that rejects can
    name the export's files and rows too (`to_source`).
    """
    limits = limits or import_limits.from_env()
    conversion = convert(load_profile(profile), path, limits)
    dataset = interchange.validate(_as_v1(conversion), key=key, limits=limits)
    origin = conversion.origins["events"].with_row_index("row", offset=2).with_columns(pl.col("row").cast(pl.Int64))
    dataset.events = (
        dataset.events.join(origin, on="row", how="left")
        .with_columns(pl.col("source_row").alias("row"))
        .select(list(schema.EVENTS))
    )
    return dataset, conversion


def _as_v1(conversion: Conversion) -> interchange.Tables:
    """The converted tables as the v1 reader holds a file: rows numbered from 2, values trimmed, empty as null."""
    tables = {
        table: frame.with_row_index(interchange.ROW, offset=2).select(
            pl.col(interchange.ROW).cast(pl.Int64),
            *[pl.col(c).str.strip_chars().replace("", None) for c in frame.columns],
        )
        for table, frame in conversion.tables.items()
    }
    return interchange.Tables(
        tables=tables, encodings=conversion.encodings, files=conversion.files, warnings=list(conversion.warnings)
    )


def to_source(rejects: pl.DataFrame, conversion: Conversion) -> pl.DataFrame:
    """Name the export's file and row in rejects, not the converted v1 file's."""
    origins = pl.concat(
        [
            o.with_row_index("row", offset=2).with_columns(
                pl.col("row").cast(pl.Int64), pl.lit(f"{table}.csv").alias("v1_file")
            )
            for table, o in conversion.origins.items()
        ]
    )
    joined = rejects.join(origins, left_on=["file", "row"], right_on=["v1_file", "row"], how="left")
    return joined.select(
        pl.coalesce("file_right", "file").alias("file"),
        pl.coalesce("source_row", "row").alias("row"),
        *[c for c in rejects.columns if c not in ("file", "row")],
    )
