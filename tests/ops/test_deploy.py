"""The shipped deployment files work as shipped: nginx with TLS in front of gunicorn, the systemd
units, and the drop-folder import script (docs/deploy.md).

nginx is Debian's (`python3 run.py test` installs it when it runs as root); without it the nginx
test is skipped with the reason, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.cases.cli import environment
from tests.cases.factory import city, write_dataset

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMMAND = [sys.executable, "-c", "from egenkontroll.cli import main; main()"]
KEYS = {"EGK_SECRET_KEY": "deploy-test-secret-key-0123456789abcdef", "EGK_ACCESS_LOG_KEY": "deploy-test-log-key"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def need(tool: str) -> str:
    found = shutil.which(tool) or (f"/usr/sbin/{tool}" if Path(f"/usr/sbin/{tool}").exists() else None)
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail(f"{tool} must be installed under CI (python3 run.py test installs it as root)")
    pytest.skip(f"{tool} is not installed (Debian package; python3 run.py test installs it as root)")


def render_site(http_port: int, https_port: int, app_port: int, tls: Path) -> str:
    """The shipped site file with only addresses, ports, name and certificate paths changed."""
    text = (DEPLOY / "nginx" / "egenkontroll.conf").read_text()
    changes = {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;\n": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;\n": "",
        "/etc/egenkontroll/tls/fullchain.pem": str(tls / "cert.pem"),
        "/etc/egenkontroll/tls/privkey.pem": str(tls / "key.pem"),
    }
    for old, new in changes.items():
        assert text.count(old) == 1, f"the shipped nginx file changed: {old!r} is not there exactly once"
        text = text.replace(old, new)
    return text.replace("server_name egenkontroll.kommun.se;", "server_name localhost;")


def wait_for(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server stopped: {process.stderr.read() if process.stderr else ''}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port} after {seconds} s")


@pytest.fixture
def stack(tmp_path):
    """gunicorn (egenkontroll serve) on loopback behind the shipped nginx site with a test certificate."""
    nginx = need("nginx")
    tls = tmp_path / "tls"
    tls.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-keyout", tls / "key.pem", "-out", tls / "cert.pem"],
        check=True, capture_output=True,
    )
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    db = f"sqlite:///{tmp_path / 'egk.sqlite3'}"
    env = environment(
        DATABASE_URL=db, EGK_DATA_DIR=str(tmp_path / "data"), EGK_HTTPS="1", EGK_TRUST_PROXY="1",
        EGK_ALLOWED_HOSTS="localhost", EGK_CSRF_TRUSTED_ORIGINS=f"https://localhost:{https_port}",
        EGK_PSEUDONYM_KEY="deploy-test-pseudonym-key", **KEYS,
        # The proxy is under test here; the second factor is signed in through in tests/signin.
        EGK_MFA_REQUIRED="0",
    )
    data = write_dataset(tmp_path / "d", city(3))
    for args, stdin in ((["import", data, "--no-warm-up"], None),
                        (["users", "add", "chef", "--password-stdin"], "Ett-bra-lösenord-2026\n"),
                        (["users", "grant", "chef", "enhetschef", "--unit", "E1"], None)):
        done = subprocess.run([*COMMAND, *map(str, args)], env=env, input=stdin, capture_output=True, text=True,
                              timeout=120, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    app = subprocess.Popen([*COMMAND, "serve", "--port", str(app_port), "--workers", "1", "--no-warm-up"],
                           env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    (prefix / "site.conf").write_text(render_site(http_port, https_port, app_port, tls))
    (prefix / "nginx.conf").write_text(
        f"worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n"
        "events { worker_connections 64; }\n"
        f"http {{\n  access_log {prefix}/access.log;\n"
        + "".join(f"  {kind}_temp_path {prefix}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        + f"  include {prefix}/site.conf;\n}}\n"
    )
    checked = subprocess.run([nginx, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    proxy = subprocess.Popen([nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(app_port, app)
        wait_for(https_port, proxy)
        context = ssl.create_default_context(cafile=str(tls / "cert.pem"))
        yield {"http": http_port, "https": https_port, "context": context}
    finally:
        for process in (proxy, app):
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def request(stack, method, path, body=None, headers=None):
    connection = http.client.HTTPSConnection("localhost", stack["https"], context=stack["context"], timeout=60)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response, response.read()


def test_plain_http_is_sent_to_https(stack):
    connection = http.client.HTTPConnection("127.0.0.1", stack["http"], timeout=30)
    connection.request("GET", "/login/", headers={"Host": "localhost"})
    response = connection.getresponse()
    assert response.status == 301
    assert response.getheader("Location") == "https://localhost/login/"
    assert "nginx/" not in (response.getheader("Server") or "")


def test_sign_in_through_nginx_with_tls_secure_cookies_and_hsts(stack):
    response, body = request(stack, "GET", "/login/")
    assert response.status == 200
    assert response.getheader("Strict-Transport-Security", "").startswith("max-age=")
    cookies = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie"):
        cookies.load(header)
        assert "Secure" in header and "HttpOnly" in header or header.startswith("csrftoken")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    origin = f"https://localhost:{stack['https']}"
    response, _ = request(
        stack, "POST", "/login/",
        body=urlencode({"username": "chef", "password": "Ett-bra-lösenord-2026", "csrfmiddlewaretoken": token}),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Referer": f"{origin}/login/", "Origin": origin,
                 "Cookie": f"csrftoken={cookies['csrftoken'].value}"},
    )
    assert response.status == 302, "sign-in through the proxy failed"
    session = [h for h in response.headers.get_all("Set-Cookie") if h.startswith("egk_session=")]
    assert session and "Secure" in session[0] and "HttpOnly" in session[0]
    cookie = session[0].split(";", 1)[0]
    response, body = request(stack, "GET", "/oversikt/", headers={"Cookie": cookie})
    assert response.status == 200 and b"</html>" in body
    static = re.search(rb'(/static/[^"]+\.css)', body).group(1).decode()
    response, _ = request(stack, "GET", static)
    assert response.status == 200 and "max-age" in (response.getheader("Cache-Control") or "")
    # Content-hashed names (issue 19): browsers keep the file for (at least) a year without asking.
    assert re.search(r"\.[0-9a-f]{12}\.css$", static), static
    cache = response.getheader("Cache-Control") or ""
    assert "immutable" in cache and int(re.search(r"max-age=(\d+)", cache).group(1)) >= 365 * 24 * 3600, cache


def test_the_systemd_units_verify(tmp_path):
    analyze = need("systemd-analyze")
    units = tmp_path / "units"
    units.mkdir()
    binary = Path(sys.executable).with_name("egenkontroll")
    for unit in (DEPLOY / "systemd").iterdir():
        text = unit.read_text()
        text = text.replace("/opt/egenkontroll/.venv/bin/egenkontroll", str(binary))
        text = text.replace("/opt/egenkontroll/deploy/", f"{DEPLOY}/")
        text = text.replace("EnvironmentFile=/etc/egenkontroll/egenkontroll.env", f"EnvironmentFile=-{tmp_path}/env")
        (units / unit.name).write_text(text)
    done = subprocess.run([analyze, "verify", *sorted(str(p) for p in units.iterdir())],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Unknown" not in done.stderr and "not executable" not in done.stderr, done.stderr
    # A timer starts the service of its own name: both must ship.
    assert (units / "egenkontroll-import.service").is_file()

def run_inbox(inbox: Path, db: str, tmp_path: Path) -> subprocess.CompletedProcess:
    wrapper = tmp_path / "egenkontroll"
    wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'from egenkontroll.cli import main; main()' \"$@\"\n")
    wrapper.chmod(0o755)
    env = environment(EGK_INBOX=str(inbox), EGK_COMMAND=str(wrapper), DATABASE_URL=db,
                      EGK_PSEUDONYM_KEY="deploy-test-pseudonym-key", EGK_DATA_DIR=str(tmp_path / "data"), **KEYS)
    return subprocess.run([str(DEPLOY / "egenkontroll-import-inbox")], env=env, capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)


def test_the_drop_folder_imports_the_oldest_complete_export_and_files_it(tmp_path):
    inbox = tmp_path / "inkorg"
    inbox.mkdir()
    db = f"sqlite:///{tmp_path / 'egk.sqlite3'}"
    empty = run_inbox(inbox, db, tmp_path)
    assert empty.returncode == 1 and "nattens export har inte kommit" in empty.stderr

    write_dataset(inbox / "export-1", city(3))
    os.utime(inbox / "export-1", (1, 1))
    write_dataset(inbox / ".export-2-skrivs", city(4))  # still being written: not touched
    first = run_inbox(inbox, db, tmp_path)
    assert first.returncode == 0, first.stderr
    assert [p.name.split("-", 3)[-1] for p in (inbox / "klara").iterdir()] == ["export-1"]
    assert (inbox / ".export-2-skrivs").is_dir()

    broken = inbox / "export-3.zip"
    broken.write_bytes(b"PK\x03\x04 not a zip")
    failed = run_inbox(inbox, db, tmp_path)
    assert failed.returncode == 1
    assert [p.name.endswith("export-3.zip") for p in (inbox / "misslyckade").iterdir()] == [True]
    assert not broken.exists()
