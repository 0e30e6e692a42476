"""Test-wide set-up.

The suite runs twice under `python3 run.py test`: first on SQLite, then every test that
touches the database (marked `db` automatically) again on PostgreSQL, selected by
DATABASE_URL in the second pass (Django creates `test_<name>` there).
"""

from __future__ import annotations

import pytest

DB_FIXTURES = {"db", "transactional_db", "django_db_setup", "django_db_blocker", "live_server"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.db)
