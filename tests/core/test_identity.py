"""Identity numbers: forms, century, samordningsnummer, reserve numbers, pseudonyms, masking, keys.

All personnummer here are built by `pnr` with serials 980-999 and a check digit computed by
stdnum's Luhn (independent of the vectorised check under test).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.se import personnummer as stdnum_pnr

from egenkontroll.core.identity import (
    DEVELOPMENT_KEY,
    REASON_CHECKSUM,
    REASON_DATE,
    REASON_FORMAT,
    REASON_MISSING,
    REASON_RESERVE,
    Identity,
    InvalidIdentity,
    Pseudonymizer,
    identify,
    identity_or_none,
    load_key,
    mask,
    mask_expr,
    mask_identity_expr,
    parse_identities,
    parse_identity,
)

REF = dt.date(2025, 6, 1)


def pnr(yyyymmdd: str, serial: str = "982") -> str:
    """A valid-checksum number `YYYYMMDD-NNNC` (use serials 98x/99x: fictitious-safe)."""
    check = luhn.calc_check_digit(yyyymmdd[2:] + serial)
    return f"{yyyymmdd}-{serial}{check}"


def test_pnr_helper_matches_known_number():
    # stdnum's own doctest number, built the same way.
    assert pnr("19880320", "001") == "19880320-0016"


@pytest.mark.parametrize("form", ["20150312-9825", "201503129825", "150312-9825", "1503129825", " 20150312-9825 "])
def test_all_forms_give_the_same_canonical_identity(form):
    assert pnr("20150312") == "20150312-9825"
    assert parse_identity(form, REF) == Identity("201503129825", "personnummer", dt.date(2015, 3, 12), "F")


def test_gender_from_second_to_last_digit():
    assert parse_identity(pnr("20150312", "991"), REF).gender == "M"  # 1 odd
    assert parse_identity(pnr("20150312", "982"), REF).gender == "F"  # 2 even
    assert parse_identity(pnr("20150312", "999"), REF).gender == "M"
    assert parse_identity(pnr("20150312", "980"), REF).gender == "F"


@pytest.mark.parametrize(
    ("reference", "year"),
    [
        (dt.date(2025, 6, 1), 2015),
        (dt.date(2015, 3, 12), 2015),  # born on the reference date: not in the future
        (dt.date(2015, 3, 11), 1915),  # one day later would be in the future
        (dt.date(2014, 12, 31), 1915),
    ],
)
def test_short_form_takes_latest_century_not_in_the_future(reference, year):
    assert parse_identity("150312-9825", reference).birth_date == dt.date(year, 3, 12)
    assert parse_identity("150312-9825", reference).canonical == f"{year}03129825"


def test_plus_separator_means_a_hundred_years_older():
    assert parse_identity("150312+9825", REF).birth_date == dt.date(1915, 3, 12)
    assert parse_identity("150312+9825", REF).canonical == "191503129825"
    assert parse_identity("150312+9825", dt.date(2015, 3, 11)).birth_date == dt.date(1815, 3, 12)


def test_reference_date_defaults_to_today():
    today = dt.date.today()
    yy = f"{today.year % 100:02d}"
    number = pnr(f"{today.year}0101")[2:]
    assert number.startswith(yy)
    assert parse_identity(number).birth_date == dt.date(today.year, 1, 1)


def test_samordningsnummer_day_plus_sixty():
    number = pnr("20180575", "986")  # born 2018-05-15
    identity = parse_identity(number, REF)
    assert identity == Identity("201805759865", "samordningsnummer", dt.date(2018, 5, 15), "F")
    assert parse_identity("180575-9865", REF) == identity
    # stdnum's personnummer module refuses samordningsnummer, hence our own date handling.
    assert not stdnum_pnr.is_valid(number)


def test_samordningsnummer_and_personnummer_with_same_digits_are_different_people():
    assert parse_identity(pnr("20180515"), REF).canonical != parse_identity(pnr("20180575"), REF).canonical


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("20150312-9826", REASON_CHECKSUM),
        ("150312-9824", REASON_CHECKSUM),
        (pnr("20150230"), REASON_DATE),  # 30 February
        (pnr("20130229"), REASON_DATE),  # not a leap year
        (pnr("20151301"), REASON_DATE),  # month 13
        (pnr("20150392"), REASON_DATE),  # samordningsnummer day 32
        (pnr("20150300"), REASON_DATE),  # day 0
        ("2015-03-12", REASON_FORMAT),
        ("abc", REASON_FORMAT),
        ("20150312-98251", REASON_FORMAT),
        ("20150312+9825", REASON_FORMAT),  # '+' only in the 10-digit form
        ("150312--9825", REASON_FORMAT),
        ("150312 9825", REASON_FORMAT),
        ("R:", REASON_RESERVE),
        ("R:   ", REASON_RESERVE),
        ("", REASON_MISSING),
        (None, REASON_MISSING),
    ],
)
def test_invalid_numbers_have_a_swedish_reason(value, reason):
    with pytest.raises(InvalidIdentity) as err:
        parse_identity(value, REF)
    assert err.value.reason == reason
    assert identity_or_none(value, REF) is None


def test_leap_day_is_valid():
    assert parse_identity(pnr("20120229", "993"), REF).birth_date == dt.date(2012, 2, 29)


def test_reserve_numbers():
    identity = parse_identity("  R: MIG-2023-0042 ", REF)
    assert identity == Identity("R:MIG-2023-0042", "reservnummer", None, "U")
    assert parse_identity("r:MIG-2023-0042", REF).canonical == "R:MIG-2023-0042"


def test_vectorised_parse_keeps_input_order_and_nulls():
    values = pl.Series(["R:a", None, pnr("20150312", "991"), "bad"])
    result = parse_identities(values, REF)
    assert result.columns == ["value", "canonical", "kind", "birth_date", "gender", "error"]
    assert result["canonical"].to_list() == ["R:a", None, "201503129916", None]
    assert result["gender"].to_list() == ["U", None, "M", None]
    assert result["error"].to_list() == [None, REASON_MISSING, None, REASON_FORMAT]


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 6, 1)), st.integers(0, 999))
def test_valid_numbers_agree_with_stdnum(birth, serial):
    number = pnr(birth.strftime("%Y%m%d"), f"{serial:03d}")
    identity = parse_identity(number, REF)
    assert identity.birth_date == stdnum_pnr.get_birth_date(number) == birth
    assert identity.gender == stdnum_pnr.get_gender(number)


@given(st.from_regex(r"\A(19|20)\d{6}-?\d{4}\Z"))
def test_validity_agrees_with_stdnum_for_ordinary_numbers(number):
    if int(number[6:8]) > 60:  # samordningsnummer: stdnum does not know them
        return
    assert (identity_or_none(number, REF) is not None) == stdnum_pnr.is_valid(number)


KEY = b"test-key-0123456789abcdef"


def test_pseudonym_is_truncated_hmac_sha256_of_canonical_form():
    expected = hmac.new(KEY, b"201503129825", hashlib.sha256).hexdigest()[:32]
    assert Pseudonymizer(KEY).pseudonym("201503129825") == expected
    assert len(expected) == 32


def test_same_person_in_every_format_gets_the_same_pseudonym():
    pseudonymizer = Pseudonymizer(KEY)
    keys = {pseudonymizer.person_key(v, REF) for v in ("20150312-9825", "201503129825", "150312-9825", "1503129825")}
    assert len(keys) == 1
    assert keys != {pseudonymizer.person_key(pnr("20150312", "991"), REF)}


def test_different_key_gives_different_pseudonym():
    assert Pseudonymizer(KEY).person_key("R:x") != Pseudonymizer(KEY + b"!").person_key("R:x")


def test_pseudonymizer_hides_key_and_refuses_empty_key():
    assert "test-key" not in repr(Pseudonymizer(KEY))
    with pytest.raises(ValueError):
        Pseudonymizer(b"")


def test_column_pseudonymisation_matches_scalar():
    pseudonymizer = Pseudonymizer(KEY)
    column = pl.Series(["R:a", "201503129825", None, "R:a"])
    assert pseudonymizer.pseudonymize(column).to_list() == [
        pseudonymizer.pseudonym("R:a"), pseudonymizer.pseudonym("201503129825"), None, pseudonymizer.pseudonym("R:a"),
    ]


def test_identify_aligns_rows_and_drops_the_number():
    pseudonymizer = Pseudonymizer(KEY)
    values = pl.Series(["150312-9825", "junk", "20150312-9825", None])
    result = identify(values, pseudonymizer, REF)
    assert result.columns == ["person_key", "birth_date", "gender", "error"]
    expected_key = pseudonymizer.pseudonym("201503129825")
    assert result["person_key"].to_list() == [expected_key, None, expected_key, None]
    assert result["birth_date"].to_list() == [dt.date(2015, 3, 12), None, dt.date(2015, 3, 12), None]
    assert result["error"].to_list() == [None, REASON_FORMAT, None, REASON_MISSING]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("20150312-9825", "20150312-****"),
        ("201503129825", "20150312-****"),
        ("150312+9825", "150312-****"),
        ("1503129825", "150312-****"),
        ("R:MIG-2023-0042", "R:****"),
        ("barn 20150312-9825, syskon 150312-9916.", "barn 20150312-****, syskon 150312-****."),
        ("20150312-9825,20150312-9916", "20150312-****,20150312-****"),
        ("e12345", "e12345"),
        ("12345678901", "12345678901"),  # 11 digits: not an identity number
        ("KR:12", "KR:12"),
        ("", ""),
    ],
)
def test_mask(text, masked):
    assert mask(text) == masked
    assert pl.select(mask_expr(pl.lit(text))).item() == masked


def test_mask_none():
    assert mask(None) is None


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("20150312-982", "20150312-****"),  # malformed, still never shows the serial
        ("150312-98251", "150312-****"),
        ("r:x", "R:****"),
        ("abc1234", "****"),
        ("2015", "****"),
    ],
)
def test_mask_identity_value(value, masked):
    assert pl.select(mask_identity_expr(pl.lit(value))).item() == masked


def test_mask_identity_value_keeps_null():
    assert pl.Series([None], dtype=pl.Utf8).to_frame("v").select(mask_identity_expr(pl.col("v"))).item() is None


def test_load_key_from_hex_and_text_env():
    assert load_key({"EGK_PSEUDONYM_KEY": "00ff" * 8}) == bytes.fromhex("00ff" * 8)
    assert load_key({"EGK_PSEUDONYM_KEY": " en lång lösenfras "}) == "en lång lösenfras".encode()


def test_load_key_from_file(tmp_path):
    hex_file = tmp_path / "key.hex"
    hex_file.write_text("ab" * 32 + "\n")
    assert load_key({"EGK_PSEUDONYM_KEY_FILE": str(hex_file)}) == bytes.fromhex("ab" * 32)
    raw_file = tmp_path / "key.bin"
    raw_file.write_bytes(b"\x01\x02zz" * 8)
    assert load_key({"EGK_PSEUDONYM_KEY_FILE": str(raw_file)}) == b"\x01\x02zz" * 8


def test_load_key_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(ValueError, match="tom"):
        load_key({"EGK_PSEUDONYM_KEY_FILE": str(empty)})
    with pytest.raises(ValueError, match="kan inte läsas"):
        load_key({"EGK_PSEUDONYM_KEY_FILE": str(tmp_path / "missing")})
    with pytest.raises(ValueError, match="inte båda"):
        load_key({"EGK_PSEUDONYM_KEY": "x" * 32, "EGK_PSEUDONYM_KEY_FILE": str(empty)})


def test_development_key_with_warning_and_key_never_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="egenkontroll.core.identity"):
        assert load_key({}) == DEVELOPMENT_KEY
        load_key({"EGK_PSEUDONYM_KEY": "hemlig"})  # short: warns, without the key
    assert "utvecklingsnyckeln" in caplog.text
    assert "kortare än 16 byte" in caplog.text
    assert "hemlig" not in caplog.text
