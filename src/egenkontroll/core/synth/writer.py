"""Write a data set as a directory of CSV files, one ZIP of them, or one XLSX workbook.

Why streaming: at national scale the events table has millions of rows; it is written batch by
batch so that memory holds one batch at a time. CSV and ZIP output is byte-identical for the same
seed (ZIP members carry a fixed timestamp); XLSX carries the same cells as text.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import polars as pl

XLSX_MAX_ROWS = 1_048_575  # one header row + data rows per sheet
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
TABLES = ("org_units", "caseworkers", "events")


def target_path(out: Path, fmt: str) -> Path:
    """The directory (csv) or file (zip, xlsx) a data set is written to."""
    if fmt == "csv":
        return out
    return out if out.suffix == f".{fmt}" else out.with_name(out.name + f".{fmt}")


class Writer:
    """Receives the events batch by batch, then the two small tables, then closes."""

    def __init__(self, out: Path, fmt: str):
        if fmt not in ("csv", "zip", "xlsx"):
            raise ValueError(f"okänt format {fmt!r}; välj csv, zip eller xlsx")
        self.fmt, self.path = fmt, target_path(out, fmt)
        self._header = True
        self._rows = 0
        if fmt == "csv":
            self.path.mkdir(parents=True, exist_ok=True)
            self._events = open(self.path / "events.csv", "wb")  # noqa: SIM115 - closed in close()
        elif fmt == "zip":
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._zip = zipfile.ZipFile(self.path, "w", compression=zipfile.ZIP_DEFLATED)
            self._events = self._zip.open(_member("events.csv"), "w", force_zip64=True)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._xlsx = _Workbook()

    def events(self, frame: pl.DataFrame) -> None:
        self._rows += frame.height
        if self.fmt == "xlsx":
            if self._rows > XLSX_MAX_ROWS:
                raise ValueError("för många händelser för ett XLSX-blad (högst 1 048 575); välj csv eller zip")
            self._xlsx.append("events", frame, header=self._header)
        else:
            self._events.write(_csv(frame, self._header))
        self._header = False

    def finish(
        self, org_units: pl.DataFrame, caseworkers: pl.DataFrame,
        staffing: pl.DataFrame | None = None, population: pl.DataFrame | None = None,
    ) -> Path:
        """Write the tables beside events; `staffing` (posts per unit) and `population`
        (population.csv), both of issue 16, when given."""
        tables = {"org_units": org_units, "caseworkers": caseworkers}
        if staffing is not None:
            tables["staffing"] = staffing
        if population is not None:
            tables["population"] = population
        if self.fmt == "csv":
            self._events.close()
            for name, frame in tables.items():
                (self.path / f"{name}.csv").write_bytes(_csv(frame, True))
        elif self.fmt == "zip":
            self._events.close()
            for name, frame in tables.items():
                self._zip.writestr(_member(f"{name}.csv"), _csv(frame, True))
            self._zip.close()
        else:
            for name, frame in tables.items():
                self._xlsx.append(name, frame, header=True)
            self._xlsx.save(self.path)
        return self.path


def _csv(frame: pl.DataFrame, header: bool) -> bytes:
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=header, date_format="%Y-%m-%d")
    return buffer.getvalue()


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


class _Workbook:
    """A write-only openpyxl workbook with one sheet per table, all cells as text."""

    def __init__(self):
        from openpyxl import Workbook

        self._book = Workbook(write_only=True)
        self._sheets: dict = {}

    def append(self, name: str, frame: pl.DataFrame, *, header: bool) -> None:
        if name not in self._sheets:
            self._sheets[name] = self._book.create_sheet(name)
        sheet = self._sheets[name]
        if header:
            sheet.append(frame.columns)
        text = frame.select(pl.all().cast(pl.Utf8))
        for row in text.iter_rows():
            sheet.append(row)

    def save(self, path: Path) -> None:
        self._book.save(path)
