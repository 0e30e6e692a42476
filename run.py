#!/usr/bin/env python3
"""One entry point that works on a fresh machine with only Python 3.11+.

    python3 run.py demo      set up, generate a synthetic municipality, serve it on localhost
    python3 run.py test      set up, then run ruff and the whole test suite (SQLite, then PostgreSQL)

Why a script and not a Makefile: municipal machines and CI have Python, not always make.
It creates `.venv` beside this file, installs the package when `pyproject.toml` changed — for
`demo` only what serving needs, for `test` with the dev extras (tests and benchmarks) — and
hands over to the real tools. It uses only the standard library.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
CHROMIUM = Path("/usr/bin/chromium")
PG_URL = os.environ.get("EGK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def say(msg: str) -> None:
    print(f"[run.py] {msg}", flush=True)


def sh(*args: str | Path, check: bool = True, env: dict | None = None) -> int:
    proc = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)  # noqa: S603
    if check and proc.returncode != 0:
        sys.exit(proc.returncode)
    return proc.returncode


# What each mode installs: serving needs the package alone; testing the dev extras too.
INSTALL = {"serve": ".", "dev": ".[dev]"}


def ensure_venv(mode: str = "dev") -> None:
    """Create the virtualenv and (re)install when pyproject.toml changed since the last install.

    `mode` "serve" installs what serving needs; "dev" adds the test and benchmark extras. A venv
    installed for dev serves too, so `demo` after `test` installs nothing.
    """
    if not PY.exists():
        say("creating .venv")
        sh(sys.executable, "-m", "venv", VENV)
    stamp = VENV / ".egk-installed"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    enough = {f"{digest}:{mode}", f"{digest}:dev"}
    if stamp.exists() and stamp.read_text() in enough:
        return
    say(f"installing egenkontroll ({'with the test and benchmark extras' if mode == 'dev' else 'to serve'}) into .venv")
    sh(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    sh(PY, "-m", "pip", "install", "--quiet", "-e", INSTALL[mode])
    stamp.write_text(f"{digest}:{mode}")


# What the tests drive from Debian's packages, never a downloaded build: program → package.
DEBIAN_TOOLS = {
    CHROMIUM: "chromium",
    Path("/usr/sbin/nginx"): "nginx",
    Path("/usr/bin/pdftotext"): "poppler-utils",  # the report tests read PDFs as laid out
    Path("/usr/bin/npm"): "npm",  # fetches axe-core (the accessibility checker) from the npm registry
    Path("/usr/bin/xmlsec1"): "xmlsec1",  # SAML sign-in: pysaml2 checks signatures with it
}
AXE_VERSION = "4.10.3"  # the same version as tests/browser/conftest.py
AXE_CACHE = ROOT / ".pytest_cache" / "axe-core" / AXE_VERSION


def ensure_debian_tools() -> None:
    """Browser tests drive Debian's Chromium, deployment tests its nginx, PDF tests its poppler,
    npm packs axe-core, SAML tests its xmlsec1; installed as root."""
    missing = [package for program, package in DEBIAN_TOOLS.items() if not program.exists()]
    if missing and shutil.which("apt-get") and os.geteuid() == 0:
        say(f"installing Debian's {', '.join(missing)} for the tests")
        subprocess.run(["apt-get", "update", "-qq"], check=False)  # noqa: S607
        subprocess.run(  # noqa: S603
            ["apt-get", "install", "-y", "-qq", *missing],  # noqa: S607
            check=False,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    for program, package in DEBIAN_TOOLS.items():
        if not program.exists():
            say(f"{package} is not installed: its tests will be skipped with a reason (failed under CI=true)")
    ensure_axe()


def ensure_axe() -> None:
    """axe.min.js of axe-core, packed by npm from the registry (never a CDN), kept out of git."""
    target = AXE_CACHE / "axe.min.js"
    npm = shutil.which("npm")
    if target.is_file() or npm is None:
        return
    import tarfile

    AXE_CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603
        [npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", str(AXE_CACHE), "--silent"],
        check=False, capture_output=True, timeout=300,
    )
    for tarball in AXE_CACHE.glob("axe-core-*.tgz"):
        with tarfile.open(tarball) as archive:
            target.write_bytes(archive.extractfile(archive.getmember("package/axe.min.js")).read())


def postgres_reachable() -> bool:
    code = (
        "import psycopg,sys\n"
        f"try:\n psycopg.connect({PG_URL!r}, connect_timeout=3).close()\n"
        "except Exception as e:\n print(e); sys.exit(1)\n"
    )
    return subprocess.run([str(PY), "-c", code], capture_output=True).returncode == 0  # noqa: S603


def ensure_postgres() -> bool:
    """Start the local PostgreSQL cluster if it is installed but stopped."""
    if postgres_reachable():
        return True
    clusters = Path("/etc/postgresql")
    if clusters.is_dir() and shutil.which("pg_ctlcluster"):
        for version in sorted(p.name for p in clusters.iterdir()):
            say(f"starting PostgreSQL {version}/main")
            subprocess.run(  # noqa: S603
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],  # noqa: S607
                check=False,
            )
        for _ in range(20):
            if postgres_reachable():
                return True
            time.sleep(0.5)
    return False


# Each pass in as many worker processes as the machine has cores (pytest-xdist; work-stealing,
# since a few tests take half a minute and most a fraction of a second). The tests are
# independent: each has its own transaction or database, temporary folders and free ports.
PARALLEL = ("-n", "auto", "--dist", "worksteal")


def cmd_test(extra: list[str]) -> None:
    ensure_venv("dev")
    ensure_debian_tools()
    sh(BIN / "ruff", "check", "src", "tests", "bench", "run.py")
    # PostgreSQL before pass 1 too: the commands' tests run against both databases there
    postgres = ensure_postgres()
    if not postgres and os.environ.get("CI") == "true":
        say("PostgreSQL could not be reached or started: CI must test it, so this run fails")
        sys.exit(1)
    say("pass 1: the whole suite on SQLite (and the commands' tests on PostgreSQL too)")
    env = {**os.environ}
    env.pop("DATABASE_URL", None)
    sh(PY, "-m", "pytest", *PARALLEL, *extra, env=env)
    if postgres:
        # Not the browser tests: they drive the same pages the database tests request, and what
        # they add (drawing, keyboard, axe) does not depend on the database. Nor the tests marked
        # `postgres`: they ran on PostgreSQL in pass 1.
        say("pass 2: every database test again on PostgreSQL")
        env["DATABASE_URL"] = PG_URL
        sh(PY, "-m", "pytest", *PARALLEL, "-m", "db and not browser", *extra, env=env)
    else:
        say("SKIPPED PostgreSQL pass: no server could be reached or started on 127.0.0.1:5432")


def cmd_demo(extra: list[str]) -> None:
    ensure_venv("serve")
    os.execv(BIN / "egenkontroll", [str(BIN / "egenkontroll"), "demo", *extra])  # noqa: S606


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"demo", "test"}:
        print(__doc__)
        sys.exit(2)
    {"demo": cmd_demo, "test": cmd_test}[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
