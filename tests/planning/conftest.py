"""The page tests' municipality (tests/overview/municipality.py), its users and fixed day, for the planning page."""

from tests.overview.conftest import (  # noqa: F401  (fixtures)
    fast_password_hasher,
    fixed_day,
    fresh_snapshot,
    login,
    municipality,
)
