"""Swedish identity numbers: validation, birth date and gender, keyed pseudonyms, masking.

A child's personnummer may never be stored or shown in clear. On import it is checked
(format, calendar date, Luhn check digit), its birth date and legal gender are read off it,
and it is replaced by a keyed pseudonym (HMAC-SHA256). The key lives outside the data, so the
database alone cannot be turned back into identity numbers; the same key gives the same
pseudonym for the same person in every import, whichever format the case system wrote.

Accepted forms (surrounding whitespace ignored):

- ``YYYYMMDD-NNNC`` and ``YYYYMMDDNNNC``
- ``YYMMDD-NNNC`` and ``YYMMDDNNNC``: the latest century that does not put the birth after
  the reference date; ``YYMMDD+NNNC`` marks a person aged 100 or more (a further 100 years back)
- samordningsnummer: the same forms with 60 added to the day of birth
- reserve numbers ``R:<text>`` (case systems' own numbers, e.g. for a newly arrived child):
  no check digit, no birth date, gender unknown (``U``)

The canonical form is the 12-digit form without separator (samordningsnummer keep their
day + 60) or ``R:`` followed by the trimmed text. The pseudonym is the first 32 hex digits
(128 bits) of HMAC-SHA256(key, canonical form as UTF-8).

Validation is vectorised (`parse_identities`) because an import checks every distinct
number of a city at once; `parse_identity` is the same code for a single value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

log = logging.getLogger(__name__)

KEY_ENV = "EGK_PSEUDONYM_KEY"
KEY_FILE_ENV = "EGK_PSEUDONYM_KEY_FILE"
# Used only when no key is configured: pseudonyms made with it are NOT protected.
DEVELOPMENT_KEY = b"egenkontroll-development-key-NOT-FOR-REAL-DATA"
PSEUDONYM_HEX_CHARS = 32

REASON_FORMAT = "ogiltigt personnummer (fel format)"
REASON_CHECKSUM = "ogiltigt personnummer (kontrollsiffran stämmer inte)"
REASON_DATE = "ogiltigt personnummer (födelsedatumet finns inte)"
REASON_RESERVE = "ogiltigt reservnummer (inget efter R:)"
REASON_MISSING = "personnummer saknas"

KINDS = ("personnummer", "samordningsnummer", "reservnummer")

# century?, YYMMDD, separator?, NNNC
_NUMBER = r"^([0-9]{2})?([0-9]{6})([-+]?)([0-9]{4})$"
# Written for both Python `re` and polars (Rust regex, no look-around): the neighbouring
# character is captured and put back, so two passes catch numbers one character apart.
_MASKABLE = r"(^|[^0-9])([0-9]{6}(?:[0-9]{2})?)[-+]?[0-9]{4}([^0-9]|$)"
_RESERVE_IN_TEXT = r"(^|[^A-Za-z0-9])[Rr]:\S*"

PARSED_SCHEMA = {
    "value": pl.Utf8,
    "canonical": pl.Utf8,
    "kind": pl.Utf8,
    "birth_date": pl.Date,
    "gender": pl.Utf8,
    "error": pl.Utf8,
}


class InvalidIdentity(ValueError):
    """An identity number that cannot be accepted; `reason` is Swedish and never holds the number."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Identity:
    canonical: str
    kind: str
    birth_date: dt.date | None
    gender: str


def parse_identity(value: str | None, reference_date: dt.date | None = None) -> Identity:
    """Validate one identity number; raise `InvalidIdentity` with a Swedish reason."""
    row = parse_identities(pl.Series([value], dtype=pl.Utf8), reference_date).row(0, named=True)
    if row["error"] is not None:
        raise InvalidIdentity(row["error"])
    return Identity(row["canonical"], row["kind"], row["birth_date"], row["gender"])


def identity_or_none(value: str | None, reference_date: dt.date | None = None) -> Identity | None:
    """Like `parse_identity`, but None for anything that is not a valid identity number."""
    try:
        return parse_identity(value, reference_date)
    except InvalidIdentity:
        return None


def parse_identities(values: pl.Series, reference_date: dt.date | None = None) -> pl.DataFrame:
    """Validate a column of identity numbers at once, one output row per input row.

    Columns: value (as given), canonical, kind, birth_date, gender, error (Swedish reason, or
    null when valid; canonical/kind/birth_date/gender are null when invalid). Call it on
    distinct values and join back when the column is long and repetitive.
    """
    ref = reference_date or dt.date.today()
    col = pl.col
    staged = (
        pl.DataFrame({"value": values.cast(pl.Utf8)})
        .with_columns(text=col("value").str.strip_chars())
        .with_columns(
            reserve=col("text").str.to_uppercase().str.starts_with("R:"),
            reserve_rest=col("text").str.slice(2).str.strip_chars(),
            groups=col("text").str.extract_groups(_NUMBER),
        )
        .with_columns(
            century=col("groups").struct.field("1"),
            yymmdd=col("groups").struct.field("2"),
            sep=col("groups").struct.field("3"),
            tail=col("groups").struct.field("4"),
        )
        .with_columns(
            yy=col("yymmdd").str.slice(0, 2).cast(pl.Int32),
            mm=col("yymmdd").str.slice(2, 2).cast(pl.Int32),
            dd=col("yymmdd").str.slice(4, 2).cast(pl.Int32),
        )
        .with_columns(day=pl.when(col("dd") > 60).then(col("dd") - 60).otherwise(col("dd")))
        .with_columns(
            year=pl.when(col("century").is_not_null())
            .then((col("century") + col("yymmdd").str.slice(0, 2)).cast(pl.Int32))
            .otherwise(_year_from_short(ref))
        )
        .with_columns(
            birth=(col("year") * 10000 + col("mm") * 100 + col("day"))
            .cast(pl.Utf8).str.zfill(8).str.to_date("%Y%m%d", strict=False),
            luhn_ok=_luhn_ok(col("yymmdd") + col("tail")),
        )
        .with_columns(error=_error())
    )
    ok = col("error").is_null()
    return staged.select(
        "value",
        canonical=pl.when(ok & col("reserve")).then("R:" + col("reserve_rest")).when(ok).then(
            col("year").cast(pl.Utf8).str.zfill(4) + col("yymmdd").str.slice(2) + col("tail")
        ),
        kind=pl.when(~ok).then(None)
        .when(col("reserve")).then(pl.lit("reservnummer"))
        .when(col("dd") > 60).then(pl.lit("samordningsnummer"))
        .otherwise(pl.lit("personnummer")),
        birth_date=pl.when(ok & ~col("reserve")).then(col("birth")),
        gender=pl.when(~ok).then(None)
        .when(col("reserve")).then(pl.lit("U"))
        .when(col("tail").str.slice(2, 1).cast(pl.Int32) % 2 == 1).then(pl.lit("M"))
        .otherwise(pl.lit("F")),
        error="error",
    ).cast(PARSED_SCHEMA)


def _error() -> pl.Expr:
    """The first problem found, as a Swedish reason; null for a valid number."""
    col = pl.col
    return (
        pl.when(col("text").is_null() | (col("text") == "")).then(pl.lit(REASON_MISSING))
        .when(col("reserve") & (col("reserve_rest") == "")).then(pl.lit(REASON_RESERVE))
        .when(col("reserve")).then(None)
        .when(col("yymmdd").is_null() | (col("century").is_not_null() & (col("sep") == "+")))
        .then(pl.lit(REASON_FORMAT))
        .when(~col("luhn_ok")).then(pl.lit(REASON_CHECKSUM))
        .when(col("birth").is_null()).then(pl.lit(REASON_DATE))
        .otherwise(None)
    )


def _year_from_short(ref: dt.date) -> pl.Expr:
    """The latest century that does not put the birth after `ref`; '+' goes 100 years further back."""
    yy, mm, day, sep = pl.col("yy"), pl.col("mm"), pl.col("day"), pl.col("sep")
    ref_yy = ref.year % 100
    in_future = (yy > ref_yy) | ((yy == ref_yy) & (mm * 100 + day > ref.month * 100 + ref.day))
    year = ref.year - ref_yy + yy
    return year - pl.when(in_future).then(100).otherwise(0) - pl.when(sep == "+").then(100).otherwise(0)


def _luhn_ok(digits10: pl.Expr) -> pl.Expr:
    """Luhn check over the 10-digit form: digits at even positions doubled (digit sum)."""
    total = pl.lit(0, dtype=pl.Int32)
    for i in range(10):
        d = digits10.str.slice(i, 1).cast(pl.Int32)
        total = total + (d if i % 2 else (d * 2) // 10 + (d * 2) % 10)
    return (total % 10) == 0


class Pseudonymizer:
    """Keyed pseudonyms: HMAC-SHA256 over the canonical form, first 32 hex digits."""

    def __init__(self, key: bytes):
        if not key:
            raise ValueError("pseudonymnyckeln är tom")
        self._hmac = hmac.new(bytes(key), digestmod=hashlib.sha256)  # keyed once, copied per value

    def __repr__(self) -> str:
        return "Pseudonymizer(<key hidden>)"

    def pseudonym(self, canonical: str) -> str:
        """The pseudonym of one canonical identity (see `Identity.canonical`)."""
        mac = self._hmac.copy()
        mac.update(canonical.encode("utf-8"))
        return mac.hexdigest()[:PSEUDONYM_HEX_CHARS]

    def person_key(self, value: str, reference_date: dt.date | None = None) -> str:
        """Validate any accepted form and return its pseudonym (raises `InvalidIdentity`)."""
        return self.pseudonym(parse_identity(value, reference_date).canonical)

    def pseudonymize(self, canonicals: pl.Series) -> pl.Series:
        """Pseudonymise a column of canonical forms: each distinct value is hashed once."""
        distinct = canonicals.drop_nulls().unique()
        hashed = pl.Series([self.pseudonym(v) for v in distinct], dtype=pl.Utf8)
        return canonicals.replace_strict(distinct, hashed, default=None, return_dtype=pl.Utf8)


def identify(values: pl.Series, pseudonymizer: Pseudonymizer, reference_date: dt.date | None = None) -> pl.DataFrame:
    """Validate and pseudonymise a long column, working on its distinct values only.

    Returns one row per input row: person_key, birth_date, gender, error (the number itself
    is not in the result).
    """
    parsed = parse_identities(values.unique(), reference_date)
    parsed = parsed.with_columns(person_key=pseudonymizer.pseudonymize(parsed["canonical"]))
    return (
        pl.DataFrame({"value": values.cast(pl.Utf8)})
        .join(parsed, on="value", how="left", nulls_equal=True, maintain_order="left")
        .select("person_key", "birth_date", "gender", "error")
    )


def mask(value: str | None) -> str | None:
    """Hide the personal part of anything in `value` that looks like an identity number.

    `20150312-1234`, `201503121234` -> `20150312-****`; `150312+1234` -> `150312-****`;
    `R:anything` -> `R:****`. Other text is returned unchanged.
    """
    if value is None:
        return None
    for _ in range(2):
        value = re.sub(_MASKABLE, r"\1\2-****\3", value)
    return re.sub(_RESERVE_IN_TEXT, r"\1R:****", value)


def mask_expr(value: pl.Expr) -> pl.Expr:
    """`mask` as a polars expression, for whole columns."""
    for _ in range(2):
        value = value.str.replace_all(_MASKABLE, "${1}${2}-****${3}")
    return value.str.replace_all(_RESERVE_IN_TEXT, "${1}R:****")


def mask_identity_expr(value: pl.Expr) -> pl.Expr:
    """Mask a value that was given as an identity number, even a malformed one.

    Only a leading birth date (6 or 8 digits) survives; everything else becomes `****`.
    """
    text = value.str.strip_chars()
    head = text.str.extract(r"^((?:19|20)[0-9]{6}|[0-9]{6})", 1)
    return (
        pl.when(text.is_null()).then(None)
        .when(text.str.to_uppercase().str.starts_with("R:")).then(pl.lit("R:****"))
        .when(head.is_not_null()).then(head + "-****")
        .otherwise(pl.lit("****"))
    )


def load_key(environ: Mapping[str, str] | None = None) -> bytes:
    """The pseudonym key from EGK_PSEUDONYM_KEY or the file named by EGK_PSEUDONYM_KEY_FILE.

    A value of only hex digits (even length) is read as hex, anything else as UTF-8 text;
    a key file is read the same way after trailing whitespace is removed. With neither set,
    DEVELOPMENT_KEY is returned with a warning. The key itself is never logged.
    """
    env = os.environ if environ is None else environ
    direct, path = env.get(KEY_ENV, ""), env.get(KEY_FILE_ENV, "")
    if direct and path:
        raise ValueError(f"ange antingen {KEY_ENV} eller {KEY_FILE_ENV}, inte båda")
    if path:
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise ValueError(f"{KEY_FILE_ENV}: nyckelfilen kan inte läsas ({exc.strerror})") from exc
        return _key_from_bytes(raw.rstrip(), KEY_FILE_ENV)
    if direct:
        return _key_from_bytes(direct.strip().encode("utf-8"), KEY_ENV)
    log.warning(
        "Ingen pseudonymnyckel angiven (%s / %s): utvecklingsnyckeln används, "
        "pseudonymerna skyddar INTE riktiga personnummer.", KEY_ENV, KEY_FILE_ENV,
    )
    return DEVELOPMENT_KEY


def _key_from_bytes(raw: bytes, source: str) -> bytes:
    if not raw:
        raise ValueError(f"{source}: nyckeln är tom")
    if re.fullmatch(rb"(?:[0-9a-fA-F]{2})+", raw):
        raw = bytes.fromhex(raw.decode("ascii"))
    if len(raw) < 16:
        log.warning("%s: nyckeln är kortare än 16 byte; använd minst 32 slumpmässiga byte.", source)
    return raw
