"""Test-wide set-up.

The suite runs twice under `python3 run.py test`: first on SQLite, then every test that
touches the database (marked `db` automatically) again on PostgreSQL, selected by
DATABASE_URL in the second pass (Django creates `test_<name>` there).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# Properties are checked, not timings: a loaded CI machine must not fail a test on Hypothesis's
# 200 ms per-example deadline (performance targets live in bench/, never in timed tests).
settings.register_profile("egenkontroll", deadline=None)
settings.load_profile("egenkontroll")

# Fixtures that really open the test database. (django_db_blocker is not one: pytest-django's
# autouse fixtures request it for every test.)
DB_FIXTURES = {
    "db", "transactional_db", "live_server", "django_db_reset_sequences", "django_db_serialized_rollback",
    "admin_user", "admin_client", "django_user_model",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.db)


@pytest.fixture(autouse=True)
def _environment_restored():
    """Every test ends with the process environment it began with. Commands run in-process
    (typer's CliRunner) set variables as they do for their own process — `serve` sets
    EGK_PAGE_WAIT_SECONDS and DATABASE_URL, `demo` EGK_DATA_DIR — which would otherwise stay set
    for whatever test runs next in the same process: pages then answered "räknas fram" and a
    reader subprocess inherited another's settings, depending on the order the tests ran in."""
    saved = dict(os.environ)
    yield
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(autouse=True, scope="session")
def _second_factor_not_required():
    """Most tests log users in with `force_login`, which passes no second factor: they test what a
    signed-in user may see. The second factor itself is tested with EGK_MFA_REQUIRED on, in
    tests/signin/ (the production default is on). Once per session: core tests pay nothing."""
    from django.test import override_settings

    with override_settings(EGK_MFA_REQUIRED=False):
        yield


@pytest.fixture(autouse=True, scope="session")
def _collected_static(tmp_path_factory):
    """The static files collected once per session, as `demo`, `serve` and deploy do: the pages
    link content-hashed names from the manifest (issue 19), which exists only after collectstatic.
    Into a session folder, never into the checkout's var/."""
    from django.core.management import call_command
    from django.test import override_settings

    with override_settings(STATIC_ROOT=tmp_path_factory.mktemp("static")):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield


@pytest.fixture(autouse=True, scope="session")
def _static_through_whitenoise():
    """Every live server (the browser tests', the sign-in tests') hands /static/ to the app, so
    WhiteNoise serves the collected, content-hashed files with their cache headers, as in
    production. pytest-django's live server would otherwise look every static path up with the
    finders, which know no hashed names: a page's style sheet and scripts would be 404. Here, not
    in tests/browser/: a session fixture of one folder stays on for whatever runs after it, so a
    sign-in test passed after a browser test and failed alone or first (as under pytest-xdist)."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(StaticFilesHandler, "_should_handle", lambda self, path: False)
        yield
