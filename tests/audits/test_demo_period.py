"""The demo audit's period: the last full half-year before the latest event's month."""

from __future__ import annotations

import datetime as dt

import pytest

from egenkontroll.audits.demo import demo_period


@pytest.mark.parametrize(
    ("last_event", "expected"),
    [
        (dt.date(2026, 11, 21), (dt.date(2026, 5, 1), dt.date(2026, 10, 31))),
        (dt.date(2026, 1, 3), (dt.date(2025, 7, 1), dt.date(2025, 12, 31))),
        (dt.date(2024, 3, 1), (dt.date(2023, 9, 1), dt.date(2024, 2, 29))),
    ],
)
def test_demo_period(last_event, expected):
    assert demo_period(last_event) == expected
