"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Never a downloaded browser: /usr/bin/chromium (`apt-get install chromium`, run.py does it as
root). Without it the tests are skipped with the reason, except under CI=true, where a missing
browser is a failure. axe-core (the accessibility checker) is fetched once from the npm registry
(`npm pack axe-core`) into .pytest_cache and never committed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from egenkontroll.access.models import RoleAssignment
from egenkontroll.cases.importer import run_import
from tests.browser.accesscity import access_city  # noqa: F401  (every role, for the axe and issue-13 tests)
from tests.cases.factory import write_dataset
from tests.overview import municipality as M
from tests.overview.conftest import (  # the page tests' autouse fixtures apply here too
    KEY,
    PASSWORD,
    USERS,
    fast_password_hasher,  # noqa: F401
    fixed_day,  # noqa: F401
    fresh_snapshot,  # noqa: F401
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
AXE_VERSION = "4.10.3"
CACHE = Path(__file__).resolve().parents[2] / ".pytest_cache" / "axe-core" / AXE_VERSION


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} saknas: installera Debians chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread while the browser is open; the
    # database set-up and the test bodies use the ORM synchronously beside it.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe.min.js of axe-core, from the npm registry once, kept under .pytest_cache."""
    target = CACHE / "axe.min.js"
    if target.is_file():
        return target
    npm = shutil.which("npm")
    if npm is None:
        _unavailable("npm saknas: axe-core kan inte hämtas från npm-registret")
    CACHE.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(  # noqa: S603
        [npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", str(CACHE), "--silent"],
        capture_output=True, text=True, timeout=120,
    )
    tarballs = list(CACHE.glob("axe-core-*.tgz"))
    if result.returncode != 0 or not tarballs:
        _unavailable(f"axe-core kunde inte hämtas med npm pack: {result.stderr.strip()[:200]}")
    with tarfile.open(tarballs[0]) as archive:
        member = archive.getmember("package/axe.min.js")
        target.write_bytes(archive.extractfile(member).read())
    return target


@pytest.fixture
def city(transactional_db, tmp_path, monkeypatch):
    """The hand-computed municipality of tests/overview, imported where the live server sees it."""
    monkeypatch.setenv("EGK_PSEUDONYM_KEY", KEY)
    monkeypatch.delenv("EGK_PSEUDONYM_KEY_FILE", raising=False)
    run_import(write_dataset(tmp_path / "data", M.events(), org_units=M.ORG_UNITS, caseworkers=M.CASEWORKERS))
    users = get_user_model()
    for username, (role, unit_id, caseworker_id) in USERS.items():
        user = users.objects.create_user(username, password=PASSWORD)
        RoleAssignment.objects.create(user=user, role=role, unit_id=unit_id, caseworker_id=caseworker_id)


@pytest.fixture
def page(browser, live_server, city):
    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
    tab.base = live_server.url
    yield tab
    context.close()


def log_in(page, username: str) -> None:
    page.goto(page.base + "/login/")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_load_state("networkidle")
