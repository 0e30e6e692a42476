"""Real identity providers on 127.0.0.1 for the sign-in tests, one process per test session.

- OpenID Connect: panva's `oidc-provider` (OpenID Certified) from the npm registry, run by
  Debian's Node.js (`tests/signin/oidc_provider.mjs`). The package is installed once with npm
  into `.cache/npm/` of the repository (git-ignored), pinned to OIDC_PROVIDER_VERSION.
- SAML 2.0: a pysaml2 IdP (`tests/signin/saml_idp.py`) in a subprocess, with xmlsec1 from Debian.

Where Node.js, npm or xmlsec1 is missing the tests are skipped with the reason, except under
CI=true, where that is a failure (run.py installs xmlsec1 as it does chromium).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
OIDC_PROVIDER_VERSION = "9.13.3"
NPM_CACHE = ROOT / ".cache" / "npm" / f"oidc-provider-{OIDC_PROVIDER_VERSION}"
STARTUP_SECONDS = 60

CLIENT_ID = "egenkontroll"
CLIENT_SECRET = "test-hemlighet-som-bara-finns-i-testerna"  # noqa: S105
# The provider's users: the username claim, e-mail and the groups claim (Entra ID style names).
OIDC_USERS = {
    "sara.sso": {"preferred_username": "sara.sso", "email": "sara@kommun.example", "name": "Sara Sso",
                 "groups": ["sg-egk-enhetschef-e1", "sg-alla-anstallda"]},
}


def unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: inloggningstesterna måste köras)")
    pytest.skip(reason)


def _read_ready(process: subprocess.Popen, what: str) -> str:
    """The first line the provider prints ("READY <url>"), or fail with what it wrote instead."""
    found: list[str] = []

    def read():
        found.append(process.stdout.readline())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(STARTUP_SECONDS)
    line = found[0] if found else ""
    if not line.startswith("READY "):
        process.kill()
        err = process.stderr.read()[-800:] if process.stderr else ""
        pytest.fail(f"{what} startade inte: {line!r} {err}")
    return line.split(" ", 1)[1].strip()


def install_oidc_provider() -> Path:
    """The oidc-provider package under .cache/npm (npm install once; later runs reuse it).

    Under a lock: the suite runs in two worker processes (pytest-xdist, run.py), and two npm
    installs into one folder at once would break each other."""
    entry = NPM_CACHE / "node_modules" / "oidc-provider" / "lib" / "index.js"
    if entry.is_file():
        return entry
    NPM_CACHE.parent.mkdir(parents=True, exist_ok=True)
    with open(NPM_CACHE.parent / f"{NPM_CACHE.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return entry if entry.is_file() else _npm_install(entry)


def _npm_install(entry: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        unavailable("npm saknas: oidc-provider kan inte installeras från npm-registret")
    NPM_CACHE.mkdir(parents=True, exist_ok=True)
    (NPM_CACHE / "package.json").write_text('{"private": true}\n')
    result = subprocess.run(  # noqa: S603
        [npm, "install", "--no-audit", "--no-fund", "--silent", f"oidc-provider@{OIDC_PROVIDER_VERSION}"],
        cwd=NPM_CACHE, capture_output=True, text=True, timeout=300,
    )
    if result.returncode != 0 or not entry.is_file():
        unavailable(f"oidc-provider kunde inte installeras med npm: {result.stderr.strip()[:300]}")
    return entry


@dataclass(frozen=True)
class OIDCProvider:
    issuer: str

    def settings(self) -> dict:
        """The Django settings an installation would get from the EGK_OIDC_* variables."""
        return {
            "OIDC_ENABLED": True,
            "OIDC_RP_CLIENT_ID": CLIENT_ID,
            "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_RP_SIGN_ALGO": "RS256",
            "OIDC_OP_ISSUER": self.issuer,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{self.issuer}/auth",
            "OIDC_OP_TOKEN_ENDPOINT": f"{self.issuer}/token",
            "OIDC_OP_USER_ENDPOINT": f"{self.issuer}/me",
            "OIDC_OP_JWKS_ENDPOINT": f"{self.issuer}/jwks",
            "OIDC_OP_END_SESSION_ENDPOINT": f"{self.issuer}/session/end",
            "OIDC_RP_SCOPES": "openid email profile groups",
        }


def start_oidc_provider(base_url: str):
    """Start oidc_provider.mjs for the relying party at `base_url`; yields the provider."""
    node = shutil.which("node") or "/usr/bin/node"
    if not Path(node).exists():
        unavailable("Node.js saknas: installera Debians nodejs för OIDC-testerna")
    entry = install_oidc_provider()
    config = {
        "module": entry.as_uri(),
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [f"{base_url}/oidc/callback/"],
        "post_logout_redirect_uris": [f"{base_url}/login/"],
        "users": OIDC_USERS,
    }
    process = subprocess.Popen(  # noqa: S603
        [node, str(HERE / "oidc_provider.mjs"), json.dumps(config)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        yield OIDCProvider(_read_ready(process, "oidc-provider"))
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass(frozen=True)
class SAMLIdP:
    url: str
    metadata_file: Path


def start_saml_idp(sp_metadata: Path, workdir: Path):
    """Start the pysaml2 IdP trusting the SP described by `sp_metadata`; yields the IdP."""
    if shutil.which("xmlsec1") is None:
        unavailable("xmlsec1 saknas: installera Debians xmlsec1 (apt-get install xmlsec1) för SAML-testerna")
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, str(HERE / "saml_idp.py"), str(sp_metadata), str(workdir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])},
    )
    try:
        url = _read_ready(process, "pysaml2-IdP")
        yield SAMLIdP(url, workdir / "idp-metadata.xml")
    finally:
        process.terminate()
        process.wait(timeout=10)
